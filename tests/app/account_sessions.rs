//! The Sessions page: every signed-in session of the account with its device, address
//! and times; signing one out, or all the others; notices of sign-ins from new devices.

use diesel::prelude::*;
use reqwest::StatusCode;
use uuid::Uuid;

use crate::browser::{Browser, Region};
use crate::helpers::{TestApp, TestClient, location};

const PASSWORD: &str = "correct horse battery";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const NEW_SIGN_IN: &str = "New sign-in to your Teamwork account";

/// A person whose browser sends `user_agent`.
fn browser_client(app: &TestApp, user_agent: &str) -> TestClient {
    let mut client = app.client();
    client.http = reqwest::Client::builder()
        .cookie_provider(client.jar.clone())
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .unwrap();
    client
}

async fn logged_in(app: &TestApp, email: &str, user_agent: &str) -> TestClient {
    let client = browser_client(app, user_agent);
    let response = client.login(email, PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "log-in of {email}"
    );
    client
}

/// The id of `email`'s session whose user agent contains `marker`.
fn session_id(app: &TestApp, email: &str, marker: &str) -> Uuid {
    use teamwork::schema::sessions;
    sessions::table
        .filter(sessions::user_id.eq(app.user_id(email)))
        .filter(sessions::user_agent.like(format!("%{marker}%")))
        .select(sessions::id)
        .first(&mut app.conn())
        .unwrap()
}

async fn is_signed_in(client: &TestClient) -> bool {
    match client.get("/account").await.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => false,
        other => panic!("GET /account answered {other}"),
    }
}

#[actix_web::test]
async fn every_session_is_listed_with_its_device_address_and_times_and_this_one_marked() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let laptop = logged_in(&app, "ada@example.com", FIREFOX_LINUX).await;
    logged_in(&app, "ada@example.com", CHROME_MAC).await;
    let page = laptop.get_text("/account/sessions").await;
    for shown in [
        "Firefox on Linux",
        "Chrome on Mac OSX",
        "127.0.0.1",
        "This device",
        "just now",
        "Sign out everywhere else",
    ] {
        assert!(page.contains(shown), "{shown:?} on the Sessions page");
    }
    // "This device" is the laptop's own row.
    let row = page
        .split("<tr>")
        .find(|row| row.contains("This device"))
        .unwrap();
    assert!(row.contains("Firefox on Linux"), "{row}");
    assert!(
        !row.contains("/sign-out"),
        "no Sign out button on this device"
    );
    // URLs name sessions by their opaque id, never by the cookie's key or its hash.
    let chrome = session_id(&app, "ada@example.com", "Chrome");
    assert!(page.contains(&format!("/account/sessions/{chrome}/sign-out")));
    let cookie = laptop_cookie(&laptop, &app);
    assert!(!page.contains(&cookie));
}

fn laptop_cookie(client: &TestClient, app: &TestApp) -> String {
    use reqwest::cookie::CookieStore;
    let url: reqwest::Url = app.address.parse().unwrap();
    let cookies = client.jar.cookies(&url).unwrap();
    let cookies = cookies.to_str().unwrap();
    let value = cookies.split('=').nth(1).unwrap_or_default();
    assert!(value.len() > 20, "a session cookie: {cookies}");
    value.to_owned()
}

#[actix_web::test]
async fn one_session_signs_out_another_and_then_everywhere_else() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let laptop = logged_in(&app, "ada@example.com", FIREFOX_LINUX).await;
    let desktop = logged_in(&app, "ada@example.com", CHROME_MAC).await;
    let phone = logged_in(&app, "ada@example.com", SAFARI_IPHONE).await;

    let desktop_id = session_id(&app, "ada@example.com", "Chrome");
    let out = laptop
        .post_form(&format!("/account/sessions/{desktop_id}/sign-out"), &[])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/account/sessions");
    assert!(
        !is_signed_in(&desktop).await,
        "its next request is signed out"
    );
    assert!(is_signed_in(&phone).await && is_signed_in(&laptop).await);
    let again = laptop
        .post_form(&format!("/account/sessions/{desktop_id}/sign-out"), &[])
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND, "already gone");

    let second_desktop = logged_in(&app, "ada@example.com", CHROME_MAC).await;
    let everywhere = laptop
        .post_form("/account/sessions/sign-out-others", &[])
        .await;
    assert_eq!(everywhere.status(), StatusCode::SEE_OTHER);
    assert!(
        laptop
            .get_text("/account/sessions")
            .await
            .contains("3 other sessions were signed out."),
        "the phone, the second desktop and the sign-up's own session"
    );
    assert!(!is_signed_in(&phone).await && !is_signed_in(&second_desktop).await);
    assert!(is_signed_in(&laptop).await, "this one stays");
    let user = app.user_id("ada@example.com");
    assert_eq!(
        app.count_where("sessions", &format!("user_id = '{user}'")),
        1
    );
}

#[actix_web::test]
async fn signing_out_this_session_from_the_list_signs_this_browser_out() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let laptop = logged_in(&app, "ada@example.com", FIREFOX_LINUX).await;
    let own = session_id(&app, "ada@example.com", "Firefox");
    let out = laptop
        .post_form(&format!("/account/sessions/{own}/sign-out"), &[])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/login");
    assert!(!is_signed_in(&laptop).await);
}

#[actix_web::test]
async fn a_session_cannot_sign_out_a_session_of_another_account() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    app.signed_up("Bob").await;
    let ada = logged_in(&app, "ada@example.com", FIREFOX_LINUX).await;
    let bob = logged_in(&app, "bob@example.com", CHROME_MAC).await;
    let bobs = session_id(&app, "bob@example.com", "Chrome");
    let refused = ada
        .post_form(&format!("/account/sessions/{bobs}/sign-out"), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let unknown = ada
        .post_form(
            &format!("/account/sessions/{}/sign-out", Uuid::new_v4()),
            &[],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND, "same as unknown");
    let malformed = ada
        .post_form("/account/sessions/not-an-id/sign-out", &[])
        .await;
    assert_eq!(malformed.status(), StatusCode::NOT_FOUND);
    assert!(is_signed_in(&bob).await, "Bob is still signed in");
    // "Everywhere else" stays within the account.
    ada.post_form("/account/sessions/sign-out-others", &[])
        .await;
    assert!(is_signed_in(&bob).await);
    assert!(!ada.get_text("/account/sessions").await.contains("Chrome"));
}

#[actix_web::test]
async fn a_sign_in_from_a_new_device_is_noticed_and_a_known_one_is_not() {
    let app = TestApp::spawn().await;
    // The sign-up's own log-in is the account's first device: nothing to compare with.
    let client = browser_client(&app, FIREFOX_LINUX);
    let first = client
        .sign_up_and_log_in("Ada", "ada@example.com", PASSWORD)
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    // The same browser again, a newer version of it: a known device.
    logged_in(&app, "ada@example.com", FIREFOX_LINUX).await;
    let newer = FIREFOX_LINUX.replace("133.0", "134.0");
    logged_in(&app, "ada@example.com", &newer).await;
    app.mail_settled().await;
    assert_eq!(app.count_where("outbox", "kind = 'new_sign_in'"), 0);

    logged_in(&app, "ada@example.com", CHROME_MAC).await;
    let notice = app.mail_with_subject("ada@example.com", NEW_SIGN_IN).await;
    assert!(notice.text.contains("Chrome on Mac OSX"), "{}", notice.text);
    assert!(notice.text.contains("127.0.0.1"));
    assert!(notice.text.contains("/account/sessions"));
    logged_in(&app, "ada@example.com", CHROME_MAC).await;
    app.mail_settled().await;
    assert_eq!(app.count_where("outbox", "kind = 'new_sign_in'"), 1);
    // Only fingerprints are kept, not addresses or user agents.
    assert_eq!(app.count("known_devices"), 2);
}

#[actix_web::test]
async fn a_wrong_password_is_no_sign_in_and_sends_no_notice() {
    let app = TestApp::spawn().await;
    app.signed_up("Ada").await;
    let other = browser_client(&app, CHROME_MAC);
    let wrong = other.login("ada@example.com", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.mail_settled().await;
    assert_eq!(app.count_where("outbox", "kind = 'new_sign_in'"), 0);
    assert_eq!(app.count("known_devices"), 1);
}

#[actix_web::test]
async fn the_sessions_page_signs_another_browser_out() {
    let app = TestApp::spawn().await;
    let signed_up = app.signed_up("Ada").await;
    signed_up.post_form("/logout", &[]).await;
    let laptop = Browser::start().await;
    let phone = Browser::start().await;
    laptop.log_in(&app, "ada@example.com", PASSWORD).await;
    phone.log_in(&app, "ada@example.com", PASSWORD).await;

    // Through the header's account menu, as a person would.
    laptop.goto(&format!("{}/orgs/new", app.address)).await;
    let menu = "//summary[normalize-space(.)='Ada (account menu)']";
    let menu = laptop.client().find(fantoccini::Locator::XPath(menu)).await;
    menu.expect("the account menu").click().await.unwrap();
    laptop.click_link("Sessions").await;
    laptop.wait_for_text_in(Region::Heading, "Sessions").await;
    assert!(laptop.has_text("This device").await);
    assert_eq!(laptop.count_buttons("Sign out").await, 1, "the phone's row");
    laptop.click_button("Sign out").await;
    laptop.wait_for_text("That session was signed out.").await;
    assert_eq!(laptop.count_buttons("Sign out").await, 0);

    phone.goto(&format!("{}/account", app.address)).await;
    phone
        .wait_until("the phone to be sent to log in", async || {
            phone.current_path().await == "/login"
        })
        .await;
    laptop.goto(&format!("{}/account", app.address)).await;
    laptop.wait_for_text_in(Region::Heading, "Account").await;
    laptop.close().await;
    phone.close().await;
}
