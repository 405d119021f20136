//! Journeys through the console in a real browser, step by step as a person
//! would take them.

use teamwork::domain::Role;

use crate::browser::{Browser, BrowserOptions, Region};
use crate::helpers::TestApp;

/// What `TestApp::signed_up` gives everyone.
const PASSWORD: &str = "correct horse battery";
const ADA: &str = "ada.admin@example.com";
const GRACE: &str = "grace.hopper@example.com";

fn members_page(app: &TestApp, slug: &str) -> String {
    format!("{}/orgs/{slug}/members", app.address)
}

/// Whether one line of the page reads exactly `line` (so "1 member" is not found in
/// "61 members").
fn has_line(page: &str, line: &str) -> bool {
    page.lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == line)
}

/// Ada Admin's organization "Acme" with Grace Hopper as a Viewer and Alan Turing as a
/// Developer (so that every row control exists more than once); Ada's browser is on
/// the Members page.
async fn acme_with_grace(app: &TestApp, options: BrowserOptions) -> (Browser, String) {
    let (_ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    app.member_with_role(&slug, "Alan Turing", Role::Developer)
        .await;
    let browser = Browser::start_with(options).await;
    browser.log_in(app, ADA, PASSWORD).await;
    browser.goto(&members_page(app, &slug)).await;
    browser.wait_for_text_in(Region::Heading, "Members").await;
    (browser, slug)
}

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

#[actix_web::test]
async fn administrator_changes_a_role_from_the_select_without_a_page_reload() {
    let app = TestApp::spawn().await;
    let (ada, slug) = acme_with_grace(&app, BrowserOptions::default()).await;

    // Grace is logged in before the change: her session must not keep her old role.
    let grace = Browser::start().await;
    grace.log_in(&app, GRACE, PASSWORD).await;
    let overview = format!("{}/orgs/{slug}", app.address);
    grace.goto(&overview).await;
    grace
        .wait_for_text_in(Region::Main, "You are a Viewer in this organization")
        .await;
    assert!(
        grace.has_text("Recent activity").await,
        "a Viewer sees the activity"
    );

    assert_eq!(ada.selected_option("Role of Grace Hopper").await, "Viewer");
    assert!(
        !ada.button_next_to_is_shown("Role of Grace Hopper", "Save")
            .await,
        "with JavaScript the select saves on change; its \"Save\" button is for plain forms"
    );
    ada.mark_page().await;
    ada.select("Role of Grace Hopper", "Developer").await;
    ada.wait_for_text("Grace Hopper is now a Developer").await;
    ada.screenshot("members-role-changed.png").await;
    assert!(
        ada.page_is_marked().await,
        "the role change reloaded the page; it should swap the row in place"
    );
    assert_eq!(ada.current_path().await, format!("/orgs/{slug}/members"));
    assert_eq!(
        ada.selected_option("Role of Grace Hopper").await,
        "Developer"
    );
    assert_eq!(
        ada.selected_option("Role of Alan Turing").await,
        "Developer",
        "only Grace's row changed"
    );
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Developer));

    // Grace's very next page already reflects her new role.
    grace.goto(&overview).await;
    grace
        .wait_for_text_in(Region::Main, "You are a Developer in this organization")
        .await;
    assert!(
        !grace.has_text("Recent activity").await,
        "a Developer does not see the activity log"
    );
    grace.goto(&members_page(&app, &slug)).await;
    grace.wait_for_text_in(Region::Heading, "Members").await;
    let row = grace.row_text("Grace Hopper").await;
    assert!(
        row.contains("Developer") && !row.contains("Viewer"),
        "Grace's row should read Developer, as a badge (a select would list every role); \
         it reads:\n{row}"
    );
    assert_eq!(
        grace.count_buttons("Remove").await,
        0,
        "a Developer removes nobody"
    );
    grace.close().await;
    ada.close().await;
}

#[actix_web::test]
async fn the_role_counts_follow_a_role_change_made_in_place() {
    let app = TestApp::spawn().await;
    let (ada, slug) = acme_with_grace(&app, BrowserOptions::default()).await;
    let before = "1 Administrator 1 Developer 0 Billing Manager 1 Viewer";
    assert!(ada.has_text(before).await, "{}", ada.page_text().await);

    ada.select("Role of Grace Hopper", "Developer").await;
    ada.wait_for_text("Grace Hopper is now a Developer").await;
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Developer));
    // The counts above the table are filters a person relies on ("1 Viewer": who?);
    // they must not keep showing the old role once the row says otherwise.
    ada.wait_for_text("1 Administrator 2 Developer 0 Billing Manager 0 Viewer")
        .await;
    ada.close().await;
}

#[actix_web::test]
async fn administrator_removes_a_member_through_the_confirmation() {
    let app = TestApp::spawn().await;
    let (ada, slug) = acme_with_grace(&app, BrowserOptions::default()).await;

    assert_eq!(
        ada.count_buttons("Remove").await,
        2,
        "one per member but Ada herself"
    );
    ada.click_button_named("Remove Grace Hopper").await;
    ada.wait_for_text_in(Region::Heading, "Remove member").await;
    let confirmation = ada.text_in(Region::Main).await;
    for expected in ["Grace Hopper", GRACE, "Viewer", "Acme", "stay active"] {
        assert!(
            confirmation.contains(expected),
            "the confirmation should mention {expected:?}; it shows:\n{confirmation}"
        );
    }
    assert!(!confirmation.contains("Alan Turing"), "{confirmation}");
    assert_eq!(
        app.role_of(&slug, GRACE),
        Some(Role::Viewer),
        "asking is not removing"
    );
    ada.screenshot("members-remove.png").await;

    ada.click_button("Remove member").await;
    ada.wait_for_text("Grace Hopper was removed from the organization")
        .await;
    assert_eq!(ada.current_path().await, format!("/orgs/{slug}/members"));
    assert_eq!(
        ada.row_text("Grace Hopper").await,
        "",
        "Grace is no longer listed"
    );
    assert!(!ada.has_text(GRACE).await);
    assert!(ada.row_text("Alan Turing").await.contains("Developer"));
    assert_eq!(app.role_of(&slug, GRACE), None);
    ada.close().await;
}

#[actix_web::test]
async fn the_only_administrator_cannot_leave() {
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    ada.goto(&members_page(&app, &slug)).await;

    ada.click_button("Leave organization").await;
    ada.wait_for_text_in(Region::Heading, "Leave organization")
        .await;
    // The page says why before offering a button that would fail.
    ada.wait_for_text("at least one administrator").await;
    assert_eq!(ada.count_buttons("Leave organization").await, 0);
    ada.screenshot("members-leave-refused.png").await;
    assert!(
        !ada.has_text("You left Acme").await,
        "{}",
        ada.page_text().await
    );
    assert_eq!(app.role_of(&slug, ADA), Some(Role::Administrator));
    ada.close().await;
}

#[actix_web::test]
async fn without_javascript_an_administrator_changes_a_role_and_removes_a_member() {
    let app = TestApp::spawn().await;
    let options = BrowserOptions { javascript: false };
    let (ada, slug) = acme_with_grace(&app, options).await;

    assert!(
        ada.button_next_to_is_shown("Role of Grace Hopper", "Save")
            .await,
        "without JavaScript the role select needs its \"Save\" button"
    );
    ada.screenshot("members-nojs.png").await;
    ada.select("Role of Grace Hopper", "Developer").await;
    assert_eq!(
        app.role_of(&slug, GRACE),
        Some(Role::Viewer),
        "nothing is saved before \"Save\""
    );
    ada.click_button_next_to("Role of Grace Hopper", "Save")
        .await;
    ada.wait_for_text("Grace Hopper is now a Developer").await;
    assert_eq!(ada.current_path().await, format!("/orgs/{slug}/members"));
    assert_eq!(
        ada.selected_option("Role of Grace Hopper").await,
        "Developer"
    );
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Developer));
    assert_eq!(
        app.role_of(&slug, "alan.turing@example.com"),
        Some(Role::Developer)
    );

    ada.click_button_named("Remove Grace Hopper").await;
    ada.wait_for_text_in(Region::Heading, "Remove member").await;
    assert!(ada.text_in(Region::Main).await.contains("stay active"));
    ada.click_button("Remove member").await;
    ada.wait_for_text("Grace Hopper was removed from the organization")
        .await;
    assert_eq!(ada.row_text("Grace Hopper").await, "");
    assert_eq!(app.role_of(&slug, GRACE), None);
    ada.close().await;
}

/// Adds Member 00001 to Member 000`n` (emails `member<i>@example.com`); member `i` is a
/// Viewer when `i % 3 == 1`, a Billing Manager when `i % 3 == 2`, else a Developer.
fn add_generated_members(app: &TestApp, slug: &str, n: i32) {
    use diesel::RunQueryDsl;
    diesel::sql_query(
        "WITH new_users AS ( \
           INSERT INTO users (id, email, name, password_hash) \
           SELECT gen_random_uuid(), 'member' || i || '@example.com', 'Member ' || lpad(i::text, 5, '0'), 'x' \
           FROM generate_series(1, $1) AS i RETURNING id, email) \
         INSERT INTO memberships (id, org_id, user_id, role) \
         SELECT gen_random_uuid(), $2, id, \
                (ARRAY['developer','viewer','billing_manager'])[1 + substring(email from '[0-9]+')::int % 3] \
         FROM new_users",
    )
    .bind::<diesel::sql_types::Integer, _>(n)
    .bind::<diesel::sql_types::Uuid, _>(app.org_id(slug))
    .execute(&mut app.conn())
    .unwrap();
}

#[actix_web::test]
async fn members_search_filters_the_table() {
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    add_generated_members(&app, &slug, 60);
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    ada.goto(&members_page(&app, &slug)).await;
    ada.wait_for_text("62 members").await;

    ada.resize(1280, 900).await;
    ada.screenshot("members-desktop.png").await;
    ada.resize(390, 844).await;
    ada.screenshot("members-phone.png").await;
    ada.resize(1280, 900).await;

    ada.mark_page().await;
    ada.fill("Search", "hopper").await;
    ada.wait_for_page("the table to narrow to Grace Hopper", |page| {
        has_line(page, "1 member") && !page.contains("Member 00001")
    })
    .await;
    assert!(ada.row_text("Grace Hopper").await.contains(GRACE));

    ada.fill("Search", "member 0000").await;
    ada.wait_for_page("Member 00001 to 00009", |page| {
        has_line(page, "9 members") && !page.contains("Grace Hopper")
    })
    .await;
    ada.select("Role", "Viewer").await;
    ada.wait_for_page("the Viewers among Member 00001 to 00009", |page| {
        has_line(page, "3 members")
    })
    .await;
    for viewer in ["Member 00001", "Member 00004", "Member 00007"] {
        assert_eq!(
            ada.selected_option(&format!("Role of {viewer}")).await,
            "Viewer"
        );
    }
    for other in ["Member 00002", "Member 00003", "Grace Hopper"] {
        assert!(!ada.has_text(other).await, "{other} is not a match");
    }
    assert!(
        ada.page_is_marked().await,
        "searching and filtering reloaded the page; htmx should swap the table"
    );
    let url = ada.client().current_url().await.expect("the current URL");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(
        query.contains(&("q".into(), "member 0000".into()))
            && query.contains(&("role".into(), "viewer".into())),
        "the address keeps the filters, to share or reload: {url}"
    );
    ada.close().await;
}

#[actix_web::test]
async fn billing_manager_reviews_usage_adds_credits_changes_plan_and_has_no_api_keys() {
    use crate::projects::{create_key, create_project, report};
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    for (project, key, tokens) in [
        ("Website", "production", 400_000),
        ("Mobile", "app", 150_000),
    ] {
        let path = create_project(&ada, &slug, project).await;
        let secret = create_key(&ada, &path, key).await;
        let body = serde_json::json!({ "model": "gpt-large", "input_tokens": tokens, "output_tokens": 20_000 });
        report(&app, &secret, body).await;
    }
    let bill = app
        .member_with_role(&slug, "Bill Payer", Role::BillingManager)
        .await;
    let browser = Browser::start().await;
    browser
        .log_in(&app, "bill.payer@example.com", PASSWORD)
        .await;
    browser.goto(&format!("{}/orgs/{slug}", app.address)).await;
    let nav = browser.text_in(Region::Navigation).await;
    assert!(nav.contains("Usage") && nav.contains("Billing"), "{nav}");
    assert!(
        !nav.contains("API keys"),
        "no API access for billing managers: {nav}"
    );

    browser.click_link("Usage").await;
    browser.wait_for_text_in(Region::Heading, "Usage").await;
    browser.wait_for_text("Cost per day").await;
    let bars = browser
        .client()
        .execute(
            "return document.querySelectorAll('svg.bar-chart rect').length",
            vec![],
        )
        .await
        .expect("counting the chart's bars");
    assert_eq!(
        bars,
        serde_json::json!(2),
        "one bar segment per project today"
    );
    assert!(browser.row_text("production").await.contains("Website"));
    assert!(browser.row_text("app").await.contains("Mobile"));
    browser.mark_page().await;
    browser.select("Period", "Last 7 days").await;
    browser.wait_for_text("Credits, last 7 days").await;
    assert!(
        browser.page_is_marked().await,
        "the period switches without a reload"
    );
    browser.screenshot("journey5-usage.png").await;

    browser.click_link("Billing").await;
    browser.wait_for_text_in(Region::Heading, "Billing").await;
    assert!(browser.has_text("Free").await);
    // 25 starting credits less 1.20 + 0.575 of usage.
    assert!(
        browser.has_text("23.225").await,
        "{}",
        browser.page_text().await
    );
    browser.fill("Amount", "50").await;
    browser.fill("Payment reference", "INV-1001").await;
    browser.click_button("Add credits").await;
    browser
        .wait_for_text("Added 50.00 credits. The balance is now 73.225.")
        .await;
    assert!(browser.row_text("INV-1001").await.contains("Bill Payer"));

    browser.select("Plan", "Team (up to 50 seats)").await;
    browser.click_button("Change plan").await;
    browser
        .wait_for_text("The plan is now Team, with up to 50 seats.")
        .await;
    browser.screenshot("journey5-billing.png").await;

    browser
        .goto(&format!("{}/orgs/{slug}/api-keys", app.address))
        .await;
    browser.wait_for_text("Not allowed").await;
    let refused = bill.get(&format!("/orgs/{slug}/api-keys")).await;
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);
    browser.close().await;
}
