//! Changing the role of a pending invitation: the link stays, the entry is recorded,
//! Administrator is confirmed first, and only pending invitations change.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::Role;
use teamwork::schema::{activity, invitations};
use uuid::Uuid;

use crate::helpers::{TestApp, TestClient, location, toast};

async fn invite(admin: &TestClient, slug: &str, email: &str, role: &str) {
    let response = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", email), ("role", role)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "invite {email}");
}

/// The invitation's id, role, token hash and send count.
fn invitation(app: &TestApp, email: &str) -> (Uuid, String, Vec<u8>, i32) {
    invitations::table
        .filter(invitations::email.eq(email))
        .select((
            invitations::id,
            invitations::role,
            invitations::token_hash,
            invitations::send_count,
        ))
        .first(&mut app.conn())
        .unwrap()
}

fn role_path(slug: &str, id: Uuid) -> String {
    format!("/orgs/{slug}/invitations/{id}/role")
}

fn last_entry(app: &TestApp) -> (String, serde_json::Value, serde_json::Value) {
    let (action, before, after): (String, Option<serde_json::Value>, Option<serde_json::Value>) =
        activity::table
            .order(activity::id.desc())
            .select((activity::action, activity::before, activity::after))
            .first(&mut app.conn())
            .unwrap();
    (
        action,
        before.unwrap_or_default(),
        after.unwrap_or_default(),
    )
}

#[actix_web::test]
async fn an_administrator_changes_a_pending_invitations_role_and_the_link_stays_the_same() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let join = app.join_path("grace@example.com", 1).await;
    let (id, _, token_before, sends_before) = invitation(&app, "grace@example.com");
    let daily_sends = app.count("invitation_sends");
    let page = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(
        page.contains(&format!("id=\"invitation-role-{id}\"")),
        "a role select on the pending row"
    );

    let response = admin
        .post_form(&role_path(&slug, id), &[("role", "developer")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/orgs/{slug}/members"));
    let (_, role, token_after, sends_after) = invitation(&app, "grace@example.com");
    assert_eq!(role, "developer");
    assert_eq!(token_after, token_before, "the link stays the same");
    assert_eq!(sends_after, sends_before, "nothing was sent again");
    assert_eq!(
        app.count("invitation_sends"),
        daily_sends,
        "no daily limit spent"
    );
    let (action, before, after) = last_entry(&app);
    assert_eq!(action, "invitation.role_changed");
    assert_eq!(
        (before["role"].as_str(), after["role"].as_str()),
        (Some("viewer"), Some("developer"))
    );
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(
        log.contains("changed the role of the invitation to"),
        "the log reads it as a sentence"
    );

    // The link mailed before the change joins with the new role.
    let grace = app.client();
    grace
        .sign_up_and_log_in("Grace", "grace@example.com", "correct horse battery")
        .await;
    let accepted = grace.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.role_of(&slug, "grace@example.com"),
        Some(Role::Developer)
    );
}

#[actix_web::test]
async fn with_htmx_the_row_is_swapped_in_place_with_a_toast() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let (id, ..) = invitation(&app, "grace@example.com");
    let response = admin
        .post_hx(&role_path(&slug, id), &[("role", "billing_manager")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (level, message) = toast(&response).expect("a toast");
    assert_eq!(level, "success");
    assert!(message.contains("grace@example.com"), "{message}");
    let row = response.text().await.unwrap();
    assert!(row.contains(&format!("id=\"invitation-{id}\"")));
    assert!(
        row.contains("<option value=\"billing_manager\" selected>"),
        "{row}"
    );
    assert_eq!(invitation(&app, "grace@example.com").1, "billing_manager");
}

#[actix_web::test]
async fn inviting_as_administrator_is_confirmed_before_anything_changes() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "developer").await;
    let (id, ..) = invitation(&app, "grace@example.com");
    let entries = app.count("activity");

    // Without JavaScript: a question page; with htmx: the row becomes the question.
    let asked = admin
        .post_form(&role_path(&slug, id), &[("role", "administrator")])
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let question = admin.get_text(&location(&asked)).await;
    assert!(question.contains("Invite grace@example.com as an Administrator?"));
    assert!(question.contains("Change to Administrator"));
    let inline = admin
        .post_hx(&role_path(&slug, id), &[("role", "administrator")])
        .await;
    assert_eq!(inline.status(), StatusCode::OK);
    assert!(
        inline
            .text()
            .await
            .unwrap()
            .contains("name=\"confirmed\" value=\"true\"")
    );
    assert_eq!(
        invitation(&app, "grace@example.com").1,
        "developer",
        "not changed yet"
    );
    assert_eq!(app.count("activity"), entries, "nothing recorded yet");

    let confirmed = admin
        .post_form(
            &role_path(&slug, id),
            &[("role", "administrator"), ("confirmed", "true")],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(invitation(&app, "grace@example.com").1, "administrator");
    assert_eq!(app.count("activity"), entries + 1);
}

#[actix_web::test]
async fn an_invitation_that_is_no_longer_pending_keeps_its_role() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let (id, ..) = invitation(&app, "grace@example.com");
    let cancelled = admin
        .post_form(&format!("/orgs/{slug}/invitations/{id}/cancel"), &[])
        .await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    let entries = app.count("activity");
    let response = admin
        .post_form(&role_path(&slug, id), &[("role", "developer")])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(invitation(&app, "grace@example.com").1, "viewer");
    assert_eq!(app.count("activity"), entries);
}

#[actix_web::test]
async fn only_administrators_change_an_invitations_role_and_bad_roles_are_refused() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let (id, ..) = invitation(&app, "grace@example.com");
    let mallory = app.signed_up("Mallory").await;
    let evil = mallory.create_org("Evil").await;
    let entries = app.count("activity");
    let denied = dev
        .post_form(&role_path(&slug, id), &[("role", "developer")])
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let bad = admin
        .post_form(&role_path(&slug, id), &[("role", "owner")])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another organization's administrator does not see it.
    let foreign = mallory
        .post_form(&role_path(&evil, id), &[("role", "developer")])
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(invitation(&app, "grace@example.com").1, "viewer");
    assert_eq!(app.count("activity"), entries);
}

#[actix_web::test]
async fn a_project_invitation_takes_a_project_role_only() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let created = admin
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Website")])
        .await;
    let project = location(&created);
    let sent = admin
        .post_form(
            &format!("{project}/invitations"),
            &[("emails", "pat@example.com"), ("role", "viewer")],
        )
        .await;
    assert!(sent.status().is_success() || sent.status().is_redirection());
    let (id, ..) = invitation(&app, "pat@example.com");
    let refused = admin
        .post_form(
            &role_path(&slug, id),
            &[("role", "billing_manager"), ("confirmed", "true")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let changed = admin
        .post_form(&role_path(&slug, id), &[("role", "developer")])
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(invitation(&app, "pat@example.com").1, "developer");
}

/// In a browser: the select changes nothing until Save; Administrator asks in the row.
#[actix_web::test]
async fn in_a_browser_the_pending_row_changes_its_role_in_place() {
    use crate::browser::Browser;
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "nina@example.com", "developer").await;
    let browser = Browser::start().await;
    browser
        .log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    browser
        .goto(&format!("{}/orgs/{slug}/members", app.address))
        .await;
    browser
        .select("Role for nina@example.com", "Administrator")
        .await;
    assert_eq!(invitation(&app, "nina@example.com").1, "developer");
    browser.click_named("Save role for nina@example.com").await;
    browser
        .wait_for_text("Invite nina@example.com as an Administrator?")
        .await;
    browser.click_button("Change to Administrator").await;
    browser
        .wait_for_text("now grants the Administrator role")
        .await;
    assert_eq!(invitation(&app, "nina@example.com").1, "administrator");
    assert_eq!(
        browser.selected_option("Role for nina@example.com").await,
        "Administrator"
    );
    browser.close().await;
}
