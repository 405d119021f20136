//! "Access until": an optional last day for project-only access, set when inviting to a
//! project or on the project's People table ("Extend"); reminders 7 days and 1 day
//! before, to the member and the administrators, each once; the end, by a job that two
//! instances may run at once.

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::ProjectRole;
use teamwork::ops::access_expiry;

use crate::helpers::{TestApp, TestDb};
use crate::projects::create_project;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn until_of(app: &TestApp, email: &str) -> Option<Option<NaiveDate>> {
    use teamwork::schema::{project_members, users};
    project_members::table
        .inner_join(users::table)
        .filter(users::email.eq(email))
        .select(project_members::access_until)
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

#[actix_web::test]
async fn an_invitation_to_a_project_carries_its_end_date_to_the_access() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let form = admin.get_text(&format!("{website}/invitations/new")).await;
    assert!(form.contains("Access until"));
    let last_day = today() + Duration::days(20);
    let refused = admin
        .post_form(
            &format!("{website}/invitations"),
            &[
                ("emails", "carla@example.com"),
                ("role", "developer"),
                ("access_until", "2001-01-01"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("invitations"), 0);
    let sent = admin
        .post_form(
            &format!("{website}/invitations"),
            &[
                ("emails", "carla@example.com"),
                ("role", "developer"),
                ("access_until", &last_day.to_string()),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let join = app.join_path("carla@example.com", 1).await;
    let carla = app.signed_up("Carla").await;
    let accepted = carla.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert_eq!(until_of(&app, "carla@example.com"), Some(Some(last_day)));

    // The People table shows it, with "Extend".
    let page = admin.get_text(&website).await;
    assert!(page.contains(&last_day.format("%b %-d, %Y").to_string()));
    assert!(page.contains(">Extend</a>"));
}

#[actix_web::test]
async fn extend_moves_the_end_date_and_records_it() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let project_id: uuid::Uuid = website.rsplit('/').next().unwrap().parse().unwrap();
    app.project_only_member(&slug, project_id, "Carla", ProjectRole::Developer)
        .await;
    let carla = app.user_id("carla@example.com");
    let page = admin.get_text(&website).await;
    assert!(page.contains("No end date") && page.contains(">Set end date</a>"));
    let path = format!("{website}/access/{carla}/until");
    assert!(
        admin
            .get_text(&path)
            .await
            .contains("<h1>Access until</h1>")
    );
    let later = today() + Duration::days(60);
    let saved = admin
        .post_form(&path, &[("access_until", &later.to_string())])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(until_of(&app, "carla@example.com"), Some(Some(later)));
    let bad = admin.post_form(&path, &[("access_until", "soon")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(until_of(&app, "carla@example.com"), Some(Some(later)));
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(
        log.contains("changed until when"),
        "the sentence of the entry"
    );
    assert_eq!(
        app.count_where("activity", "action = 'project_access.until_changed'"),
        1
    );
}

/// Sets up an organization with Carla, whose access to Website has `last_day`.
async fn carla_until(app: &TestApp, last_day: NaiveDate) -> String {
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let project_id: uuid::Uuid = website.rsplit('/').next().unwrap().parse().unwrap();
    app.project_only_member(&slug, project_id, "Carla", ProjectRole::Developer)
        .await;
    diesel::sql_query("UPDATE project_members SET access_until = $1")
        .bind::<diesel::sql_types::Date, _>(last_day)
        .execute(&mut app.conn())
        .unwrap();
    slug
}

#[actix_web::test]
async fn reminders_go_to_the_member_and_the_administrators_once_each() {
    let app = TestApp::spawn().await;
    carla_until(&app, today() + Duration::days(6)).await;
    let mut conn = app.conn();
    let now = Utc::now();
    let first = access_expiry::run(&mut conn, now, "http://console.test").unwrap();
    assert_eq!((first.reminded, first.expired), (1, 0));
    let again = access_expiry::run(&mut conn, now, "http://console.test").unwrap();
    assert_eq!(again.reminded, 0, "the week's reminder is sent once");
    app.mail_with_subject("carla@example.com", "Your access to Website ends in 7 days")
        .await;
    let admin = app
        .mail_with_subject(
            "ada.admin@example.com",
            "Carla's access to Website ends in 7 days",
        )
        .await;
    assert!(
        admin
            .text
            .contains("http://console.test/orgs/acme/projects/")
    );
    // Six days later: the day's reminder, once.
    let later = now + Duration::days(6);
    assert_eq!(
        access_expiry::run(&mut conn, later, "http://console.test")
            .unwrap()
            .reminded,
        1
    );
    assert_eq!(
        access_expiry::run(&mut conn, later, "http://console.test")
            .unwrap()
            .reminded,
        0
    );
    app.mail_with_subject("carla@example.com", "Your access to Website ends tomorrow")
        .await;
    assert_eq!(app.count_where("outbox", "kind = 'access_ending'"), 4);
}

#[actix_web::test]
async fn after_its_last_day_the_access_ends_by_itself() {
    let app = TestApp::spawn().await;
    let slug = carla_until(&app, today() - Duration::days(1)).await;
    let carla = app.client();
    carla
        .login("carla@example.com", "correct horse battery")
        .await;
    let pass = access_expiry::run(&mut app.conn(), Utc::now(), "http://console.test").unwrap();
    assert_eq!(pass.expired, 1);
    assert_eq!(until_of(&app, "carla@example.com"), None);
    assert_eq!(
        carla.get(&format!("/orgs/{slug}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let entry: (Option<uuid::Uuid>, String) = teamwork::schema::activity::table
        .filter(teamwork::schema::activity::action.eq("project.access_expired"))
        .select((
            teamwork::schema::activity::actor_id,
            teamwork::schema::activity::actor_name,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(entry, (None, "Teamwork (automatic)".to_owned()));
    // The organization's kept counts follow.
    let project_only: i32 = teamwork::schema::organizations::table
        .select(teamwork::schema::organizations::project_only_members)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(project_only, 0);
}

/// Two instances run the job at the same instant, many times over: each access ends
/// exactly once (one entry each), and no run fails.
#[test]
fn two_concurrent_runs_expire_each_access_once() {
    let db = TestDb::new();
    const ACCESSES: i64 = 40;
    let (org, _) = crate::ops_races::org_of_admins(&db, "race", 1);
    let mut conn = db.conn();
    diesel::sql_query(format!(
        "WITH p AS (INSERT INTO projects (id, org_id, name) VALUES (gen_random_uuid(), $1, 'Website') RETURNING id, org_id), \
              u AS (INSERT INTO users (id, email, name, password_hash) \
                    SELECT gen_random_uuid(), 'c' || i || '@example.com', 'C ' || i, 'x' FROM generate_series(1, {ACCESSES}) i RETURNING id) \
         INSERT INTO project_members (id, org_id, project_id, user_id, role, access_until) \
         SELECT gen_random_uuid(), p.org_id, p.id, u.id, 'viewer', current_date - 1 FROM p, u"
    ))
    .bind::<diesel::sql_types::Uuid, _>(org)
    .execute(&mut conn)
    .unwrap();
    crate::helpers::recount(&mut conn, org);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (barrier, mut conn) = (barrier.clone(), db.conn());
            std::thread::spawn(move || {
                barrier.wait();
                access_expiry::expire(&mut conn, Utc::now()).unwrap()
            })
        })
        .collect();
    let ended: Vec<usize> = runs.into_iter().map(|r| r.join().unwrap()).collect();
    println!("two concurrent runs ended {ended:?} of {ACCESSES} accesses");
    assert_eq!(ended.iter().sum::<usize>() as i64, ACCESSES);
    let entries: i64 = teamwork::schema::activity::table
        .filter(teamwork::schema::activity::action.eq("project.access_expired"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(entries, ACCESSES, "one entry per access");
    let left: i64 = teamwork::schema::project_members::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);
    // Idempotent: a later run finds nothing to do.
    assert_eq!(access_expiry::expire(&mut conn, Utc::now()).unwrap(), 0);
}
