//! Settings, "Admin keys" in a browser: create a key with scopes, see it once, revoke it
//! after the confirmation; the page and the API reference at both widths (screenshots
//! under target/screenshots/admin-keys/ for a person to look at).

use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::TestApp;

#[actix_web::test]
async fn an_administrator_creates_an_admin_key_sees_it_once_and_revokes_it() {
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    let browser = Browser::start().await;
    browser
        .log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    browser
        .goto(&format!("{}/orgs/{slug}/settings", app.address))
        .await;
    browser.click_link("manage admin keys").await;
    browser.wait_for_text("Create admin key").await;
    browser.fill("Key name", "HR sync").await;
    for scope in ["members:read", "members:write"] {
        let css = format!("input[name='scopes'][value='{scope}']");
        let checkbox = browser
            .client()
            .find(Locator::Css(&css))
            .await
            .expect("scope checkbox");
        checkbox.click().await.expect("tick the scope");
    }
    browser.click_button("Create admin key").await;
    browser.wait_for_text("Copy your admin key").await;
    assert!(browser.page_text().await.contains("tw_admin_"));
    browser.screenshot("admin-keys/secret-1280.png").await;
    browser.click_link("Done").await;
    browser.wait_for_text("members:write").await;
    browser
        .screenshot_whole_page("admin-keys/list-1280.png")
        .await;
    browser.resize(390, 844).await;
    browser
        .screenshot_whole_page("admin-keys/list-390.png")
        .await;
    browser.goto(&format!("{}/docs/api", app.address)).await;
    browser.wait_for_text("Organization API").await;
    browser.screenshot("admin-keys/docs-390.png").await;
    browser.resize(1280, 900).await;
    browser.screenshot("admin-keys/docs-1280.png").await;
    browser
        .goto(&format!("{}/orgs/{slug}/settings/admin-keys", app.address))
        .await;
    browser.click_link("Revoke").await;
    browser
        .wait_for_text("Requests with it fail from now on")
        .await;
    browser.click_button("Revoke key").await;
    browser.wait_for_text("Revoked").await;
    assert_eq!(app.count_where("admin_keys", "revoked_at IS NOT NULL"), 1);
    browser.close().await;
}
