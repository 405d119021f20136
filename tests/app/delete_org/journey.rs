//! The browser journey of deleting an organization and restoring it.

use teamwork::domain::Role;

use super::ADA;
use crate::helpers::TestApp;

/// The browser journey: an administrator deletes the organization from Settings (a
/// wrong name first), finds it on the home page and restores it. Each page is checked
/// by the Nu Html Checker and axe, and photographed at desktop and phone width.
#[actix_web::test]
async fn an_administrator_deletes_an_organization_and_restores_it_in_the_browser() {
    use crate::browser::{Browser, Region};
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    let browser = Browser::start().await;
    browser.log_in(&app, ADA, "correct horse battery").await;
    let mut html = crate::html_check::HtmlCheck::default();
    let mut violations = Vec::new();
    let shoot = async |name: &str| {
        for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
            browser.resize(width, height).await;
            browser
                .screenshot_whole_page(&format!("delete-org/{name}-{size}.png"))
                .await;
        }
        browser.resize(1280, 900).await;
    };

    browser
        .goto(&format!("{}/orgs/{slug}/settings", app.address))
        .await;
    browser.wait_for_text_in(Region::Heading, "Settings").await;
    shoot("settings").await;
    browser.click_button("Delete organization").await;
    browser
        .wait_for_text_in(Region::Heading, "Delete organization")
        .await;
    html.keep(&browser, "delete").await;
    violations.extend(crate::a11y::serious_violations(&browser, "delete").await);
    shoot("delete").await;

    let confirm = "Type the organization's name to confirm";
    browser.fill(confirm, "acme").await;
    browser.click_button("Delete organization").await;
    browser
        .wait_for_text("That is not the name of this organization")
        .await;
    html.keep(&browser, "delete-wrong-name").await;
    violations.extend(crate::a11y::serious_violations(&browser, "delete-wrong-name").await);
    assert_eq!(
        app.count_where("organizations", "deleted_at IS NOT NULL"),
        0
    );

    browser.fill(confirm, "Acme").await;
    browser.click_button("Delete organization").await;
    browser
        .wait_for_text_in(Region::Heading, "Organizations")
        .await;
    assert!(
        browser
            .has_text("Acme was deleted. You can restore it until")
            .await
    );
    assert!(browser.has_text("Deleted organizations").await);
    html.keep(&browser, "home-with-deleted").await;
    violations.extend(crate::a11y::serious_violations(&browser, "home-with-deleted").await);
    shoot("home").await;

    browser.click_link("Restore Acme").await;
    browser
        .wait_for_text_in(Region::Heading, "Restore organization")
        .await;
    html.keep(&browser, "restore").await;
    violations.extend(crate::a11y::serious_violations(&browser, "restore").await);
    shoot("restore").await;
    browser.click_button("Restore").await;
    browser.wait_for_text("Acme was restored.").await;
    assert_eq!(browser.current_path().await, "/orgs/acme");
    assert_eq!(
        app.count_where("organizations", "deleted_at IS NOT NULL"),
        0
    );
    browser.close().await;

    let errors = html.errors();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
