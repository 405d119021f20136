//! The bulk invite preview: several addresses are listed with what sending will do to
//! each before anything is sent; "Send N invitations" sends with each row's role after
//! checking every address again under the lock; "Edit" keeps the text; one address
//! skips the preview.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::Role;
use teamwork::schema::invitations;

use crate::browser::{Browser, BrowserOptions, Region};
use crate::helpers::{TestApp, TestClient};

const LIST: &str = "grace.member@example.com, alan@example.com\nnot-an-address rita@example.com nina@example.com, olga@example.com, pete@example.com";

/// Acme on the Free plan (5 seats): Ada, Grace (a member) and Alan (invited) take three;
/// Rita got 10 invitations today.
async fn acme() -> (TestApp, TestClient, String) {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Member", Role::Developer)
        .await;
    let sent = ada
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "alan@example.com"), ("role", "viewer")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    diesel::sql_query(
        "INSERT INTO invitation_sends (org_id, inviter_id, email, sent_at) \
         SELECT $1, $2, 'rita@example.com', now() FROM generate_series(1, 10)",
    )
    .bind::<diesel::sql_types::Uuid, _>(app.org_id(&slug))
    .bind::<diesel::sql_types::Uuid, _>(app.user_id("ada.admin@example.com"))
    .execute(&mut app.conn())
    .unwrap();
    (app, ada, slug)
}

fn role_invited(app: &TestApp, email: &str) -> Option<Role> {
    invitations::table
        .filter(invitations::email.eq(email))
        .filter(invitations::status.eq("pending"))
        .select(invitations::role)
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

fn changes(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("invitations"),
        app.count("outbox"),
        app.count("activity"),
    )
}

#[actix_web::test]
async fn several_addresses_are_previewed_with_each_outcome_and_nothing_is_sent() {
    let (app, ada, slug) = acme().await;
    let before = changes(&app);
    let response = ada
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", LIST), ("role", "developer"), ("preview", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Review invitations"));
    for (outcome, times) in [
        (">Will invite<", 2),
        (">Already a member<", 1),
        (">Already invited: will resend<", 1),
        (">Invalid address<", 1),
        (">Over the seat limit<", 1),
        (">Over a rate limit<", 1),
    ] {
        assert_eq!(page.matches(outcome).count(), times, "{outcome}");
    }
    assert!(page.contains("Send 3 invitations"), "2 new and 1 resend");
    assert_eq!(changes(&app), before, "the preview writes nothing");
}

#[actix_web::test]
async fn sending_the_reviewed_list_uses_each_rows_role() {
    let (app, ada, slug) = acme().await;
    let before = app.count("activity");
    let response = ada
        .post_form(
            &format!("/orgs/{slug}/invitations/review"),
            &[
                ("emails", LIST),
                ("role", "developer"),
                ("invite", "nina@example.com"),
                ("invite_role", "billing_manager"),
                ("resend", "alan@example.com"),
                ("invite", "olga@example.com"),
                ("invite_role", "viewer"),
                ("step", "send"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("3 invitations sent."), "{page}");
    assert_eq!(
        role_invited(&app, "nina@example.com"),
        Some(Role::BillingManager)
    );
    assert_eq!(role_invited(&app, "olga@example.com"), Some(Role::Viewer));
    assert_eq!(
        role_invited(&app, "alan@example.com"),
        Some(Role::Viewer),
        "a resend keeps the role"
    );
    let alan_sends: i32 = invitations::table
        .filter(invitations::email.eq("alan@example.com"))
        .select(invitations::send_count)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(alan_sends, 2);
    assert_eq!(app.count("activity"), before + 3);
    app.join_path("nina@example.com", 1).await;
    app.join_path("alan@example.com", 2).await;
}

#[actix_web::test]
async fn sending_checks_every_address_again_under_the_lock() {
    let (app, ada, slug) = acme().await;
    let preview = ada
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[
                ("emails", "nina@example.com olga@example.com"),
                ("role", "viewer"),
                ("preview", "1"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(preview.contains("Send 2 invitations"));
    // Meanwhile the last two seats are taken, and Grace's address is slipped in.
    app.add_generated_members(&slug, "Late", 2);
    let before = changes(&app);
    let response = ada
        .post_form(
            &format!("/orgs/{slug}/invitations/review"),
            &[
                ("invite", "nina@example.com"),
                ("invite_role", "viewer"),
                ("invite", "olga@example.com"),
                ("invite_role", "viewer"),
                ("invite", "grace.member@example.com"),
                ("invite_role", "administrator"),
                ("step", "send"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("0 invitations sent."));
    assert_eq!(page.matches("Seat limit reached").count(), 2);
    assert!(page.contains("Already a member"));
    assert_eq!(changes(&app), before, "nothing was sent");
}

#[actix_web::test]
async fn edit_goes_back_to_the_form_with_the_text_kept() {
    let (app, ada, slug) = acme().await;
    let before = changes(&app);
    let response = ada
        .post_form(
            &format!("/orgs/{slug}/invitations/review"),
            &[
                ("emails", LIST),
                ("role", "viewer"),
                ("invite", "nina@example.com"),
                ("invite_role", "developer"),
                ("step", "edit"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Invite Member"));
    assert!(page.contains("not-an-address rita@example.com nina@example.com"));
    assert!(page.contains("value=\"viewer\" selected"));
    assert_eq!(changes(&app), before);
}

#[actix_web::test]
async fn one_address_skips_the_preview_and_unknown_fields_are_refused() {
    let (app, ada, slug) = acme().await;
    let response = ada
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[
                ("emails", "nina@example.com"),
                ("role", "viewer"),
                ("preview", "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains(">Invited<"));
    assert_eq!(role_invited(&app, "nina@example.com"), Some(Role::Viewer));

    let before = changes(&app);
    let forged = ada
        .post_form(
            &format!("/orgs/{slug}/invitations/review"),
            &[
                ("invite", "olga@example.com"),
                ("org_id", "00000000-0000-0000-0000-000000000000"),
                ("step", "send"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert_eq!(changes(&app), before);
}

/// In a browser without JavaScript: plain forms all the way.
#[actix_web::test]
async fn an_administrator_reviews_changes_a_role_and_sends_in_the_browser() {
    let (app, _ada, slug) = acme().await;
    let ada = Browser::start_with(BrowserOptions { javascript: false }).await;
    ada.log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    ada.goto(&format!("{}/orgs/{slug}/invitations/new", app.address))
        .await;
    ada.fill(
        "Email address",
        "nina@example.com, grace.member@example.com, alan@example.com",
    )
    .await;
    ada.select("Role", "Developer").await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text_in(Region::Heading, "Review invitations")
        .await;
    assert!(ada.has_text("Already a member").await);
    ada.screenshot("invite-preview.png").await;
    ada.resize(390, 844).await;
    ada.screenshot("invite-preview-390.png").await;
    ada.resize(1280, 800).await;
    ada.click_button("Edit").await;
    ada.wait_for_text_in(Region::Heading, "Invite Member").await;
    assert!(
        ada.field_value("Email address")
            .await
            .contains("grace.member@example.com")
    );
    ada.click_button("Send Invitation").await;
    ada.wait_for_text_in(Region::Heading, "Review invitations")
        .await;
    ada.select("Role for nina@example.com", "Viewer").await;
    assert_eq!(
        ada.selected_option("Role for nina@example.com").await,
        "Viewer"
    );
    ada.click_button("Send 2 invitations").await;
    ada.wait_for_text("2 invitations sent").await;
    assert_eq!(role_invited(&app, "nina@example.com"), Some(Role::Viewer));
    ada.close().await;
}
