//! "Ask for a new invitation" from an expired link: the token proves the mailbox; the
//! administrators hear of it, the pending row says "Requested again" next to "Resend";
//! once a day per invitation; never for a link that still works, was used or cancelled.

use reqwest::StatusCode;

use crate::helpers::{TestApp, TestClient};

const GRACE: &str = "grace@example.com";

async fn expired_invitation(app: &TestApp) -> (TestClient, String, String) {
    let (admin, slug) = app.admin_with_org("Acme").await;
    let response = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", GRACE), ("role", "developer")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let join = app.join_path(GRACE, 1).await;
    app.clock.advance(chrono::Duration::days(8));
    (admin, slug, join)
}

fn requests(app: &TestApp) -> i64 {
    app.count_where("activity", "action = 'invitation.requested_again'")
}

#[actix_web::test]
async fn an_expired_link_asks_for_a_new_invitation_and_the_administrators_resend_it() {
    let app = TestApp::spawn().await;
    let (admin, slug, join) = expired_invitation(&app).await;
    let grace = app.client();
    let page = grace.get(&join).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Ask for a new invitation")
    );

    let asked = grace.post_form(&format!("{join}/request"), &[]).await;
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(
        asked
            .text()
            .await
            .unwrap()
            .contains("We told the administrators")
    );
    assert_eq!(requests(&app), 1, "one activity entry");

    let members = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(members.contains("Requested again"));
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(
        log.contains("asked for a new invitation"),
        "the log has its sentence"
    );

    let now = app.clock.now() + chrono::Duration::seconds(61);
    let queued =
        app.with_conn(|conn| teamwork::ops::alerts::flush_due(conn, now, &app.address).unwrap());
    assert_eq!(queued, 1, "the administrator gets an email");
    app.mail.wake();
    let mail = app
        .mail_with_subject("ada.admin@example.com", "A change in Acme (Teamwork)")
        .await;
    assert!(
        mail.text
            .contains("grace@example.com asked for a new invitation"),
        "{}",
        mail.text
    );

    let id: uuid::Uuid = app.with_conn(|conn| {
        use diesel::prelude::*;
        teamwork::schema::invitations::table
            .select(teamwork::schema::invitations::id)
            .first(conn)
            .unwrap()
    });
    let resent = admin
        .post_form(&format!("/orgs/{slug}/invitations/{id}/resend"), &[])
        .await;
    assert_eq!(resent.status(), StatusCode::SEE_OTHER);
    let members = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(
        !members.contains("Requested again"),
        "the resend answers it"
    );
    let fresh = app.join_path(GRACE, 2).await;
    assert!(
        grace
            .get_text(&fresh)
            .await
            .contains("Create account and join")
    );
}

#[actix_web::test]
async fn a_second_request_within_a_day_is_refused_with_429_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_admin, _slug, join) = expired_invitation(&app).await;
    let grace = app.client();
    assert_eq!(
        grace
            .post_form(&format!("{join}/request"), &[])
            .await
            .status(),
        StatusCode::OK
    );
    let (alerts, activity) = (app.count("alerts"), app.count("activity"));

    app.clock.advance(chrono::Duration::hours(23));
    let again = grace.post_form(&format!("{join}/request"), &[]).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(again.headers().get("retry-after").is_some());
    let text = again.text().await.unwrap();
    assert!(
        text.contains("You already asked for a new invitation to Acme"),
        "{text}"
    );
    assert_eq!(app.count("alerts"), alerts, "no alert");
    assert_eq!(app.count("activity"), activity, "no entry");

    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        grace
            .post_form(&format!("{join}/request"), &[])
            .await
            .status(),
        StatusCode::OK,
        "a day later it may ask again"
    );
    assert_eq!(requests(&app), 2);
}

#[actix_web::test]
async fn only_an_expired_link_can_ask() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", GRACE), ("role", "viewer")],
        )
        .await;
    let join = app.join_path(GRACE, 1).await;
    let grace = app.client();

    let valid = grace.post_form(&format!("{join}/request"), &[]).await;
    assert_eq!(
        valid.status(),
        StatusCode::CONFLICT,
        "a working link just works"
    );
    assert!(
        valid
            .text()
            .await
            .unwrap()
            .contains("Create account and join")
    );

    let id: uuid::Uuid = app.with_conn(|conn| {
        use diesel::prelude::*;
        teamwork::schema::invitations::table
            .select(teamwork::schema::invitations::id)
            .first(conn)
            .unwrap()
    });
    admin
        .post_form(&format!("/orgs/{slug}/invitations/{id}/cancel"), &[])
        .await;
    app.clock.advance(chrono::Duration::days(8));
    let cancelled = grace.post_form(&format!("{join}/request"), &[]).await;
    assert_eq!(cancelled.status(), StatusCode::GONE);
    assert!(
        !cancelled
            .text()
            .await
            .unwrap()
            .contains("Ask for a new invitation")
    );

    let unknown = grace
        .post_form("/invitations/inv_not-a-real-token/request", &[])
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(requests(&app), 0);
    assert_eq!(app.count("alerts"), 0);
}
