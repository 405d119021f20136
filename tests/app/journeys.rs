//! Journeys through the console in a real browser, step by step as a person
//! would take them.

use diesel::RunQueryDsl;
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
    signs_up_and_creates_an_organization(true).await;
}

#[actix_web::test]
async fn without_javascript_new_user_signs_up_creates_an_organization_and_sees_members() {
    signs_up_and_creates_an_organization(false).await;
}

/// Journey 1: sign up, create an organization, land on its Members page.
async fn signs_up_and_creates_an_organization(javascript: bool) {
    let app = TestApp::spawn().await;
    let browser = Browser::start_with(BrowserOptions { javascript }).await;

    browser.goto(&format!("{}/signup", app.address)).await;
    browser.fill("Name", "Ada Lovelace").await;
    browser.fill("Email", "ada@example.com").await;
    browser
        .fill("Password", "correct horse battery staple")
        .await;
    browser.click_button("Create account").await;
    // Signing up signs nobody in (the answer must not tell whether the address had an
    // account): the new user logs in.
    browser
        .wait_for_text_in(Region::Heading, "Check your email to finish")
        .await;
    browser.click_link("Log in").await;
    browser.fill("Email", "ada@example.com").await;
    browser
        .fill("Password", "correct horse battery staple")
        .await;
    browser.click_button("Log in").await;

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
    browser.wait_for_text_in(Region::Heading, "Members").await;
    assert_eq!(browser.page_scripts_ran().await, javascript);
    assert!(browser.current_path().await.ends_with("/members"));
    assert_eq!(browser.title().await, "Members · Acme · Teamwork");
    let me = browser.row_text("ada@example.com").await;
    assert!(
        me.contains("Ada Lovelace") && me.contains("Administrator"),
        "{me}"
    );
    if javascript {
        browser.screenshot("journey1-members.png").await;
    }
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
        "with JavaScript \"Save\" shows only once the choice differs from the saved role"
    );
    ada.mark_page().await;
    ada.select("Role of Grace Hopper", "Developer").await;
    assert!(
        ada.button_next_to_is_shown("Role of Grace Hopper", "Save")
            .await,
        "a different choice offers \"Save\""
    );
    assert_eq!(
        app.role_of(&slug, GRACE),
        Some(Role::Viewer),
        "choosing is not saving"
    );
    ada.click_button_next_to("Role of Grace Hopper", "Save")
        .await;
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
    ada.click_button_next_to("Role of Grace Hopper", "Save")
        .await;
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
    ada.click_named("Remove Grace Hopper").await;
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

    ada.click_link("Leave organization").await;
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

    ada.click_named("Remove Grace Hopper").await;
    ada.wait_for_text_in(Region::Heading, "Remove member").await;
    assert!(ada.text_in(Region::Main).await.contains("stay active"));
    ada.click_button("Remove member").await;
    ada.wait_for_text("Grace Hopper was removed from the organization")
        .await;
    assert_eq!(ada.row_text("Grace Hopper").await, "");
    assert_eq!(app.role_of(&slug, GRACE), None);
    ada.close().await;
}

#[actix_web::test]
async fn granting_administrator_asks_first_and_undo_puts_the_previous_role_back() {
    let app = TestApp::spawn().await;
    let (ada, slug) = acme_with_grace(&app, BrowserOptions::default()).await;
    ada.mark_page().await;

    ada.select("Role of Grace Hopper", "Administrator").await;
    ada.click_button_next_to("Role of Grace Hopper", "Save")
        .await;
    ada.wait_for_text("Make Grace Hopper an Administrator?")
        .await;
    let question = ada.row_text("Make Grace Hopper").await;
    assert!(
        question.contains("change anyone's role"),
        "the question names the consequence: {question}"
    );
    assert_eq!(
        app.role_of(&slug, GRACE),
        Some(Role::Viewer),
        "asking is not granting"
    );
    ada.screenshot("members-grant-admin-confirm.png").await;
    ada.resize(390, 844).await;
    ada.screenshot("members-grant-admin-confirm-phone.png")
        .await;
    ada.resize(1280, 900).await;

    ada.click_link("Cancel").await;
    ada.wait_until("Grace's row back", async || {
        ada.row_text("Grace Hopper")
            .await
            .contains("grace.hopper@example.com")
    })
    .await;
    assert_eq!(ada.selected_option("Role of Grace Hopper").await, "Viewer");
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Viewer));
    ada.wait_until("the focus back on Grace's role", async || {
        ada.has_focus("Role of Grace Hopper").await
    })
    .await;

    ada.select("Role of Grace Hopper", "Administrator").await;
    ada.click_button_next_to("Role of Grace Hopper", "Save")
        .await;
    ada.click_button("Make Administrator").await;
    ada.wait_for_text("Grace Hopper is now an Administrator")
        .await;
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Administrator));
    ada.screenshot("members-role-changed-undo.png").await;

    ada.click_named("Undo: make Grace Hopper a Viewer again")
        .await;
    ada.wait_for_text("Grace Hopper is now a Viewer").await;
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Viewer));
    assert_eq!(ada.selected_option("Role of Grace Hopper").await, "Viewer");
    assert!(ada.page_is_marked().await, "all of it in place, no reload");
    // Undo is one more role change, recorded like the others.
    let changes = app.count_where("activity", "action = 'member.role_changed'");
    assert_eq!(changes, 2);
    ada.close().await;
}

#[actix_web::test]
async fn without_javascript_removing_administrator_goes_through_a_confirmation_page_and_can_be_undone()
 {
    let app = TestApp::spawn().await;
    let options = BrowserOptions { javascript: false };
    let (_ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Administrator)
        .await;
    let ada = Browser::start_with(options).await;
    ada.log_in(&app, ADA, PASSWORD).await;
    ada.goto(&members_page(&app, &slug)).await;

    ada.select("Role of Grace Hopper", "Developer").await;
    ada.click_button_next_to("Role of Grace Hopper", "Save")
        .await;
    ada.wait_for_text_in(Region::Heading, "Change role").await;
    let page = ada.text_in(Region::Main).await;
    assert!(
        page.contains("Remove Administrator from Grace Hopper")
            && page.contains("no longer be able to"),
        "{page}"
    );
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Administrator));
    ada.screenshot("members-remove-admin-confirm-nojs.png")
        .await;

    ada.click_button("Change to Developer").await;
    ada.wait_for_text("Grace Hopper is now a Developer").await;
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Developer));
    assert_eq!(ada.current_path().await, format!("/orgs/{slug}/members"));

    ada.click_named("Undo: make Grace Hopper an Administrator again")
        .await;
    ada.wait_for_text("Grace Hopper is now an Administrator")
        .await;
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Administrator));
    ada.close().await;
}

#[actix_web::test]
async fn cancelling_an_invitation_takes_its_row_away_in_place() {
    let app = TestApp::spawn().await;
    let (ada_http, slug) = app.admin_with_org("Acme").await;
    for address in ["keep@example.com", "drop@example.com"] {
        let invited = ada_http
            .post_form(
                &format!("/orgs/{slug}/invitations"),
                &[("emails", address), ("role", "viewer")],
            )
            .await;
        assert_eq!(invited.status(), reqwest::StatusCode::OK);
    }
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    ada.goto(&members_page(&app, &slug)).await;
    ada.wait_for_text_in(Region::Heading, "Members").await;
    ada.mark_page().await;

    ada.click_named("Cancel the invitation to drop@example.com")
        .await;
    ada.click_button("Cancel invitation").await;
    ada.wait_for_text("Invitation to drop@example.com cancelled")
        .await;
    ada.wait_until("the cancelled row to go", async || {
        ada.row_text("drop@example.com").await.is_empty()
    })
    .await;
    assert!(ada.page_is_marked().await, "no reload");
    assert!(ada.row_text("keep@example.com").await.contains("Viewer"));
    assert_eq!(
        app.count_where("invitations", "status = 'pending'"),
        1,
        "one invitation left pending"
    );
    ada.close().await;
}

#[actix_web::test]
async fn the_one_administrator_notice_is_dismissed_in_place_and_stays_dismissed() {
    let app = TestApp::spawn().await;
    let (ada, slug) = acme_with_grace(&app, BrowserOptions::default()).await;
    let notice = "This organization has only one administrator";
    ada.wait_for_text(notice).await;
    ada.mark_page().await;
    ada.click_named("Dismiss this notice").await;
    ada.wait_for_page("the notice to go", |page| !page.contains(notice))
        .await;
    assert!(ada.page_is_marked().await, "no reload");
    ada.goto(&members_page(&app, &slug)).await;
    ada.wait_for_text_in(Region::Heading, "Members").await;
    assert!(
        !ada.has_text(notice).await,
        "still dismissed on the next visit"
    );
    ada.close().await;
}

#[actix_web::test]
async fn a_bulk_invitation_marks_what_is_not_an_address_before_sending_anything() {
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    // The one-administrator notice offers to invite one: the form comes preset.
    ada.goto(&format!(
        "{}/orgs/{slug}/invitations/new?role=administrator",
        app.address
    ))
    .await;
    assert_eq!(ada.selected_option("Role").await, "Administrator");
    assert!(
        ada.has_text("Sees usage; adds credits and changes the plan.")
            .await,
        "each role says what it may do"
    );

    ada.fill(
        "Email address",
        "ann@example.com, not-an-address\nbob@example.com",
    )
    .await;
    ada.select("Role", "Viewer").await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text("Fix or remove this address before sending: not-an-address")
        .await;
    assert!(ada.has_text("not-an-address (not an address)").await);
    assert_eq!(app.count("invitations"), 0, "nothing was sent");
    assert!(
        ada.field_value("Email address")
            .await
            .contains("bob@example.com"),
        "the valid addresses are kept"
    );
    ada.screenshot("invite-address-check.png").await;

    ada.fill("Email address", "ann@example.com bob@example.com")
        .await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text_in(Region::Heading, "Review invitations")
        .await;
    assert_eq!(app.count("invitations"), 0, "the preview sends nothing");
    ada.click_button("Send 2 invitations").await;
    ada.wait_for_text_in(Region::Heading, "Invitations").await;
    assert_eq!(app.count("invitations"), 2);
    assert!(ada.has_text("Back to Members").await);
    ada.close().await;
}

#[actix_web::test]
async fn the_project_role_select_saves_only_on_save_and_offers_undo() {
    let app = TestApp::spawn().await;
    let (ada_http, slug) = app.admin_with_org("Acme").await;
    let project = crate::helpers::location(
        &ada_http
            .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Website")])
            .await,
    );
    let project_id = project.rsplit('/').next().unwrap().parse().unwrap();
    app.project_only_member(
        &slug,
        project_id,
        "Carla Contractor",
        teamwork::domain::ProjectRole::Viewer,
    )
    .await;
    let viewers = || app.count_where("project_members", "role = 'viewer'");
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    ada.goto(&format!("{}{project}", app.address)).await;
    ada.wait_for_text_in(Region::Heading, "Website").await;
    let label = "Project role of Carla Contractor";
    assert!(!ada.button_next_to_is_shown(label, "Save").await);
    ada.select(label, "Developer").await;
    assert!(ada.button_next_to_is_shown(label, "Save").await);
    assert_eq!(viewers(), 1, "choosing is not saving");

    ada.click_button_next_to(label, "Save").await;
    ada.wait_for_text("Carla Contractor is now a project Developer")
        .await;
    assert_eq!(viewers(), 0);
    ada.click_named("Undo: make Carla Contractor a project Viewer again")
        .await;
    ada.wait_for_text("Carla Contractor is now a project Viewer")
        .await;
    assert_eq!(viewers(), 1);
    assert_eq!(ada.selected_option(label).await, "Viewer");
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
    crate::helpers::recount(&mut app.conn(), app.org_id(slug));
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

// ------------------------------------------------------------------ journey 2

const NINA: &str = "nina.new@example.com";
const BOB: &str = "bob.builder@example.com";
const CAROL: &str = "carol.cook@example.com";

/// Journey 2: Ada invites three people at once; Nina has no account and signs up from
/// the link, Bob has one and logs in to accept, Carol's invitation is sent again and
/// her first link stops working.
async fn invites_three_people_at_once(javascript: bool) {
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    let _bob = app.signed_up("Bob Builder").await;
    let options = || BrowserOptions { javascript };

    let ada = Browser::start_with(options()).await;
    ada.log_in(&app, ADA, PASSWORD).await;
    ada.goto(&members_page(&app, &slug)).await;
    ada.wait_for_text_in(Region::Heading, "Members").await;
    assert_eq!(ada.page_scripts_ran().await, javascript);
    ada.click_link("Invite Member").await;
    ada.wait_for_text_in(Region::Heading, "Invite Member").await;
    ada.fill("Email address", &format!("{NINA}, {BOB}\n{CAROL}"))
        .await;
    ada.select("Role", "Developer").await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text_in(Region::Heading, "Review invitations")
        .await;
    ada.click_button("Send 3 invitations").await;
    ada.wait_for_text("3 invitations sent").await;
    for email in [NINA, BOB, CAROL] {
        let row = ada.row_text(email).await;
        assert!(row.contains("Invited"), "{email}: {row}");
    }

    // The emails arrive at the SMTP server, one per address.
    let subject = "Ada Admin invited you to join Acme on Teamwork";
    for email in [NINA, BOB, CAROL] {
        app.mail_with_subject(email, subject).await;
    }

    // Nina has no account: the link lets her create one for the invited address.
    let nina = Browser::start_with(options()).await;
    let nina_link = app.join_path(NINA, 1).await;
    nina.goto(&format!("{}{nina_link}", app.address)).await;
    nina.wait_for_text_in(Region::Heading, "Join Acme").await;
    let invitation = nina.text_in(Region::Main).await;
    for expected in ["Ada Admin", "Acme", "Developer"] {
        assert!(invitation.contains(expected), "{expected}: {invitation}");
    }
    assert_eq!(nina.field_value("Email").await, NINA);
    assert!(
        !nina.field_is_editable("Email").await,
        "the invitation is for this address: the field is fixed"
    );
    nina.fill("Name", "Nina New").await;
    nina.fill("Password", PASSWORD).await;
    nina.click_button("Create account and join").await;
    nina.wait_for_text("Welcome to Acme! You joined as a Developer.")
        .await;
    assert_eq!(nina.current_path().await, format!("/orgs/{slug}/members"));
    nina.wait_for_text_in(Region::Heading, "Members").await;
    assert_eq!(app.role_of(&slug, NINA), Some(Role::Developer));
    nina.close().await;

    // Bob has an account: he confirms his address, logging in first (only a session of
    // his account can confirm it, R43), then accepts from the link.
    let bob = Browser::start_with(options()).await;
    let confirm = app.mailed_path(BOB, "/verify-email/", 1).await;
    bob.goto(&format!("{}{confirm}", app.address)).await;
    bob.click_button("Confirm email").await;
    bob.wait_for_text_in(Region::Heading, "Log in").await;
    bob.fill("Email", BOB).await;
    bob.fill("Password", PASSWORD).await;
    bob.click_button("Log in").await;
    bob.wait_for_text_in(Region::Heading, "Confirm your email address")
        .await;
    bob.click_button("Confirm email").await;
    bob.wait_for_text(&format!("Thanks, {BOB} is confirmed."))
        .await;
    let bob_link = app.join_path(BOB, 1).await;
    bob.goto(&format!("{}{bob_link}", app.address)).await;
    bob.wait_for_text_in(Region::Heading, "Join Acme").await;
    assert_eq!(
        app.role_of(&slug, BOB),
        None,
        "opening the link is not accepting"
    );
    bob.click_button("Accept invitation").await;
    bob.wait_for_text("Welcome to Acme! You joined as a Developer.")
        .await;
    assert_eq!(bob.current_path().await, format!("/orgs/{slug}/members"));
    assert_eq!(app.role_of(&slug, BOB), Some(Role::Developer));
    bob.close().await;

    // Carol's invitation is sent again from the Members page: her first link dies.
    ada.goto(&members_page(&app, &slug)).await;
    ada.wait_for_text_in(Region::Heading, "Members").await;
    for joined in ["Nina New", "Bob Builder"] {
        assert!(
            ada.row_text(joined).await.contains("Developer"),
            "{joined} is listed as a member"
        );
    }
    let pending = ada.row_text(CAROL).await;
    assert!(pending.contains("Developer"), "{pending}");
    assert!(
        !ada.has_text(NINA).await || ada.row_text(NINA).await.contains("Nina New"),
        "Nina's invitation is no longer pending"
    );
    if javascript {
        ada.mark_page().await;
    }
    ada.click_named(&format!("Resend the invitation to {CAROL}"))
        .await;
    ada.wait_for_text(&format!(
        "Invitation to {CAROL} sent again. The previous link no longer works."
    ))
    .await;
    if javascript {
        assert!(
            ada.page_is_marked().await,
            "Resend swapped Carol's row in place, no reload"
        );
        assert!(ada.row_text(CAROL).await.contains("Expires in 7 days"));
    }
    let first = app.join_path(CAROL, 1).await;
    let second = app.join_path(CAROL, 2).await;
    assert_ne!(first, second, "a new link");

    let carol = Browser::start_with(options()).await;
    carol.goto(&format!("{}{first}", app.address)).await;
    carol
        .wait_for_text_in(Region::Heading, "This invitation link is not valid")
        .await;
    assert!(
        carol.has_text("ask an administrator").await,
        "the page says what to do: {}",
        carol.page_text().await
    );
    carol.goto(&format!("{}{second}", app.address)).await;
    carol.wait_for_text_in(Region::Heading, "Join Acme").await;
    assert!(carol.has_text("Create account and join").await);
    carol.close().await;
    ada.close().await;
}

#[actix_web::test]
async fn administrator_invites_three_people_who_join_their_own_ways() {
    invites_three_people_at_once(true).await;
}

#[actix_web::test]
async fn without_javascript_administrator_invites_three_people_who_join_their_own_ways() {
    invites_three_people_at_once(false).await;
}

// ------------------------------------------------------------------ journey 3

/// The API key on the secret page ("Copy your API key"), as a person would copy it.
async fn shown_secret(browser: &Browser) -> String {
    browser
        .wait_for_text_in(Region::Heading, "Copy your API key")
        .await;
    let page = browser.text_in(Region::Main).await;
    let start = page.find("tw_live_").expect("the secret on the page");
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// Journey 3, end to end: Ada makes Grace a Developer from the role select; Grace's
/// next page already lets her create a project and an API key; Ada removes Grace,
/// the confirmation names the key, and Ada rotates it.
async fn changes_a_role_then_removes_a_member_with_a_key(javascript: bool) {
    let app = TestApp::spawn().await;
    let (ada, slug) = acme_with_grace(&app, BrowserOptions { javascript }).await;
    let grace = Browser::start_with(BrowserOptions { javascript }).await;
    grace.log_in(&app, GRACE, PASSWORD).await;
    let projects = format!("{}/orgs/{slug}/projects", app.address);
    grace.goto(&projects).await;
    grace.wait_for_text_in(Region::Heading, "Projects").await;
    assert!(
        !grace.has_text("New project").await,
        "a Viewer creates no project"
    );

    assert_eq!(ada.page_scripts_ran().await, javascript);
    if javascript {
        ada.mark_page().await;
    }
    ada.select("Role of Grace Hopper", "Developer").await;
    ada.click_button_next_to("Role of Grace Hopper", "Save")
        .await;
    ada.wait_for_text("Grace Hopper is now a Developer").await;
    if javascript {
        assert!(ada.page_is_marked().await, "changed in place, no reload");
    }
    assert_eq!(app.role_of(&slug, GRACE), Some(Role::Developer));

    // Grace's very next page lets her create a project and a key.
    grace.goto(&projects).await;
    grace.click_link("New project").await;
    grace.fill("Project name", "Website").await;
    grace.click_button("Create project").await;
    grace.wait_for_text_in(Region::Heading, "Website").await;
    let project = grace.current_path().await;
    grace.fill("Key name", "grace-laptop").await;
    grace.click_button("Create key").await;
    let secret = shown_secret(&grace).await;
    grace.click_link("Done").await;
    grace.wait_for_text_in(Region::Heading, "Website").await;
    assert!(grace.row_text("grace-laptop").await.contains("Active"));
    assert!(!grace.has_text(&secret).await, "the secret is shown once");

    // Ada removes Grace; the confirmation names the key to rotate.
    ada.goto(&members_page(&app, &slug)).await;
    ada.click_named("Remove Grace Hopper").await;
    ada.wait_for_text_in(Region::Heading, "Remove member").await;
    let confirmation = ada.text_in(Region::Main).await;
    for expected in ["Keys Grace Hopper created", "stay active"] {
        assert!(
            confirmation.contains(expected),
            "{expected:?} in:\n{confirmation}"
        );
    }
    let key_row = ada.row_text("grace-laptop").await;
    for expected in ["Website", &secret[..16], "never"] {
        assert!(key_row.contains(expected), "{expected:?} in {key_row:?}");
    }
    // Never used, so not chosen for rotation: the key is rotated later from its project.
    assert!(
        ada.controls()
            .await
            .contains(&"field: Rotate grace-laptop".to_owned()),
        "a Rotate choice per key"
    );
    let chosen = ada
        .execute(
            r#"return document.querySelector('input[aria-label="Rotate grace-laptop"]').checked;"#,
            vec![],
        )
        .await;
    assert_eq!(
        chosen,
        serde_json::Value::Bool(false),
        "an unused key is not preselected"
    );
    ada.click_button("Remove member").await;
    ada.wait_for_text("Grace Hopper was removed from the organization")
        .await;
    assert_eq!(app.role_of(&slug, GRACE), None);

    // Grace's next page is gone; her key still works until Ada rotates it.
    grace.goto(&format!("{}{project}", app.address)).await;
    grace
        .wait_for_text_in(Region::Heading, "Page not found")
        .await;
    ada.goto(&format!("{}{project}", app.address)).await;
    let row = ada.row_text("grace-laptop").await;
    assert!(
        row.contains("creator removed") && row.contains("Active"),
        "{row}"
    );
    ada.click_named("Rotate grace-laptop").await;
    ada.wait_for_text_in(Region::Heading, "Rotate API key")
        .await;
    assert!(
        ada.has_text("Keep it working for 24 hours").await,
        "the overlap is explained"
    );
    ada.screenshot("api-key-rotate.png").await;
    ada.click_button("Rotate key").await;
    let rotated = shown_secret(&ada).await;
    // The default keeps the old key working for a day, and the page says so.
    assert!(ada.has_text("keeps working for 24 hours").await);
    assert_ne!(rotated, secret);
    ada.click_link("Done").await;
    ada.wait_for_text_in(Region::Heading, "Website").await;
    grace.close().await;
    ada.close().await;
}

#[actix_web::test]
async fn administrator_promotes_a_member_then_removes_them_and_rotates_their_key() {
    changes_a_role_then_removes_a_member_with_a_key(true).await;
}

#[actix_web::test]
async fn without_javascript_administrator_promotes_a_member_then_removes_them_and_rotates_their_key()
 {
    changes_a_role_then_removes_a_member_with_a_key(false).await;
}

// ------------------------------------------------------------------ journey 4

const CARLA: &str = "carla@contractor.example";

/// The lines of the sidebar, the way a person reads it.
async fn sidebar(browser: &Browser) -> Vec<String> {
    let text = browser.text_in(Region::Navigation).await;
    text.lines().map(str::trim).map(str::to_owned).collect()
}

#[actix_web::test]
async fn a_contractor_invited_to_one_project_sees_only_that_project() {
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    let projects = format!("{}/orgs/{slug}/projects", app.address);
    for name in ["Secret", "Website"] {
        ada.goto(&projects).await;
        ada.click_link("New project").await;
        ada.fill("Project name", name).await;
        ada.click_button("Create project").await;
        ada.wait_for_text_in(Region::Heading, name).await;
    }
    let website = ada.current_path().await;
    ada.click_link("Invite to Project").await;
    ada.wait_for_text_in(Region::Heading, "Invite to Project")
        .await;
    ada.fill("Email address", CARLA).await;
    ada.select("Role", "Developer").await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text("Invited").await;

    let carla = Browser::start().await;
    let link = app.join_path(CARLA, 1).await;
    carla.goto(&format!("{}{link}", app.address)).await;
    carla.wait_for_text_in(Region::Heading, "Join Acme").await;
    let invitation = carla.text_in(Region::Main).await;
    assert!(
        invitation.contains("the project Website in Acme (access to this project only)"),
        "the page says what she joins: {invitation}"
    );
    carla.fill("Name", "Carla Contractor").await;
    carla.fill("Password", PASSWORD).await;
    carla.click_button("Create account and join").await;

    // She lands on her project, and the sidebar offers nothing else.
    carla.wait_for_text_in(Region::Heading, "Website").await;
    assert_eq!(carla.current_path().await, website);
    assert_eq!(sidebar(&carla).await, ["Projects", "API keys", "Usage"]);
    assert!(carla.has_text("Create key").await, "a project Developer");
    carla.click_link("Projects").await;
    carla.wait_for_text_in(Region::Heading, "Projects").await;
    assert!(carla.row_text("Website").await.contains("Website"));
    assert!(
        !carla.has_text("Secret").await,
        "{}",
        carla.page_text().await
    );
    carla.click_link("API keys").await;
    carla.wait_for_text_in(Region::Heading, "API keys").await;

    // Typing an address of the organization shows the not-found page.
    for path in ["/members", "/settings", "/invitations/new", "/projects/new"] {
        carla
            .goto(&format!("{}/orgs/{slug}{path}", app.address))
            .await;
        carla
            .wait_for_text_in(Region::Heading, "Page not found")
            .await;
        assert!(
            !carla.has_text("Ada Admin").await,
            "{path} shows nothing of the organization"
        );
    }
    carla.goto(&format!("{}/orgs/{slug}", app.address)).await;
    carla.wait_for_text_in(Region::Heading, "Website").await;
    assert_eq!(
        carla.current_path().await,
        website,
        "the organization leads to her project"
    );
    carla.close().await;
    ada.close().await;
}

// ------------------------------------------------------------------ journey 6

const VERA: &str = "vera.viewer@example.com";

/// What a Viewer may operate: the header, leaving, and the Members page's filters.
const VIEWER_CONTROLS: [&str; 11] = [
    "menu: Acme (switch organization)",
    "menu: Vera Viewer (account menu)",
    "button: Log out",
    "button: Leave organization",
    "link: Leave organization",
    "field: Search",
    "select: Role",
    "select: Sort by",
    "link: Export CSV",
    "field: Members on date",
    "button: Show",
];

/// Words on controls that change something; a Viewer must find none of them.
const CHANGING_WORDS: [&str; 14] = [
    "Remove",
    "Invite",
    "Create",
    "Revoke",
    "Rotate",
    "Resend",
    "Cancel",
    "Save",
    "New project",
    "Rename",
    "Archive",
    "Send",
    "Role of",
    "Delete",
];

/// Acme with a project "Website" holding Ada's key "production", a pending invitation,
/// and Vera as a Viewer. Returns the project's path.
async fn acme_with_a_viewer(app: &TestApp) -> (String, String) {
    use reqwest::StatusCode;
    let (ada, slug) = app.admin_with_org("Acme").await;
    let vera = app
        .member_with_role(&slug, "Vera Viewer", Role::Viewer)
        .await;
    app.confirm_email(&vera, VERA).await;
    app.member_with_role(&slug, "Alan Turing", Role::Developer)
        .await;
    let created = ada
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Website")])
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let project = crate::helpers::location(&created);
    let key = ada
        .post_form(&format!("{project}/keys"), &[("name", "production")])
        .await;
    assert_eq!(key.status(), StatusCode::OK);
    let invited = ada
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "pending@example.com"), ("role", "developer")],
        )
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    (slug, project)
}

#[actix_web::test]
async fn a_viewer_browses_everything_and_finds_no_control_that_changes_anything() {
    let app = TestApp::spawn().await;
    let (slug, project) = acme_with_a_viewer(&app).await;
    let vera = Browser::start().await;
    vera.log_in(&app, VERA, PASSWORD).await;

    let org = format!("{}/orgs/{slug}", app.address);
    let pages = [
        ("Overview", org.clone(), "Overview"),
        ("Members", format!("{org}/members"), "Members"),
        ("Projects", format!("{org}/projects"), "Projects"),
        (
            "the project page",
            format!("{}{project}", app.address),
            "Website",
        ),
        ("API keys", format!("{org}/api-keys"), "API keys"),
        ("Settings", format!("{org}/settings"), "Settings"),
    ];
    for (page, url, heading) in &pages {
        vera.goto(url).await;
        vera.wait_for_text_in(Region::Heading, heading).await;
        let controls = vera.controls().await;
        for control in &controls {
            assert!(
                VIEWER_CONTROLS.contains(&control.as_str()),
                "a Viewer is offered {control:?} on {page}; every control there: {controls:?}"
            );
            assert!(
                !CHANGING_WORDS.iter().any(|word| control.contains(word)),
                "{control:?} on {page}"
            );
        }
        assert!(
            controls.contains(&"menu: Vera Viewer (account menu)".to_owned()),
            "{page}: {controls:?}"
        );
    }
    // What she looks at is there: members, the pending invitation, the project's key.
    vera.goto(&format!("{org}/members")).await;
    assert!(vera.row_text("Alan Turing").await.contains("Developer"));
    assert!(
        vera.row_text("pending@example.com")
            .await
            .contains("Developer")
    );
    vera.goto(&format!("{org}/api-keys")).await;
    assert!(vera.row_text("production").await.contains("Website"));
    vera.goto(&format!("{}{project}", app.address)).await;
    assert!(vera.row_text("production").await.contains("Active"));

    // A forged POST with her own session and form token is refused and changes nothing.
    let cookie = format!("teamwork={}", vera.cookie("teamwork").await);
    let token = vera.csrf_token().await;
    let activity = app.count("activity");
    let ada_id = app.user_id(ADA);
    let forged = [
        (
            format!("/orgs/{slug}/members/{ada_id}/role"),
            vec![("role", "viewer")],
        ),
        (
            format!("/orgs/{slug}/invitations"),
            vec![("emails", "mallory@example.com"), ("role", "administrator")],
        ),
        (format!("{project}/keys"), vec![("name", "sneaky")]),
        (
            format!("/orgs/{slug}/settings"),
            vec![("name", "Vera's now")],
        ),
    ];
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, mut form) in forged {
        form.push(("_csrf", &token));
        let response = http
            .post(format!("{}{path}", app.address))
            .header("Cookie", &cookie)
            .header("Origin", &app.address)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN, "{path}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Not allowed"),
            "{path} is refused for her role, not for a bad token:\n{body}"
        );
    }
    assert_eq!(app.count("activity"), activity, "nothing happened");
    assert_eq!(app.role_of(&slug, ADA), Some(Role::Administrator));
    assert_eq!(app.count("invitations"), 1);
    assert_eq!(app.count("api_keys"), 1);
    vera.goto(&format!("{org}/settings")).await;
    vera.wait_for_text_in(Region::Heading, "Settings").await;
    assert!(vera.text_in(Region::Main).await.contains("Acme"));
    assert_eq!(vera.title().await, "Settings · Acme · Teamwork");
    vera.close().await;
}

// ------------------------------------------------------------- how pages look

/// Whether the page is wider than the window (a person would have to scroll sideways).
async fn overflows_sideways(browser: &Browser) -> Option<String> {
    let script = "const d = document.documentElement; \
                  if (d.scrollWidth <= d.clientWidth) return null; \
                  const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) { \
                      if (/auto|scroll|hidden/.test(getComputedStyle(p).overflowX)) return true; } \
                    return false; }; \
                  const wide = Array.from(document.querySelectorAll('body *')) \
                    .filter((e) => e.getBoundingClientRect().right > d.clientWidth + 1 && !scrolls(e)) \
                    .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')); \
                  return d.scrollWidth + 'px wide in ' + d.clientWidth + 'px: ' + wide.slice(0, 8).join(', ');";
    browser
        .execute(script, vec![])
        .await
        .as_str()
        .map(str::to_owned)
}

/// Screenshots of the main pages at desktop (1280x900) and phone (390x844) width, into
/// target/screenshots/, for a person to look at; neither width scrolls sideways.
#[actix_web::test]
async fn the_main_pages_at_desktop_and_phone_width() {
    let app = TestApp::spawn().await;
    let (ada_http, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    app.member_with_role(&slug, "Alan Turing", Role::Developer)
        .await;
    let created = ada_http
        .post_form(
            &format!("/orgs/{slug}/projects"),
            &[("name", "Customer support assistant")],
        )
        .await;
    let project = crate::helpers::location(&created);
    for (address, role) in [
        ("nina.new@example.com", "developer"),
        (
            "a.rather.long.address.for.a.contractor@subsidiary.example.co.uk",
            "viewer",
        ),
    ] {
        ada_http
            .post_form(
                &format!("/orgs/{slug}/invitations"),
                &[("emails", address), ("role", role)],
            )
            .await;
    }
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    let visitor = Browser::start().await;
    let join = app.join_path("nina.new@example.com", 1).await;

    ada.goto(&format!("{}{project}", app.address)).await;
    ada.fill("Key name", "production").await;
    ada.click_button("Create key").await;
    let secret_page = ada.current_path().await;
    let production = shown_secret(&ada).await;
    // Usage, so that the Usage and Billing pages have rows (and a usage charge).
    for _ in 0..2 {
        let body = serde_json::json!({
            "model": "gpt-large", "requests": 3, "input_tokens": 1200, "output_tokens": 300
        });
        let reported = crate::projects::report(&app, &production, body).await;
        assert_eq!(reported.status(), reqwest::StatusCode::CREATED);
    }
    ada.click_link("Done").await;
    ada.fill("Key name", "staging-eu-west").await;
    ada.click_button("Create key").await;
    shown_secret(&ada).await;

    let mut problems = Vec::new();
    let mut html = crate::html_check::HtmlCheck::default();
    let org = |path: &str| format!("{}/orgs/{slug}{path}", app.address);
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        for who in [&ada, &visitor] {
            who.resize(width, height).await;
        }
        // An empty title is not checked.
        let pages: [(&Browser, &str, String, &str, &str); 13] = [
            (
                &ada,
                "members",
                members_page(&app, &slug),
                "Members",
                "Members · Acme · Teamwork",
            ),
            (
                &ada,
                "project",
                format!("{}{project}", app.address),
                "Customer support assistant",
                "Customer support assistant · Acme · Teamwork",
            ),
            (
                &ada,
                "key-secret",
                String::new(),
                "Copy your API key",
                "New API key · Acme · Teamwork",
            ),
            (
                &visitor,
                "join",
                format!("{}{join}", app.address),
                "Join Acme",
                "Join Acme · Teamwork",
            ),
            (
                &visitor,
                "login",
                format!("{}/login", app.address),
                "Log in to Teamwork",
                "Log in · Teamwork",
            ),
            (
                &ada,
                "error",
                format!("{}/orgs/nope", app.address),
                "Page not found",
                "Page not found · Teamwork",
            ),
            (&ada, "overview", org(""), "Overview", ""),
            (
                &ada,
                "new-org",
                format!("{}/orgs/new", app.address),
                "New organization",
                "",
            ),
            (&ada, "api-keys", org("/api-keys"), "API keys", ""),
            (&ada, "usage", org("/usage"), "Usage", ""),
            (&ada, "billing", org("/billing"), "Billing", ""),
            (&ada, "activity", org("/activity"), "Activity log", ""),
            (&ada, "settings", org("/settings"), "Settings", ""),
        ];
        for (browser, name, url, heading, title) in pages {
            if url.is_empty() {
                // The secret is shown once, as the answer to "Create key".
                browser.goto(&format!("{}{project}", app.address)).await;
                browser.fill("Key name", &format!("{size}-key")).await;
                browser.click_button("Create key").await;
                assert!(browser.current_path().await.starts_with(&secret_page[..10]));
            } else {
                browser.goto(&url).await;
            }
            browser.wait_for_text_in(Region::Heading, heading).await;
            if !title.is_empty() {
                assert_eq!(browser.title().await, title, "{name}");
            }
            if let Some(overflow) = overflows_sideways(browser).await {
                problems.push(format!("{name} at {size} width: {overflow}"));
            }
            if size == "phone" {
                // Tables become labelled cards on a phone: none scrolls sideways either.
                let scrolling = browser
                    .execute(
                        "return Array.from(document.querySelectorAll('.table-wrap')) \
                           .filter((w) => w.scrollWidth > w.clientWidth + 1) \
                           .map((w) => w.scrollWidth + 'px in ' + w.clientWidth + 'px')",
                        vec![],
                    )
                    .await;
                if scrolling != serde_json::json!([]) {
                    problems.push(format!("{name} at phone width, tables scroll: {scrolling}"));
                }
                let (labelled, unlabelled) = cell_labels(browser).await;
                if !unlabelled.is_empty() {
                    problems.push(format!(
                        "{name} at phone width, cells without a label: {unlabelled:?}"
                    ));
                }
                if ["members", "usage", "billing"].contains(&name) && labelled == 0 {
                    problems.push(format!("{name} at phone width: no table cells to check"));
                }
            } else {
                html.keep(browser, name).await;
            }
            if name == "new-org" && size == "desktop" {
                let width = browser
                    .execute(
                        "return document.getElementById('field-name').form.getBoundingClientRect().width",
                        vec![],
                    )
                    .await
                    .as_f64()
                    .unwrap_or_default();
                if width < 400.0 {
                    problems.push(format!(
                        "the new organization form is {width} px wide at 1280"
                    ));
                }
            }
            browser.screenshot(&format!("{name}-{size}.png")).await;
            browser
                .screenshot_whole_page(&format!("{name}-{size}-whole.png"))
                .await;
        }
    }
    visitor.close().await;
    ada.close().await;
    problems.extend(html.errors());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// How many data cells of the page's tables show their column's name on a phone, and
/// the text of those that show none (a bare value such as "never" reads as nothing).
async fn cell_labels(browser: &Browser) -> (u64, Vec<String>) {
    let script = "const cells = Array.from(document.querySelectorAll('table.table tbody td')) \
                    .filter((td) => !td.classList.contains('actions') && !td.hasAttribute('colspan') \
                      && td.getClientRects().length && td.textContent.trim()); \
                  const bare = cells.filter((td) => { \
                    const shown = getComputedStyle(td, '::before'); \
                    return shown.display === 'none' || !/^\".+\"$/.test(shown.content); }); \
                  return [cells.length - bare.length, bare.map((td) => td.textContent.trim().slice(0, 40))];";
    let found = browser.execute(script, vec![]).await;
    let labelled = found[0].as_u64().unwrap_or_default();
    let bare = serde_json::from_value(found[1].clone()).unwrap_or_default();
    (labelled, bare)
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
    // 25 starting credits less 1.20 + 0.575 of usage: 23.225, read as money.
    assert!(
        browser.has_text("23.23").await && !browser.has_text("23.225").await,
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

/// Journey 7: the activity log shows what happened, filters by action and by member,
/// pages on, and exports the filtered view as CSV.
#[actix_web::test]
async fn the_activity_log_reads_as_sentences_filters_pages_and_exports() {
    let app = TestApp::spawn().await;
    let (ada_http, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    let grace = app.user_id(GRACE);
    let role = format!("/orgs/{slug}/members/{grace}/role");
    for new_role in ["developer", "viewer", "billing_manager"] {
        ada_http.post_form(&role, &[("role", new_role)]).await;
    }
    // Enough older entries to need a second page; the log orders by time-ordered ids.
    let month_ago = chrono::Utc::now() - chrono::Duration::days(30);
    for minute in 0..60 {
        let at = month_ago - chrono::Duration::minutes(minute);
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, at.timestamp() as u64, 0);
        diesel::sql_query(
            "INSERT INTO activity (id, org_id, actor_name, action, target_type, target_label, created_at) \
             VALUES ($1, $2, 'Old Admin', 'organization.renamed', 'organization', 'Acme', $3)",
        )
        .bind::<diesel::sql_types::Uuid, _>(uuid::Uuid::new_v7(ts))
        .bind::<diesel::sql_types::Uuid, _>(app.org_id(&slug))
        .bind::<diesel::sql_types::Timestamptz, _>(at)
        .execute(&mut app.conn())
        .unwrap();
    }

    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    ada.goto(&format!("{}/orgs/{slug}", app.address)).await;
    ada.click_link("Activity log").await;
    ada.wait_for_text_in(Region::Heading, "Activity log").await;
    ada.wait_for_text("changed Grace Hopper's role from Viewer to Developer")
        .await;
    ada.screenshot("journey7-activity.png").await;

    ada.select("Action", "Role changed").await;
    ada.wait_for_text("from Developer to Viewer").await;
    assert!(
        !ada.has_text("created the organization").await,
        "only role changes remain"
    );
    ada.fill("Member", "grace").await;
    ada.click_link("Grace Hopper").await;
    ada.wait_for_text("from Viewer to Billing Manager").await;
    let url = ada.client().current_url().await.unwrap();
    assert!(
        url.query()
            .unwrap_or("")
            .contains("action=member.role_changed"),
        "the filter is in the address: {url}"
    );

    // The export of the filtered view holds exactly its rows.
    let csv_link = format!(
        "/orgs/{slug}/activity/export.csv?{}",
        url.query().unwrap_or("")
    );
    let csv = ada_http.get_text(&csv_link).await;
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows.iter()
            .all(|r| r.contains("member.role_changed") && r.contains("Grace Hopper"))
    );

    // Without filters, the first page ends with a way to older entries.
    ada.goto(&format!("{}/orgs/{slug}/activity", app.address))
        .await;
    ada.wait_for_text("Load more").await;
    ada.mark_page().await;
    ada.click_button("Load more").await;
    ada.wait_for_text("Old Admin").await;
    assert!(
        ada.page_is_marked().await,
        "older entries are appended without a reload"
    );
    ada.close().await;
}
