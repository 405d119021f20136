//! Organizations that require two-factor sign-in: the switch (administrators, who need
//! it themselves), members without it sent to set it up, the Members page's "2FA"
//! column, and invitees who set it up before joining.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::Role;
use teamwork::schema::activity;

use crate::helpers::{TestApp, location};
use crate::two_factor::{code_at, fresh_step, shown_secret, turn_on};

const PASSWORD: &str = "correct horse battery";

fn count_action(app: &TestApp, action: &str) -> i64 {
    activity::table
        .filter(activity::action.eq(action))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn requiring_two_factor_is_refused_while_the_administrator_has_none() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    let path = format!("/orgs/{slug}/settings/two-factor");
    let settings = ada.get_text(&format!("/orgs/{slug}/settings")).await;
    assert!(settings.contains("Require two-factor authentication"));
    let response = ada.post_form(&path, &[("required", "true")]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("your own account first")
    );
    assert_eq!(count_action(&app, "organization.2fa_required"), 0);

    turn_on(&app, &ada).await;
    let response = ada.post_form(&path, &[("required", "true")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(count_action(&app, "organization.2fa_required"), 1);
    let log = ada
        .get_text(&format!(
            "/orgs/{slug}/activity?action=organization.2fa_required"
        ))
        .await;
    assert!(log.contains("required two-factor authentication for every member"));
    let log = ada
        .get_text(&format!("/orgs/{slug}/activity?action=accounts"))
        .await;
    assert!(log.contains("turned on two-factor authentication"));
    assert!(
        !log.contains("required two-factor"),
        "the Accounts group only"
    );
    let developer = app.member_with_role(&slug, "Dev", Role::Developer).await;
    turn_on(&app, &developer).await;
    let response = developer.post_form(&path, &[("required", "false")]).await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "administrators only"
    );
    let response = ada.post_form(&path, &[("required", "false")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(count_action(&app, "organization.2fa_optional"), 1);
}

#[actix_web::test]
async fn a_member_without_two_factor_is_sent_to_set_it_up_and_keeps_the_membership() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    let grace = app.member_with_role(&slug, "Grace", Role::Viewer).await;
    turn_on(&app, &ada).await;
    ada.post_form(
        &format!("/orgs/{slug}/settings/two-factor"),
        &[("required", "true")],
    )
    .await;

    let members = format!("/orgs/{slug}/members");
    let response = grace.get(&members).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let setup = location(&response);
    assert_eq!(setup, format!("/account/security?org={slug}"));
    let response = grace
        .http
        .get(grace.url(&members))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["hx-redirect"], setup.as_str());
    let page = grace.get_text(&setup).await;
    assert!(page.contains("Acme requires two-factor authentication"));
    assert_eq!(app.role_of(&slug, "grace@example.com"), Some(Role::Viewer));
    let response = grace.post_form(&format!("/orgs/{slug}/leave"), &[]).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "no org action either"
    );
    assert_eq!(app.role_of(&slug, "grace@example.com"), Some(Role::Viewer));

    // The admin sees who is missing it.
    let page = ada.get_text(&members).await;
    assert!(page.contains("<th scope=\"col\">2FA</th>"));

    turn_on(&app, &grace).await;
    assert_eq!(grace.get(&members).await.status(), StatusCode::OK);
    let response = grace.post_form("/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn the_members_page_shows_the_2fa_column_to_administrators_only() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    let developer = app.member_with_role(&slug, "Dev", Role::Developer).await;
    turn_on(&app, &ada).await;
    let members = format!("/orgs/{slug}/members");
    let page = ada.get_text(&members).await;
    assert!(page.contains("<th scope=\"col\">2FA</th>"));
    let cells: Vec<&str> = page.split("data-label=\"2FA\">").skip(1).collect();
    assert_eq!(cells.len(), 2);
    let ada_row = &page[page.find("ada.admin@example.com").unwrap()..];
    assert!(
        ada_row[ada_row.find("data-label=\"2FA\">").unwrap()..]
            .starts_with("data-label=\"2FA\"><span class=\"badge badge-success\">On")
    );
    let dev_row = &page[page.find("dev@example.com").unwrap()..];
    assert!(
        dev_row[dev_row.find("data-label=\"2FA\">").unwrap()..]
            .starts_with("data-label=\"2FA\"><span class=\"badge\">Off")
    );
    let page = developer.get_text(&members).await;
    assert!(!page.contains(">2FA<") && !page.contains("data-label=\"2FA\""));
}

#[actix_web::test]
async fn invitees_of_an_organization_that_requires_it_set_it_up_before_joining() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    turn_on(&app, &ada).await;
    ada.post_form(
        &format!("/orgs/{slug}/settings/two-factor"),
        &[("required", "true")],
    )
    .await;
    let bob = app.signed_up("Bob").await;
    app.mark_confirmed("bob@example.com");
    for email in ["bob@example.com", "carol@example.com"] {
        ada.post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", email), ("role", "developer")],
        )
        .await;
    }

    // An account: accepting sends it to the setup, then back to the link.
    let join = app.join_path("bob@example.com", 1).await;
    let response = bob.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let setup = location(&response);
    assert!(
        setup.starts_with("/account/security?next=/invitations/inv_"),
        "{setup}"
    );
    assert_eq!(app.role_of(&slug, "bob@example.com"), None);
    assert!(
        bob.get_text(&setup)
            .await
            .contains("organization you are joining requires")
    );
    let started = bob
        .post_form("/account/security/two-factor", &[("next", &join)])
        .await;
    let setup_page = location(&started);
    let secret = shown_secret(&bob.get_text(&setup_page).await);
    let code = code_at(&secret, fresh_step(&app));
    let page = bob
        .post_form(
            "/account/security/two-factor/confirm",
            &[("code", &code), ("next", &join)],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("href=\"{join}\"")),
        "Continue leads back to the link"
    );
    let response = bob.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(location(&response), format!("/orgs/{slug}/members"));
    assert_eq!(app.role_of(&slug, "bob@example.com"), Some(Role::Developer));

    // No account yet: it is created and signed in, then sets up, then accepts.
    let carol = app.client();
    let join = app.join_path("carol@example.com", 1).await;
    let response = carol
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Carol"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/account/security?next="));
    assert_eq!(app.role_of(&slug, "carol@example.com"), None);
    assert_eq!(
        carol.get("/account/security").await.status(),
        StatusCode::OK
    );
    turn_on(&app, &carol).await;
    let response = carol.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(location(&response), format!("/orgs/{slug}/members"));
    assert_eq!(
        app.role_of(&slug, "carol@example.com"),
        Some(Role::Developer)
    );
}
