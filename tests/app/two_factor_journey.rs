//! Two-factor sign-in in a real browser: set up from the secret the page shows, sign in
//! with a code, with a recovery code (once), and an organization that requires it.

use teamwork::domain::Role;

use crate::browser::{Browser, Region};
use crate::helpers::TestApp;
use crate::two_factor::{code_at, fresh_step};

const PASSWORD: &str = "correct horse battery staple";
const ADA: &str = "ada@example.com";

/// The base32 secret as a person reads it off the setup page (eight groups of four).
fn secret_in(page: &str) -> String {
    page.lines()
        .map(|line| line.split_whitespace().collect::<String>())
        .find(|line| {
            line.len() == 32
                && line
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        })
        .expect("the secret on the setup page")
}

/// The recovery codes as the page lists them (`abcde-fghjk`).
fn recovery_codes_in(page: &str) -> Vec<String> {
    page.split_whitespace()
        .filter(|word| {
            word.len() == 11
                && word.as_bytes()[5] == b'-'
                && word
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| i == 5 || b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        .map(str::to_owned)
        .collect()
}

async fn log_out(browser: &Browser) {
    browser.log_out().await;
    browser.wait_for_text_in(Region::Heading, "Log in").await;
}

/// The password step, then "Authentication code".
async fn log_in_with_code(browser: &Browser, app: &TestApp, code: &str) {
    browser.log_in(app, ADA, PASSWORD).await;
    browser.wait_for_text("Authentication code").await;
    browser.fill("Authentication code", code).await;
    browser.click_button("Verify").await;
}

#[actix_web::test]
async fn a_person_turns_on_two_factor_signs_in_with_codes_and_requires_it_for_the_organization() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;
    let mut html = crate::html_check::HtmlCheck::default();

    browser.goto(&format!("{}/signup", app.address)).await;
    browser.fill("Name", "Ada Lovelace").await;
    browser.fill("Email", ADA).await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Create account").await;
    browser
        .wait_for_text_in(Region::Heading, "Check your email to finish")
        .await;
    browser.log_in(&app, ADA, PASSWORD).await;
    browser.wait_for_text("Organization name").await;
    browser.fill("Organization name", "Acme").await;
    browser.click_button("Create organization").await;
    browser.wait_for_text_in(Region::Heading, "Members").await;

    // Set up from the secret shown as text, as a person typing it into an app would.
    browser
        .goto(&format!("{}/account/security", app.address))
        .await;
    html.keep(&browser, "account security").await;
    browser
        .click_button("Set up two-factor authentication")
        .await;
    browser
        .wait_for_text_in(Region::Heading, "Set up two-factor authentication")
        .await;
    html.keep(&browser, "two-factor setup").await;
    let secret = secret_in(&browser.text_in(Region::Main).await);
    browser
        .fill("Code", &code_at(&secret, fresh_step(&app)))
        .await;
    browser.click_button("Confirm").await;
    browser
        .wait_for_text_in(Region::Heading, "Recovery codes")
        .await;
    html.keep(&browser, "recovery codes").await;
    let codes = recovery_codes_in(&browser.text_in(Region::Main).await);
    assert_eq!(codes.len(), 10, "ten recovery codes shown");
    browser.click_link("Continue").await;
    browser.wait_for_text("is on").await;

    // Sign out, sign in with a code.
    log_out(&browser).await;
    log_in_with_code(&browser, &app, &code_at(&secret, fresh_step(&app))).await;
    browser.wait_for_text_in(Region::Heading, "Overview").await;

    // Sign in with a recovery code; the same one fails the second time.
    log_out(&browser).await;
    log_in_with_code(&browser, &app, &codes[0]).await;
    browser.wait_for_text_in(Region::Heading, "Overview").await;
    log_out(&browser).await;
    log_in_with_code(&browser, &app, &codes[0]).await;
    browser.wait_for_text("That code is not right").await;
    html.keep(&browser, "authentication code refused").await;
    assert_eq!(browser.current_path().await, "/login/two-factor");

    // Require it in the organization: a member without it is sent to set it up.
    browser
        .fill("Authentication code", &code_at(&secret, fresh_step(&app)))
        .await;
    browser.click_button("Verify").await;
    browser.wait_for_text_in(Region::Heading, "Overview").await;
    let slug = "acme";
    app.member_with_role(slug, "Grace Hopper", Role::Viewer)
        .await;
    browser.click_link("Settings").await;
    browser
        .click_button("Require two-factor authentication")
        .await;
    browser.wait_for_text("Required: every member").await;
    html.keep(&browser, "settings with two-factor required")
        .await;
    browser
        .goto(&format!("{}/orgs/{slug}/members", app.address))
        .await;
    browser.wait_for_text_in(Region::Heading, "Members").await;
    let grace_row = browser.row_text("grace.hopper@example.com").await;
    assert!(grace_row.contains("Off"), "{grace_row}");
    log_out(&browser).await;

    browser
        .log_in(&app, "grace.hopper@example.com", "correct horse battery")
        .await;
    browser
        .goto(&format!("{}/orgs/{slug}/members", app.address))
        .await;
    browser
        .wait_for_text("Acme requires two-factor authentication")
        .await;
    assert_eq!(browser.current_path().await, "/account/security");
    html.keep(&browser, "two-factor required of a member").await;
    assert!(browser.has_text("Set up two-factor authentication").await);

    let errors = html.errors();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    browser.close().await;
}

/// The two-factor pages at desktop and phone width, under
/// target/screenshots/pages/two-factor/, for a person to look at (not in the test command).
#[actix_web::test]
#[ignore = "renders screenshots for people to look at"]
async fn two_factor_pages_at_both_widths() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    drop(ada);
    let browser = Browser::start().await;
    let shoot = async |name: &str| {
        for (width, height, label) in [(1280, 900, "desktop"), (390, 844, "phone")] {
            browser.resize(width, height).await;
            browser
                .screenshot_whole_page(&format!("pages/two-factor/{name}-{label}.png"))
                .await;
        }
        browser.resize(1280, 900).await;
    };
    browser
        .log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    browser
        .goto(&format!("{}/account/security", app.address))
        .await;
    shoot("security-off").await;
    browser
        .click_button("Set up two-factor authentication")
        .await;
    browser.wait_for_text("Or enter this key by hand").await;
    shoot("setup").await;
    let secret = secret_in(&browser.text_in(Region::Main).await);
    browser
        .fill("Code", &code_at(&secret, fresh_step(&app)))
        .await;
    browser.click_button("Confirm").await;
    browser
        .wait_for_text_in(Region::Heading, "Recovery codes")
        .await;
    shoot("recovery-codes").await;
    browser.click_link("Continue").await;
    browser.wait_for_text("is on").await;
    shoot("security-on").await;
    browser
        .goto(&format!("{}/orgs/{slug}/settings", app.address))
        .await;
    browser
        .click_button("Require two-factor authentication")
        .await;
    browser.wait_for_text("Required: every member").await;
    shoot("settings").await;
    browser
        .goto(&format!("{}/orgs/{slug}/members", app.address))
        .await;
    shoot("members").await;
    browser.log_out().await;
    browser
        .log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    browser.wait_for_text("Authentication code").await;
    shoot("login-code").await;
    browser.goto(&format!("{}/login", app.address)).await;
    browser
        .log_in(&app, "grace.hopper@example.com", "correct horse battery")
        .await;
    browser
        .goto(&format!("{}/orgs/{slug}/members", app.address))
        .await;
    browser
        .wait_for_text("Acme requires two-factor authentication")
        .await;
    shoot("required-of-member").await;
    browser.close().await;
}
