//! Sign up, log in, log out, sessions and throttling.

use reqwest::StatusCode;
use teamwork::schema::{sessions, users};

use crate::helpers::{TestApp, TestClient, location};
use diesel::prelude::*;

const PASSWORD: &str = "correct horse battery";

#[actix_web::test]
async fn signup_refuses_bad_input_with_field_messages_and_no_account() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let cases = [
        (
            "Ada",
            "not-an-email",
            PASSWORD,
            "Enter a valid email address",
        ),
        (
            "Ada",
            "ada@example.com",
            "1234567",
            "Use at least 8 characters",
        ),
        ("", "ada@example.com", PASSWORD, "Enter your name"),
        ("Ada\r\nBcc: x", "ada@example.com", PASSWORD, "line breaks"),
        (
            "Ada",
            "ada@example.com\r\nBcc: eve@example.com",
            PASSWORD,
            "line breaks",
        ),
    ];
    for (name, email, password, message) in cases {
        let response = client.signup(name, email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?} {email:?}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "expected {message:?} in the page");
    }
    assert_eq!(app.count("users"), 0);
}

/// SECURITY issue: "An account with this email already exists" told anyone which
/// addresses have accounts. A taken address (in any case) and a new one now get the same
/// answer, and neither signs anybody in; only the mail differs.
#[actix_web::test]
async fn a_taken_address_gets_the_same_answer_as_a_new_one() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let answer = |client: TestClient, email: &'static str| async move {
        let response = client.signup("Someone", email, PASSWORD).await;
        let status = response.status();
        let page = response.text().await.unwrap();
        let main = &page[page.find("<h1>").unwrap()..page.find("</main>").unwrap_or(page.len())];
        let signed_in = client.get("/orgs/new").await.status() == StatusCode::OK;
        (status, main.replace(email, "ADDRESS"), signed_in)
    };
    let taken = answer(app.client(), "ADA@Example.com").await;
    let new = answer(app.client(), "new.person@example.com").await;
    assert_eq!(taken, new, "the same status and page, nobody signed in");
    assert_eq!(taken.0, StatusCode::OK);
    assert!(taken.1.contains("Check your email to finish"));
    assert!(!taken.2);
    assert_eq!(app.count("users"), 2, "Ada and the new person");
    app.mail_with_subject(
        "ada@example.com",
        "Someone tried to sign up to Teamwork with your address",
    )
    .await;
    app.mailed_path("new.person@example.com", "/verify-email/", 1)
        .await;
}

#[actix_web::test]
async fn signup_stores_an_argon2id_hash_never_the_password() {
    // The suite hashes cheaply; this test runs at the production cost.
    let app = TestApp::spawn_with(|c| c.password_cost = Default::default()).await;
    app.signed_up("Ada").await;
    let hash: String = users::table
        .select(users::password_hash)
        .first(&mut app.conn())
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!hash.contains(PASSWORD));
}

#[actix_web::test]
async fn login_rotates_the_session_and_drops_the_anonymous_one() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let client = app.client();
    client.get("/login").await;
    let before: Vec<(Vec<u8>, Option<uuid::Uuid>)> = sessions::table
        .select((sessions::key_hash, sessions::user_id))
        .load(&mut app.conn())
        .unwrap();
    let anonymous: Vec<_> = before
        .iter()
        .filter(|(_, user)| user.is_none())
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        anonymous.len(),
        1,
        "the login form created one anonymous session"
    );

    let response = client.login("ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after: Vec<(Vec<u8>, Option<uuid::Uuid>)> = sessions::table
        .select((sessions::key_hash, sessions::user_id))
        .load(&mut app.conn())
        .unwrap();
    assert!(
        after.iter().all(|(key, _)| key != &anonymous[0]),
        "the pre-login session id is gone"
    );
    assert_eq!(
        after.iter().filter(|(_, user)| user.is_some()).count(),
        2,
        "the first log-in's session and this one's"
    );
    assert_eq!(client.get("/orgs/new").await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn logout_kills_the_session_server_side() {
    let app = TestApp::spawn().await;
    let client = app.signed_up("Ada").await;
    let cookie = session_cookie(&client);
    assert_eq!(raw_get(&app, "/orgs/new", &cookie).await, StatusCode::OK);

    let response = client.post_form("/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
    assert!(response.headers().get("clear-site-data").is_some());

    // Replaying the old cookie no longer works, and no session of the user is left.
    assert_eq!(
        raw_get(&app, "/orgs/new", &cookie).await,
        StatusCode::SEE_OTHER
    );
    let left: i64 = sessions::table
        .filter(sessions::user_id.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(left, 0);
}

#[actix_web::test]
async fn idle_sessions_expire_server_side() {
    let app = TestApp::spawn().await;
    let client = app.signed_up("Ada").await;
    assert_eq!(client.get("/orgs/new").await.status(), StatusCode::OK);
    diesel::sql_query("UPDATE sessions SET expires_at = now() - interval '1 second'")
        .execute(&mut app.conn())
        .unwrap();
    let response = client.get("/orgs/new").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=/orgs/new");
}

#[actix_web::test]
async fn wrong_password_gets_one_message_and_ten_failures_throttle_the_account() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let client = app.client();
    for _ in 0..10 {
        let response = client.login("ada@example.com", "wrong password").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("do not match an account")
        );
    }
    let response = client.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Too many failed attempts")
    );
}

#[actix_web::test]
async fn unknown_accounts_get_the_same_answer_as_wrong_passwords() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let unknown = app.client().login("nobody@example.com", PASSWORD).await;
    let wrong = app
        .client()
        .login("ada@example.com", "not the password")
        .await;
    assert_eq!(unknown.status(), wrong.status());
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("do not match an account")
    );
}

#[actix_web::test]
async fn login_follows_only_local_next_paths() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    for (next, expected) in [
        ("/orgs/new", "/orgs/new"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
    ] {
        let client = app.client();
        let response = client
            .post_form(
                "/login",
                &[
                    ("email", "ada@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&response), expected, "next={next:?}");
    }
}

#[actix_web::test]
async fn pages_that_need_a_login_redirect_to_it_and_htmx_gets_hx_redirect() {
    let app = TestApp::spawn().await;
    let response = app.client().get("/orgs/new").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=/orgs/new");
    let response = app
        .client()
        .http
        .get(app.client().url("/orgs/new"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["hx-redirect"], "/login?next=/orgs/new");
}

/// The Cookie header the client's jar sends to the console.
fn session_cookie(client: &crate::helpers::TestClient) -> String {
    let url = client.url("/").parse().unwrap();
    let header =
        reqwest::cookie::CookieStore::cookies(&*client.jar, &url).expect("a session cookie");
    header.to_str().unwrap().to_owned()
}

async fn raw_get(app: &TestApp, path: &str, cookie: &str) -> StatusCode {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    http.get(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
}
