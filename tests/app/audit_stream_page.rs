//! The "Audit log streaming" page: bad endpoints get 422 with the reason, only
//! administrators reach it, and in a browser it reads at 1280 and 390 px as valid HTML.

use reqwest::StatusCode;
use teamwork::domain::Role;

use crate::audit_stream::{Inbox, Receiver, SECRET, turn_on};
use crate::browser::Browser;
use crate::helpers::TestApp;

#[actix_web::test]
async fn bad_endpoints_are_refused_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let path = format!("/orgs/{slug}/settings/streaming");
    let cases = [
        ("", SECRET, "Enter the HTTPS address"),
        ("siem.example.com/in", SECRET, "Enter a full address"),
        (
            "ftp://siem.example.com/in",
            SECRET,
            "Use an https:// address",
        ),
        (
            "http://siem.example.com/in",
            SECRET,
            "only for 127.0.0.1 or localhost",
        ),
        (
            "https://user:pw@siem.example.com/in",
            SECRET,
            "Leave credentials out",
        ),
        (
            "https://siem.example.com/in",
            "tiny-secret",
            "at least 16 characters",
        ),
        ("https://siem.example.com/in", "", "Enter a secret"),
    ];
    let entries = app.count("activity");
    for (url, secret, message) in cases {
        let response = admin
            .post_form(&path, &[("url", url), ("secret", secret)])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{url}: {message}");
        assert!(
            secret.is_empty() || !page.contains(secret),
            "the secret is not echoed"
        );
    }
    assert_eq!(app.count("audit_streams"), 0);
    assert_eq!(app.count("activity"), entries);

    let production =
        TestApp::spawn_with(|c| c.app_env = teamwork::config::AppEnv::Production).await;
    let (admin, slug) = production.admin_with_org("Acme").await;
    let path = format!("/orgs/{slug}/settings/streaming");
    for (url, message) in [
        ("http://127.0.0.1:9/in", "Use an https:// address"),
        ("https://127.0.0.1/in", "private or local"),
        ("https://localhost/in", "private or local"),
        (
            "https://169.254.169.254/latest/meta-data",
            "private or local",
        ),
        ("https://[::1]/in", "private or local"),
    ] {
        let response = admin
            .post_form(&path, &[("url", url), ("secret", SECRET)])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(response.text().await.unwrap().contains(message), "{url}");
    }
    assert_eq!(production.count("audit_streams"), 0);
}

#[actix_web::test]
async fn only_administrators_reach_audit_log_streaming() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    turn_on(&admin, &slug, "http://127.0.0.1:9/in").await;
    let created = admin
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Website")])
        .await;
    let project_id = crate::helpers::location(&created)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let project = app
        .project_only_member(
            &slug,
            project_id,
            "Pat",
            teamwork::domain::ProjectRole::Developer,
        )
        .await;
    let path = format!("/orgs/{slug}/settings/streaming");
    let entries = app.count("activity");
    for role in [Role::Developer, Role::BillingManager, Role::Viewer] {
        let member = app
            .member_with_role(&slug, &format!("M {}", role.as_str()), role)
            .await;
        assert_eq!(member.get(&path).await.status(), StatusCode::FORBIDDEN);
        for action in ["", "/disable", "/test"] {
            let response = member
                .post_form(
                    &format!("{path}{action}"),
                    &[("url", "http://127.0.0.1:1/x")],
                )
                .await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{role:?} {action}"
            );
        }
    }
    assert_eq!(project.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("activity"), entries, "refusals change nothing");
    let settings = admin.get_text(&format!("/orgs/{slug}/settings")).await;
    assert!(settings.contains(&format!("href=\"{path}\"")));

    let off = admin.post_form(&format!("{path}/disable"), &[]).await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("activity"), entries + 1);
    let page = admin.get_text(&path).await;
    assert!(page.contains("Off") && !page.contains("Send test event"));
}

#[actix_web::test]
async fn the_streaming_page_works_in_a_browser_at_both_widths_and_is_valid_html() {
    let app = TestApp::spawn().await;
    let (_admin, slug) = app.admin_with_org("Acme").await;
    let inbox = Inbox::default();
    let receiver = Receiver::start(0, &inbox);
    let browser = Browser::start().await;
    browser
        .log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    let mut html = crate::html_check::HtmlCheck::default();
    browser
        .goto(&format!("{}/orgs/{slug}/settings", app.address))
        .await;
    browser.click_link("set up streaming").await;
    browser.wait_for_text("Audit log streaming").await;
    html.keep(&browser, "streaming, empty").await;

    browser
        .fill("Endpoint URL", "ftp://siem.example.com/in")
        .await;
    browser.fill("Secret", SECRET).await;
    browser.click_button("Save").await;
    browser.wait_for_text("Use an https:// address").await;
    html.keep(&browser, "streaming, refused").await;

    browser.fill("Endpoint URL", &receiver.url()).await;
    browser.fill("Secret", SECRET).await;
    browser.click_button("Save").await;
    browser.wait_for_text("Delivered up to").await;
    browser.click_button("Send test event").await;
    browser.wait_for_text("Test event delivered").await;
    assert!(!browser.page_text().await.contains(SECRET));
    html.keep(&browser, "streaming, on").await;
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        browser.resize(width, height).await;
        browser
            .screenshot_whole_page(&format!("audit-log-streaming-{size}.png"))
            .await;
    }
    browser.close().await;
    receiver.stop().await;
    assert_eq!(html.errors(), Vec::<String>::new());
}
