//! "Access health": each check counts what it finds in the organization as it is now,
//! links to its fix, and the sidebar shows how many checks need a look.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::{ProjectRole, Role};

use crate::browser::Browser;
use crate::helpers::TestApp;
use crate::projects::{create_key, create_project};

/// The checklist line that holds `title`, as HTML.
fn line<'a>(page: &'a str, title: &str) -> &'a str {
    let start = page
        .find(title)
        .unwrap_or_else(|| panic!("no check {title:?}"));
    let end = page[start..].find("</li>").unwrap() + start;
    &page[start..end]
}

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement)
        .execute(&mut app.conn())
        .unwrap();
}

fn badge(page: &str) -> Option<String> {
    let at = page.find("class=\"nav-badge\">")? + "class=\"nav-badge\">".len();
    Some(page[at..at + page[at..].find('<').unwrap()].to_owned())
}

#[actix_web::test]
async fn a_new_organization_needs_a_second_administrator_and_two_factor() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let page = admin.get_text(&format!("/orgs/{slug}/health")).await;
    assert!(page.contains("<h1>Access health</h1>"));
    let admins = line(&page, "At least two administrators");
    assert!(admins.contains("1 administrator") && admins.contains("Invite an administrator"));
    let two_factor = line(&page, "Members without two-factor authentication");
    assert!(two_factor.contains("1 person") && two_factor.contains("/settings"));
    assert!(line(&page, "API keys unused for 90 days").contains("0 keys"));
    assert!(page.contains("2 of 7 checks need a look"));
    // The sidebar says so on every page an administrator opens.
    let members = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(members.contains(">Access health"));
    assert_eq!(badge(&members).as_deref(), Some("2"));
}

#[actix_web::test]
async fn every_check_counts_what_it_finds() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    let website = create_project(&admin, &slug, "Website").await;
    let project_id: uuid::Uuid = website.rsplit('/').next().unwrap().parse().unwrap();
    app.member_with_role(&slug, "Bob", Role::Administrator)
        .await;
    // Bob was last seen 100 days ago.
    sql(
        &app,
        "UPDATE users SET last_active_at = now() - interval '100 days' WHERE email = 'bob@example.com'",
    );
    sql(
        &app,
        "UPDATE memberships SET created_at = now() - interval '200 days'",
    );
    // Grace made two keys and left: both stay active, one of them unused for 100 days.
    let grace = app.member_with_role(&slug, "Grace", Role::Developer).await;
    create_key(&grace, &website, "grace-prod").await;
    create_key(&grace, &website, "grace-old").await;
    sql(
        &app,
        "UPDATE api_keys SET created_at = now() - interval '100 days' WHERE name = 'grace-old'",
    );
    let grace_id = app.user_id("grace@example.com");
    admin
        .post_form(&format!("/orgs/{slug}/members/{grace_id}/remove"), &[])
        .await;
    // A contractor with no end date; two invitations, one sent 4 days ago.
    app.project_only_member(&slug, project_id, "Carla", ProjectRole::Developer)
        .await;
    admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[
                ("emails", "old@example.com new@example.com"),
                ("role", "viewer"),
            ],
        )
        .await;
    sql(
        &app,
        "UPDATE invitations SET sent_at = now() - interval '4 days' WHERE email = 'old@example.com'",
    );

    let page = admin.get_text(&format!("/orgs/{slug}/health")).await;
    let admins = line(&page, "At least two administrators");
    assert!(admins.contains("2 administrators") && !admins.contains("Invite"));
    assert!(line(&page, "Invitations pending more than 3 days").contains("1 invitation"));
    assert!(line(&page, "no longer members").contains("2 keys"));
    assert!(line(&page, "API keys unused for 90 days").contains("1 key"));
    let open_ended = line(&page, "Project-only access without an end date");
    assert!(open_ended.contains("1 person") && open_ended.contains("Set Access until"));
    // Ada, Bob and Carla: nobody turned two-factor on.
    assert!(line(&page, "without two-factor").contains("3 people"));
    let inactive = line(&page, "Administrators inactive for 90 days");
    assert!(inactive.contains("1 administrator") && inactive.contains("sort=active"));
    assert_eq!(badge(&page).as_deref(), Some("6"));

    // Never cached: a fix shows on the next request.
    sql(&app, "UPDATE api_keys SET revoked_at = now()");
    let page = admin.get_text(&format!("/orgs/{slug}/health")).await;
    assert!(line(&page, "no longer members").contains("0 keys"));
    assert_eq!(badge(&page).as_deref(), Some("4"));
}

#[actix_web::test]
async fn viewers_see_access_health_and_other_roles_do_not() {
    let app = TestApp::spawn().await;
    let (_, slug) = app.admin_with_org("Acme").await;
    let viewer = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let page = viewer.get_text(&format!("/orgs/{slug}/health")).await;
    // A viewer is sent where they can look, not to forms they cannot use.
    assert!(line(&page, "At least two administrators").contains("See administrators"));
    for role in [Role::Developer, Role::BillingManager] {
        let member = app
            .member_with_role(&slug, &format!("Someone {}", role.as_str()), role)
            .await;
        let health = member.get(&format!("/orgs/{slug}/health")).await;
        assert_eq!(health.status(), StatusCode::FORBIDDEN);
        let members = member.get_text(&format!("/orgs/{slug}")).await;
        assert!(!members.contains("Access health") && badge(&members).is_none());
    }
}

#[actix_web::test]
async fn a_viewer_opens_access_health_from_the_sidebar_and_follows_a_fix() {
    let app = TestApp::spawn().await;
    let (_, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let browser = Browser::start().await;
    browser
        .log_in(&app, "vera@example.com", "correct horse battery")
        .await;
    browser.goto(&format!("{}/orgs/{slug}", app.address)).await;
    browser.click_link("Access health 2 open").await;
    browser.wait_for_text("checks need a look").await;
    browser.screenshot("access-health").await;
    browser.resize(390, 844).await;
    browser.screenshot("access-health-narrow").await;
    browser.resize(1280, 800).await;
    browser.click_link("See administrators").await;
    browser
        .wait_until("the members page", async || {
            browser.current_path().await.ends_with("/members")
        })
        .await;
    browser.close().await;
}

/// The badge is kept for a minute: a change made behind the app's back shows once the
/// minute has passed, a change recorded in the activity log on the very next page.
#[actix_web::test]
async fn the_badge_is_kept_for_a_minute_and_follows_recorded_changes_at_once() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let overview = format!("/orgs/{slug}");
    // One administrator, nobody with two-factor.
    assert_eq!(
        badge(&admin.get_text(&overview).await).as_deref(),
        Some("2")
    );

    // A second administrator written straight into the database records nothing.
    app.member_with_role(&slug, "Bob", Role::Administrator)
        .await;
    assert_eq!(
        badge(&admin.get_text(&overview).await).as_deref(),
        Some("2"),
        "kept for a minute"
    );
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(
        badge(&admin.get_text(&overview).await).as_deref(),
        Some("1")
    );

    // Removing him is recorded, so the next page counts again: one administrator left.
    let bob = app.user_id("bob@example.com");
    let removed = admin
        .post_form(&format!("/orgs/{slug}/members/{bob}/remove"), &[])
        .await;
    assert!(removed.status().is_redirection(), "{}", removed.status());
    assert_eq!(app.role_of(&slug, "bob@example.com"), None);
    assert_eq!(
        badge(&admin.get_text(&overview).await).as_deref(),
        Some("2")
    );
    // The Access health page counts now, and its sidebar and the next page agree with it.
    sql(
        &app,
        "INSERT INTO two_factor_secrets (user_id, secret_encrypted, enabled_at) \
         SELECT id, '\\x00'::bytea, now() FROM users WHERE email = 'ada.admin@example.com'",
    );
    let page = admin.get_text(&format!("/orgs/{slug}/health")).await;
    assert!(page.contains("1 of 7 checks need a look"));
    assert_eq!(badge(&page).as_deref(), Some("1"));
    assert_eq!(
        badge(&admin.get_text(&overview).await).as_deref(),
        Some("1")
    );
}
