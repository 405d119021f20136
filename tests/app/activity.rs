//! The activity table is append-only: the database itself refuses changes (R34).

use diesel::prelude::*;

use crate::helpers::TestApp;

#[actix_web::test]
async fn update_delete_and_truncate_on_activity_fail() {
    let app = TestApp::spawn().await;
    app.admin_with_org("Acme").await;
    let mut conn = app.conn();
    assert_eq!(app.count("activity"), 1);
    for statement in [
        "UPDATE activity SET actor_name = 'Mallory'",
        "DELETE FROM activity",
        "TRUNCATE activity",
    ] {
        let error = diesel::sql_query(statement)
            .execute(&mut conn)
            .expect_err(statement);
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    assert_eq!(app.count("activity"), 1);
    let name: String = teamwork::schema::activity::table
        .select(teamwork::schema::activity::actor_name)
        .first(&mut conn)
        .unwrap();
    assert_eq!(name, "Ada Admin");
}
