//! Journeys through the console in a real browser, step by step as a person
//! would take them.

use crate::browser::{Browser, Region};
use crate::helpers::TestApp;

#[actix_web::test] // the harness spawns the app on the actix runtime
async fn new_user_signs_up_creates_an_organization_and_sees_members() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;

    browser.goto(&format!("{}/signup", app.address)).await;
    browser.fill("Name", "Ada Lovelace").await;
    browser.fill("Email", "ada@example.com").await;
    browser
        .fill("Password", "correct horse battery staple")
        .await;
    browser.click_button("Create account").await;

    browser.wait_for_text("Organization name").await;
    browser.fill("Organization name", "Acme").await;
    browser.click_button("Create organization").await;

    browser
        .wait_for_text_in(Region::Navigation, "Members")
        .await;
    // Wherever the console names the current organization (heading, sidebar), a person sees it.
    assert!(
        browser.has_text("Acme").await,
        "expected the new organization \"Acme\" on {}; the page shows:\n{}",
        browser.current_path().await,
        browser.page_text().await
    );
    browser.screenshot("journey1-members.png").await;
    browser.close().await;
}
