//! The Account page: name, email address (changed only through a link to the new one),
//! password (needs the current one, ends the other sessions), and the organizations.

use reqwest::StatusCode;
use teamwork::domain::Role;

use crate::helpers::{TestApp, TestClient, location};

const PASSWORD: &str = "correct horse battery";

fn email_of(app: &TestApp, id: uuid::Uuid) -> String {
    use diesel::prelude::*;
    use teamwork::schema::users;
    users::table
        .find(id)
        .select(users::email)
        .first(&mut app.conn())
        .unwrap()
}

fn password_hash_of(app: &TestApp, email: &str) -> String {
    use diesel::prelude::*;
    use teamwork::schema::users;
    users::table
        .filter(users::email.eq(email))
        .select(users::password_hash)
        .first(&mut app.conn())
        .unwrap()
}

async fn signed_in_again(app: &TestApp, email: &str) -> TestClient {
    let client = app.client();
    let response = client.login(email, PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "log-in of {email}"
    );
    client
}

#[actix_web::test]
async fn the_account_page_shows_the_name_the_address_and_each_organization_with_the_role() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.admin_with_org("Acme").await;
    ada.create_org("Beta").await;
    let grace = app.signed_up("Grace").await;
    let page = ada.get_text("/account").await;
    for shown in [
        "<h1>Account</h1>",
        "Ada Admin",
        "ada.admin@example.com",
        "Change password",
        "Current password",
        "New password",
        "Acme",
        "Beta",
        "Administrator",
    ] {
        assert!(page.contains(shown), "{shown:?} on the Account page");
    }
    let page = grace.get_text("/account").await;
    assert!(page.contains("not a member of any organization"));
    assert!(page.contains("(not confirmed yet)"));
    let signed_out = app.client().get("/account").await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert!(location(&signed_out).starts_with("/login"));
}

#[actix_web::test]
async fn a_member_sees_the_role_and_a_project_only_member_the_project() {
    let app = TestApp::spawn().await;
    let (_, slug) = app.admin_with_org("Acme").await;
    let vera = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let page = vera.get_text("/account").await;
    assert!(page.contains("Acme") && page.contains("Viewer"), "{page}");
}

#[actix_web::test]
async fn a_name_is_changed_and_a_blank_one_is_refused() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let blank = ada.post_form("/account/name", &[("name", "   ")]).await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count_where("users", "name = 'Ada'"), 1);
    let renamed = ada
        .post_form("/account/name", &[("name", "Ada Lovelace")])
        .await;
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&renamed), "/account");
    assert_eq!(app.count_where("users", "name = 'Ada Lovelace'"), 1);
    assert!(
        ada.get_text("/account")
            .await
            .contains("Your name was changed.")
    );
}

#[actix_web::test]
async fn a_password_change_needs_the_current_password_and_ends_every_other_session() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let laptop = signed_in_again(&app, "ada@example.com").await;
    let before = password_hash_of(&app, "ada@example.com");

    let wrong = ada
        .post_form(
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a brand new phrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That is not your current password.")
    );
    let short = ada
        .post_form(
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", "short")],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        password_hash_of(&app, "ada@example.com"),
        before,
        "no change"
    );
    assert_eq!(laptop.get("/account").await.status(), StatusCode::OK);

    let changed = ada
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new phrase"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_ne!(password_hash_of(&app, "ada@example.com"), before);
    assert_eq!(
        ada.get("/account").await.status(),
        StatusCode::OK,
        "still in"
    );
    let ended = laptop.get("/account").await;
    assert_eq!(ended.status(), StatusCode::SEE_OTHER, "the laptop is out");
    assert!(location(&ended).starts_with("/login"));
    let old = app.client().login("ada@example.com", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let new = app
        .client()
        .login("ada@example.com", "a brand new phrase")
        .await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
    let notice = app
        .mail_with_subject("ada@example.com", "Your Teamwork password was changed")
        .await;
    assert!(notice.text.contains("signed out (1)"), "{}", notice.text);
    assert!(notice.text.contains("/password/forgot"));
}

#[actix_web::test]
async fn guessing_the_current_password_is_limited() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let guess = |n: usize| {
        let ada = &ada;
        async move {
            let guess = format!("guess number {n}");
            let fields = [
                ("current_password", guess.as_str()),
                ("new_password", "a brand new phrase"),
            ];
            ada.post_form("/account/password", &fields).await.status()
        }
    };
    for n in 0..10 {
        assert_eq!(guess(n).await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let limited = ada
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new phrase"),
            ],
        )
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    let old = app.client().login("ada@example.com", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::SEE_OTHER, "password unchanged");
}

#[actix_web::test]
async fn a_new_address_becomes_the_accounts_only_when_its_link_is_opened_by_the_account() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let ada_id = app.user_id("ada@example.com");

    let wrong = ada
        .post_form(
            "/account/email",
            &[("email", "ada@new.example"), ("password", "not it at all")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count_where("user_tokens", "purpose = 'change_email'"),
        0
    );

    let asked = ada
        .post_form(
            "/account/email",
            &[("email", "Ada@New.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let page = ada.get_text("/account").await;
    assert!(page.contains("We sent a link to Ada@New.example"), "{page}");
    assert_eq!(email_of(&app, ada_id), "ada@example.com", "not yet");
    let link = app
        .mailed_path("ada@new.example", "/account/email/", 1)
        .await;

    // The page behind the link changes nothing; another account cannot use it; a
    // signed-out visitor is asked to sign in to the account first.
    assert_eq!(ada.get(&link).await.status(), StatusCode::OK);
    let grace = app.signed_up("Grace").await;
    assert_eq!(
        grace.post_form(&link, &[]).await.status(),
        StatusCode::CONFLICT
    );
    let visitor = app.client().post_form(&link, &[]).await;
    assert_eq!(visitor.status(), StatusCode::SEE_OTHER);
    assert!(location(&visitor).starts_with("/login?next=/account/email/"));
    assert_eq!(email_of(&app, ada_id), "ada@example.com", "still not");

    let confirmed = ada.post_form(&link, &[]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&confirmed), "/account");
    assert_eq!(email_of(&app, ada_id), "Ada@New.example");
    assert_eq!(
        app.count_where(
            "users",
            "email = 'Ada@New.example' AND email_verified_at IS NOT NULL"
        ),
        1
    );
    let notice = app
        .mail_with_subject(
            "ada@example.com",
            "The email address of your Teamwork account was changed",
        )
        .await;
    assert!(notice.text.contains("Ada@New.example"));
    assert!(
        !notice.text.contains("/account/email/") && !notice.html.contains("/account/email/"),
        "the old address gets no link that acts"
    );
    assert_eq!(
        ada.post_form(&link, &[]).await.status(),
        StatusCode::GONE,
        "a link works once"
    );
    let new = app.client().login("ada@new.example", PASSWORD).await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn a_taken_or_unchanged_address_is_refused_without_naming_the_account() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    app.signed_up("Grace").await;
    let taken = ada
        .post_form(
            "/account/email",
            &[("email", "GRACE@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let page = taken.text().await.unwrap();
    assert!(page.contains("Another account already uses this address"));
    assert!(!page.contains("Grace<"), "the holder is not named");
    let same = ada
        .post_form(
            "/account/email",
            &[("email", "ADA@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(same.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let invalid = ada
        .post_form(
            "/account/email",
            &[("email", "not an address"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count_where("user_tokens", "purpose = 'change_email'"),
        0
    );
}

#[actix_web::test]
async fn an_expired_link_or_an_address_taken_meanwhile_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let ask = |to: &'static str| {
        let ada = &ada;
        async move {
            let fields = [("email", to), ("password", PASSWORD)];
            let response = ada.post_form("/account/email", &fields).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
    };
    ask("ada@late.example").await;
    let late = app
        .mailed_path("ada@late.example", "/account/email/", 1)
        .await;
    app.with_conn(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE user_tokens SET expires_at = now() - interval '1 second'")
            .execute(conn)
            .unwrap();
    });
    let expired = ada.post_form(&late, &[]).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(expired.text().await.unwrap().contains("not valid"));

    ask("shared@example.com").await;
    let link = app
        .mailed_path("shared@example.com", "/account/email/", 1)
        .await;
    app.signed_up("Shared").await;
    let taken = ada.post_form(&link, &[]).await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(app.count_where("users", "email = 'ada@example.com'"), 1);
}

#[actix_web::test]
async fn change_of_address_requests_are_limited() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    for n in 0..5 {
        let to = format!("ada{n}@new.example");
        let fields = [("email", to.as_str()), ("password", PASSWORD)];
        let response = ada.post_form("/account/email", &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "request {n}");
    }
    let fields = [("email", "ada9@new.example"), ("password", PASSWORD)];
    let limited = ada.post_form("/account/email", &fields).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.count_where("user_tokens", "purpose = 'change_email'"),
        5
    );
    app.mail_settled().await;
    assert_eq!(
        app.count_where("outbox", "recipient = 'ada9@new.example'"),
        0
    );
}

#[actix_web::test]
async fn pending_invitations_stay_with_the_address_they_were_sent_to() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let bob = app.signed_up("Bob").await;
    let invited = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "bob@example.com"), ("role", "viewer")],
        )
        .await;
    assert!(invited.status().is_success());
    let join = app.join_path("bob@example.com", 1).await;
    let fields = [("email", "robert@example.com"), ("password", PASSWORD)];
    bob.post_form("/account/email", &fields).await;
    let link = app
        .mailed_path("robert@example.com", "/account/email/", 1)
        .await;
    assert_eq!(
        bob.post_form(&link, &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    let page = bob.get_text(&join).await;
    assert!(page.contains("This invitation is for another address"));
    let refused = bob.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(app.role_of(&slug, "robert@example.com"), None);
    assert_eq!(
        app.count_where(
            "invitations",
            "email = 'bob@example.com' AND accepted_at IS NULL"
        ),
        1
    );
}
