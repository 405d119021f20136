//! The Activity log's "Member" field in a browser: a search as one types (htmx), and a
//! results list after "Apply" without JavaScript, at desktop and phone width.

use reqwest::StatusCode;
use teamwork::domain::Role;

use crate::browser::{Browser, BrowserOptions};
use crate::helpers::TestApp;

const PASSWORD: &str = "correct horse battery";
const ADA: &str = "ada.admin@example.com";
const SIZES: [(u32, u32, &str); 2] = [(1280, 900, "desktop"), (390, 844, "phone")];

/// An organization of 302 members where Grace Hopper's role was changed.
async fn organization(app: &TestApp) -> String {
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    app.member_with_role(&slug, "Grace Kelly", Role::Viewer)
        .await;
    app.add_generated_members(&slug, "Member", 300);
    let grace = app.user_id("grace.hopper@example.com");
    let changed = admin
        .post_form(
            &format!("/orgs/{slug}/members/{grace}/role"),
            &[("role", "developer")],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    slug
}

#[actix_web::test]
async fn the_member_filter_finds_people_as_one_types() {
    let app = TestApp::spawn().await;
    let slug = organization(&app).await;
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    let log = format!("{}/orgs/{slug}/activity", app.address);
    for (width, height, size) in SIZES {
        ada.resize(width, height).await;
        ada.goto(&log).await;
        ada.wait_for_text("created the organization Acme").await;
        ada.mark_page().await;
        ada.fill("Member", "hopper").await;
        ada.wait_for_text("grace.hopper@example.com").await;
        assert!(
            !ada.has_text("Grace Kelly").await,
            "only the people who match"
        );
        assert!(ada.page_is_marked().await, "the results came in place");
        ada.screenshot(&format!("activity-member-search-{size}.png"))
            .await;
        ada.click_link("Grace Hopper").await;
        ada.wait_for_text("Show everyone").await;
        assert!(ada.has_text("changed Grace Hopper's role").await);
        assert!(
            !ada.has_text("created the organization Acme").await,
            "the log shows only Grace Hopper's entries"
        );
        ada.screenshot(&format!("activity-member-chosen-{size}.png"))
            .await;
    }
    ada.close().await;
}

#[actix_web::test]
async fn without_javascript_the_member_filter_lists_matches_to_pick_from() {
    let app = TestApp::spawn().await;
    let slug = organization(&app).await;
    let ada = Browser::start_with(BrowserOptions { javascript: false }).await;
    ada.log_in(&app, ADA, PASSWORD).await;
    let log = format!("{}/orgs/{slug}/activity", app.address);
    for (width, height, size) in SIZES {
        ada.resize(width, height).await;
        ada.goto(&log).await;
        ada.fill("Member", "GRACE").await;
        ada.click_button("Apply").await;
        ada.wait_for_text("grace.kelly@example.com").await;
        assert!(ada.has_text("grace.hopper@example.com").await);
        assert!(!ada.has_text("member1@example.com").await);
        ada.screenshot(&format!("activity-member-search-nojs-{size}.png"))
            .await;
        ada.click_link("Grace Hopper").await;
        ada.wait_for_text("Show everyone").await;
        assert!(ada.has_text("changed Grace Hopper's role").await);
        assert!(!ada.has_text("created the organization Acme").await);
    }
    ada.close().await;
}
