//! Confirming an email address and resetting a forgotten password through mailed links.

use reqwest::StatusCode;

use crate::helpers::{TestApp, location};

const PASSWORD: &str = "correct horse battery";

#[actix_web::test]
async fn signing_up_mails_a_confirmation_link_that_works_once() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    assert!(
        ada.get_text("/orgs/new")
            .await
            .contains("Confirm your email address"),
        "the banner"
    );
    let path = app
        .mailed_path("ada@example.com", "/verify-email/", 1)
        .await;

    let page = ada.get(&path).await;
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page.text().await.unwrap().contains("Confirm email"));
    assert_eq!(
        app.count_where("users", "email_verified_at IS NOT NULL"),
        0,
        "opening the link confirms nothing"
    );

    // Only a session of the account confirms (R43; the attack is in security_hardening).
    let response = ada.post_form(&path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_where("users", "email_verified_at IS NOT NULL"), 1);
    assert!(
        !ada.get_text("/orgs/new")
            .await
            .contains("Confirm your email address")
    );

    let again = ada.post_form(&path, &[]).await;
    assert_eq!(again.status(), StatusCode::GONE);
}

#[actix_web::test]
async fn confirmation_links_expire_after_a_day_and_a_new_one_replaces_the_old() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    let first = app
        .mailed_path("ada@example.com", "/verify-email/", 1)
        .await;
    let resent = ada.post_form("/verify-email", &[]).await;
    assert_eq!(resent.status(), StatusCode::SEE_OTHER);
    let second = app
        .mailed_path("ada@example.com", "/verify-email/", 2)
        .await;
    assert_eq!(
        app.client().get(&first).await.status(),
        StatusCode::GONE,
        "replaced by the newer link"
    );
    app.clock
        .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    assert_eq!(
        app.client().post_form(&second, &[]).await.status(),
        StatusCode::GONE
    );
    assert_eq!(app.count_where("users", "email_verified_at IS NOT NULL"), 0);
}

#[actix_web::test]
async fn asking_for_confirmation_links_is_rate_limited() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up("Ada").await;
    for _ in 0..4 {
        assert_eq!(
            ada.post_form("/verify-email", &[]).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let before = app.count("outbox");
    let refused = ada.post_form("/verify-email", &[]).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("outbox"), before, "nothing queued");
}

#[actix_web::test]
async fn a_forgotten_password_is_reset_by_mail_and_every_session_ends() {
    let app = TestApp::spawn().await;
    let ada_laptop = app.signed_up("Ada").await;
    assert_eq!(ada_laptop.get("/orgs/new").await.status(), StatusCode::OK);

    let phone = app.client();
    let page = phone.get_text("/login").await;
    assert!(page.contains("Forgot your password?"));
    let response = phone
        .post_form("/password/forgot", &[("email", "ADA@example.com")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer = response.text().await.unwrap();
    assert!(answer.contains("If an account exists for"));
    let path = app
        .mailed_path("ada@example.com", "/password/reset/", 1)
        .await;

    assert!(
        phone
            .get_text(&path)
            .await
            .contains("Choose a new password")
    );
    let short = phone.post_form(&path, &[("password", "short")]).await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = phone
        .post_form(&path, &[("password", "a brand new secret")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    assert_eq!(
        phone.get("/orgs/new").await.status(),
        StatusCode::OK,
        "this browser is signed in"
    );
    assert_eq!(
        ada_laptop.get("/orgs/new").await.status(),
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    let notice = app
        .mail_with_subject("ada@example.com", "Your Teamwork password was changed")
        .await;
    assert!(notice.text.contains("signed out (1)"), "{}", notice.text);

    let old = app.client().login("ada@example.com", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let new = app
        .client()
        .login("ada@example.com", "a brand new secret")
        .await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.client()
            .post_form(&path, &[("password", "yet another secret")])
            .await
            .status(),
        StatusCode::GONE,
        "single use"
    );
}

#[actix_web::test]
async fn reset_requests_answer_the_same_for_unknown_addresses_and_send_nothing() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let before = app.count("outbox");
    let response = app
        .client()
        .post_form("/password/forgot", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("If an account exists for")
    );
    assert_eq!(app.count("outbox"), before);
    let bad = app
        .client()
        .post_form("/password/forgot", &[("email", "not an address")])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn reset_links_expire_after_an_hour() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    app.client()
        .post_form("/password/forgot", &[("email", "ada@example.com")])
        .await;
    let path = app
        .mailed_path("ada@example.com", "/password/reset/", 1)
        .await;
    app.clock.advance(chrono::Duration::minutes(61));
    let page = app.client().get(&path).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("Request a new link"));
    // A confirmation link is not a reset link, whatever its age.
    let confirm = app
        .mailed_path("ada@example.com", "/verify-email/", 1)
        .await;
    let swapped = confirm.replace("/verify-email/", "/password/reset/");
    assert_eq!(app.client().get(&swapped).await.status(), StatusCode::GONE);
}
