//! Accessibility in the real browser: axe-core on every page the journeys visit (no
//! serious or critical violation), the role select from the keyboard, announced toasts.
//!
//! `axe.min.js` beside this file is axe-core 4.14.1 (npm package `axe-core`, MPL-2.0),
//! the package's `axe.min.js` unmodified, sha256
//! `29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c`.
//! To re-vendor (change the version here and in `AXE_VERSION`), from the repository root:
//!
//! ```sh
//! d=$(mktemp -d) && npm pack --pack-destination "$d" axe-core@4.14.1 && tar -xzf "$d"/axe-core-4.14.1.tgz -C "$d" package/axe.min.js && cp "$d"/package/axe.min.js tests/app/axe.min.js && sha256sum tests/app/axe.min.js
//! ```
//!
//! axe is injected with WebDriver's "execute script", which Chromium evaluates through
//! DevTools: the page's Content-Security-Policy (`script-src 'self'`, no eval) does not
//! apply to the injected source itself. `axe_runs_under_the_console_csp` checks it.

use fantoccini::key::Key;
use serde::Deserialize;
use teamwork::domain::Role;

use crate::browser::{Browser, Region};
use crate::helpers::{TestApp, TestClient, location};
use crate::html_check::HtmlCheck;

const AXE: &str = include_str!("axe.min.js");
const AXE_VERSION: &str = "4.14.1";
const PASSWORD: &str = "correct horse battery";
const ADA: &str = "ada.admin@example.com";

#[derive(Debug, Deserialize)]
struct Violation {
    id: String,
    impact: Option<String>,
    help: String,
    nodes: Vec<String>,
}

impl Violation {
    fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

/// Loads axe into the current document (once per document).
async fn inject_axe(browser: &Browser) {
    let loaded = browser
        .execute("return typeof window.axe === 'object'", vec![])
        .await;
    if loaded == serde_json::json!(true) {
        return;
    }
    let script = format!("{AXE}\n;return window.axe.version;");
    let version = browser.execute(&script, vec![]).await;
    assert_eq!(version, serde_json::json!(AXE_VERSION), "axe loaded");
}

/// Runs axe on the page as it is now; prints the count of violations for `page` and
/// returns them (all impacts).
async fn axe(browser: &Browser, page: &str) -> Vec<Violation> {
    inject_axe(browser).await;
    let script = r#"
        const done = arguments[arguments.length - 1];
        window.axe
            .run(document, { resultTypes: ["violations"] })
            .then((r) => done(r.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + "  " + n.html.slice(0, 160)),
            }))))
            .catch((e) => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }]));
    "#;
    let found = browser.execute_async(script, vec![]).await;
    let violations: Vec<Violation> = serde_json::from_value(found).expect("axe results");
    let serious = violations.iter().filter(|v| v.is_serious()).count();
    let others: Vec<&str> = violations
        .iter()
        .filter(|v| !v.is_serious())
        .map(|v| v.id.as_str())
        .collect();
    println!(
        "axe {page:<40} {serious} serious or critical, {} minor or moderate {others:?}",
        others.len()
    );
    violations
}

/// The serious or critical violations axe finds on the current page, one line each, for
/// the journeys of other modules.
pub(crate) async fn serious_violations(browser: &Browser, page: &str) -> Vec<String> {
    axe(browser, page)
        .await
        .into_iter()
        .filter(Violation::is_serious)
        .map(|v| format!("{page}: {} ({}): {}", v.id, v.help, v.nodes.join(" | ")))
        .collect()
}

/// What the audits found: accessibility failures, and the pages for the HTML checker.
#[derive(Default)]
struct Audit {
    failures: Vec<String>,
    html: HtmlCheck,
}

impl Audit {
    fn push(&mut self, failure: String) {
        self.failures.push(failure);
    }

    /// Fails with every accessibility failure and every HTML error found.
    fn finish(mut self) {
        self.failures.extend(self.html.errors());
        assert!(
            self.failures.is_empty(),
            "serious or critical accessibility violations, or invalid HTML:\n{}",
            self.failures.join("\n")
        );
    }
}

/// Audits the current page and records its serious or critical violations in `failures`,
/// and pages without exactly one `<h1>` or without a "… · Teamwork" title; keeps the
/// page for the HTML checker.
async fn audit(browser: &Browser, page: &str, failures: &mut Audit) {
    failures.html.keep(browser, page).await;
    let headings = browser
        .execute("return document.querySelectorAll('h1').length", vec![])
        .await;
    if headings != serde_json::json!(1) {
        failures.push(format!("{page}: {headings} <h1> elements, expected one"));
    }
    let title = browser.title().await;
    if !title.ends_with(" · Teamwork") {
        failures.push(format!(
            "{page}: the title {title:?} does not end with \" · Teamwork\""
        ));
    }
    for v in axe(browser, page).await {
        if v.is_serious() {
            let impact = v.impact.as_deref().unwrap_or_default();
            failures.push(format!(
                "{page}: {} ({impact}): {}\n    {}",
                v.id,
                v.help,
                v.nodes.join("\n    ")
            ));
        }
    }
}

async fn visit(browser: &Browser, app: &TestApp, path: &str, heading: &str) {
    browser.goto(&format!("{}{path}", app.address)).await;
    browser.wait_for_text_in(Region::Heading, heading).await;
}

/// Creates a project through the form and returns its page path.
async fn create_project(client: &TestClient, slug: &str, name: &str) -> String {
    let created = client
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", name)])
        .await;
    assert_eq!(created.status(), reqwest::StatusCode::SEE_OTHER);
    location(&created)
}

#[actix_web::test]
async fn axe_runs_under_the_console_csp() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;
    visit(&browser, &app, "/login", "Log in to Teamwork").await;
    browser
        .execute(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', \
             (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));",
            vec![],
        )
        .await;
    // The policy is in force for the page: an inline script it adds is refused...
    let inline = browser
        .execute(
            "const s = document.createElement('script'); \
             s.textContent = 'window.__inline = 1'; document.body.appendChild(s); \
             return typeof window.__inline",
            vec![],
        )
        .await;
    assert_eq!(
        inline,
        serde_json::json!("undefined"),
        "the CSP refuses inline scripts"
    );
    let reported = browser.execute("return window.__csp", vec![]).await;
    assert!(
        reported.to_string().contains("script-src"),
        "the refused script is reported: {reported}"
    );
    // ...while what the driver evaluates is not held to it (not even eval).
    let eval = browser
        .execute(
            "try { return String(eval('1 + 1')); } catch (e) { return e.name; }",
            vec![],
        )
        .await;
    assert_eq!(eval, serde_json::json!("2"));
    // ...yet axe, injected by the driver, loads and runs without tripping it.
    browser.execute("window.__csp = []", vec![]).await;
    let violations = axe(&browser, "log in").await;
    assert!(
        !violations.iter().any(|v| v.id == "axe-error"),
        "{violations:?}"
    );
    let reported = browser.execute("return window.__csp", vec![]).await;
    assert_eq!(reported, serde_json::json!([]), "axe broke no CSP rule");
    browser.close().await;
}

/// Every page of journeys 1 to 4 and 6, and the pages in between (forms with errors,
/// confirmations, empty states, error pages), in light and dark colour schemes.
#[actix_web::test]
async fn the_pages_of_the_journeys_have_no_serious_accessibility_violations() {
    let app = TestApp::spawn().await;
    let mut failures = Audit::default();
    let anonymous = Browser::start().await;
    let b = &anonymous;

    visit(b, &app, "/signup", "Create your account").await;
    audit(b, "sign up", &mut failures).await;
    b.click_button("Create account").await;
    b.wait_for_text_in(Region::Heading, "Create your account")
        .await;
    audit(b, "sign up, with errors", &mut failures).await;
    b.fill("Name", "Someone New").await;
    b.fill("Email", "someone.new@example.com").await;
    b.fill("Password", PASSWORD).await;
    b.click_button("Create account").await;
    b.wait_for_text_in(Region::Heading, "Check your email to finish")
        .await;
    audit(b, "sign up, check your email", &mut failures).await;
    visit(b, &app, "/login", "Log in to Teamwork").await;
    audit(b, "log in", &mut failures).await;
    b.fill("Email", "nobody@example.com").await;
    b.fill("Password", "wrong password").await;
    b.click_button("Log in").await;
    b.wait_for_text("Log in to Teamwork").await;
    audit(b, "log in, refused", &mut failures).await;
    visit(b, &app, "/password/forgot", "Reset your password").await;
    audit(b, "forgotten password", &mut failures).await;
    visit(b, &app, "/no/such/page", "Page not found").await;
    audit(b, "error page (404)", &mut failures).await;
    visit(
        b,
        &app,
        "/invitations/inv_nothing",
        "This invitation link is not valid",
    )
    .await;
    audit(b, "invalid invitation link", &mut failures).await;

    // Ada with Acme: Grace (Developer, with a key), Vera (Viewer), a contractor.
    let (ada_http, slug) = app.admin_with_org("Acme").await;
    // More people than the Free plan's five seats pass through these pages.
    app.unlimited_seats(&slug);
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    let org = format!("/orgs/{slug}");
    visit(&ada, &app, &format!("{org}/projects"), "Projects").await;
    audit(&ada, "projects, none yet", &mut failures).await;
    visit(&ada, &app, &format!("{org}/api-keys"), "API keys").await;
    audit(&ada, "API keys, none yet", &mut failures).await;
    visit(&ada, &app, &format!("{org}/members"), "Members").await;
    audit(&ada, "members, alone", &mut failures).await;

    let grace = app
        .member_with_role(&slug, "Grace Hopper", Role::Developer)
        .await;
    let vera = app
        .member_with_role(&slug, "Vera Viewer", Role::Viewer)
        .await;
    app.confirm_email(&vera, "vera.viewer@example.com").await;
    app.member_with_role(&slug, "Alan Turing", Role::BillingManager)
        .await;
    let website = create_project(&ada_http, &slug, "Website").await;
    let key = grace
        .post_form(&format!("{website}/keys"), &[("name", "grace-laptop")])
        .await;
    assert_eq!(key.status(), reqwest::StatusCode::OK);

    visit(&ada, &app, "/orgs/new", "New organization").await;
    audit(&ada, "new organization", &mut failures).await;
    visit(&ada, &app, &org, "Overview").await;
    audit(&ada, "overview", &mut failures).await;
    visit(
        &ada,
        &app,
        &format!("{org}/invitations/new"),
        "Invite Member",
    )
    .await;
    audit(&ada, "invite member", &mut failures).await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text("Enter at least one").await;
    audit(&ada, "invite member, with errors", &mut failures).await;
    ada.fill(
        "Email address",
        "nina.new@example.com, grace.hopper@example.com, not-an-address",
    )
    .await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text("Fix or remove this address before sending")
        .await;
    audit(&ada, "invite member, an address to fix", &mut failures).await;
    ada.fill(
        "Email address",
        "nina.new@example.com, grace.hopper@example.com",
    )
    .await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text_in(Region::Heading, "Review invitations")
        .await;
    audit(&ada, "invite member, preview", &mut failures).await;
    // Grace is a member already: one invitation goes out.
    ada.click_button("Send 1 invitation").await;
    ada.wait_for_text_in(Region::Heading, "Invitations").await;
    audit(&ada, "invitations sent", &mut failures).await;

    visit(&ada, &app, &website, "Website").await;
    audit(&ada, "project", &mut failures).await;
    ada.fill("Key name", "production").await;
    ada.click_button("Create key").await;
    ada.wait_for_text_in(Region::Heading, "Copy your API key")
        .await;
    audit(&ada, "API key secret", &mut failures).await;
    ada.click_link("Done").await;
    ada.click_named("Revoke production").await;
    ada.wait_for_text_in(Region::Heading, "Revoke API key")
        .await;
    audit(&ada, "revoke API key", &mut failures).await;
    visit(&ada, &app, &website, "Website").await;
    ada.click_named("Rotate production").await;
    ada.wait_for_text_in(Region::Heading, "Rotate API key")
        .await;
    audit(&ada, "rotate API key", &mut failures).await;
    visit(
        &ada,
        &app,
        &format!("{website}/invitations/new"),
        "Invite to Project",
    )
    .await;
    audit(&ada, "invite to project", &mut failures).await;
    ada.fill("Email address", "carla@contractor.example").await;
    ada.click_button("Send Invitation").await;
    ada.wait_for_text("Invited").await;
    audit(&ada, "project invitations sent", &mut failures).await;
    visit(&ada, &app, &format!("{org}/projects"), "Projects").await;
    audit(&ada, "projects", &mut failures).await;
    visit(&ada, &app, &format!("{org}/api-keys"), "API keys").await;
    audit(&ada, "API keys", &mut failures).await;
    visit(&ada, &app, &format!("{org}/settings"), "Settings").await;
    audit(&ada, "settings", &mut failures).await;
    visit(&ada, &app, &format!("{org}/leave"), "Leave organization").await;
    audit(&ada, "leave, refused", &mut failures).await;
    visit(&ada, &app, "/account", "Account").await;
    audit(&ada, "account", &mut failures).await;
    ada.click_button("Change password").await;
    ada.wait_for_text("Use at least 8 characters.").await;
    audit(&ada, "account, with errors", &mut failures).await;
    visit(&ada, &app, "/account/sessions", "Sessions").await;
    audit(&ada, "sessions", &mut failures).await;
    let change = [("email", "ada.new@example.com"), ("password", PASSWORD)];
    ada_http.post_form("/account/email", &change).await;
    let change = app
        .mailed_path("ada.new@example.com", "/account/email/", 1)
        .await;
    visit(&ada, &app, &change, "Confirm your new email address").await;
    audit(&ada, "confirm a new email address", &mut failures).await;

    // The join pages: a newcomer's and a member with an account's.
    let nina = app.join_path("nina.new@example.com", 1).await;
    visit(b, &app, &nina, "Join Acme").await;
    audit(b, "join, create account", &mut failures).await;
    b.click_button("Create account and join").await;
    b.wait_for_text("Join Acme").await;
    audit(b, "join, create account, errors", &mut failures).await;
    let carla = app.join_path("carla@contractor.example", 1).await;
    visit(b, &app, &carla, "Join Acme").await;
    audit(b, "join a project", &mut failures).await;
    b.fill("Name", "Carla Contractor").await;
    b.fill("Password", PASSWORD).await;
    b.click_button("Create account and join").await;
    b.wait_for_text_in(Region::Heading, "Website").await;
    audit(b, "project, as a contractor", &mut failures).await;
    visit(b, &app, &format!("{org}/members"), "Page not found").await;
    audit(b, "members, as a contractor (404)", &mut failures).await;

    let bob = app.signed_up("Bob Builder").await;
    let invited = ada_http
        .post_form(
            &format!("{org}/invitations"),
            &[("emails", "bob.builder@example.com"), ("role", "viewer")],
        )
        .await;
    assert_eq!(invited.status(), reqwest::StatusCode::OK);
    let bob_link = app.join_path("bob.builder@example.com", 1).await;
    let visitor = Browser::start().await;
    visit(&visitor, &app, &bob_link, "Join Acme").await;
    audit(&visitor, "join, log in to accept", &mut failures).await;
    let confirm = app
        .mailed_path("bob.builder@example.com", "/verify-email/", 1)
        .await;
    visit(&visitor, &app, &confirm, "Confirm your email address").await;
    audit(&visitor, "confirm email", &mut failures).await;
    // Only a session of the account confirms its address (R43): log in first.
    visitor.click_button("Confirm email").await;
    visitor.wait_for_text_in(Region::Heading, "Log in").await;
    visitor.fill("Email", "bob.builder@example.com").await;
    visitor.fill("Password", PASSWORD).await;
    visitor.click_button("Log in").await;
    visitor
        .wait_for_text_in(Region::Heading, "Confirm your email address")
        .await;
    visitor.click_button("Confirm email").await;
    visitor.wait_for_text("is confirmed").await;
    visitor.goto(&format!("{}{bob_link}", app.address)).await;
    visitor.wait_for_text_in(Region::Heading, "Join Acme").await;
    audit(&visitor, "join, accept", &mut failures).await;
    drop(bob);
    visitor.close().await;

    // Members with every kind of row; a removal that names a key.
    visit(&ada, &app, &format!("{org}/members"), "Members").await;
    audit(&ada, "members", &mut failures).await;
    ada.select("Role of Vera Viewer", "Developer").await;
    ada.click_button_next_to("Role of Vera Viewer", "Save")
        .await;
    ada.wait_for_text("Vera Viewer is now a Developer").await;
    audit(&ada, "members, after a role change", &mut failures).await;
    ada.select("Role of Vera Viewer", "Administrator").await;
    ada.click_button_next_to("Role of Vera Viewer", "Save")
        .await;
    ada.wait_for_text("Make Vera Viewer an Administrator?")
        .await;
    audit(&ada, "members, granting Administrator asks", &mut failures).await;
    ada.fill("Search", "nobody at all").await;
    ada.wait_for_text("No members match").await;
    audit(&ada, "members, no match", &mut failures).await;
    let vera_id = app.user_id("vera.viewer@example.com");
    visit(
        &ada,
        &app,
        &format!("{org}/members/{vera_id}/role?role=administrator"),
        "Change role",
    )
    .await;
    audit(&ada, "change role, confirmation page", &mut failures).await;
    visit(
        &ada,
        &app,
        &format!("{org}/members/{vera_id}"),
        "Vera Viewer",
    )
    .await;
    audit(&ada, "a member's page", &mut failures).await;
    visit(
        &ada,
        &app,
        &format!("{org}/members?at=2099-01-01"),
        "Members on date",
    )
    .await;
    audit(&ada, "members on date", &mut failures).await;
    visit(&ada, &app, &format!("{org}/members"), "Members").await;
    ada.click_named("Remove Grace Hopper").await;
    ada.wait_for_text_in(Region::Heading, "Remove member").await;
    audit(&ada, "remove member, with a key", &mut failures).await;
    ada.resize(390, 844).await;
    visit(&ada, &app, &format!("{org}/members"), "Members").await;
    audit(&ada, "members, phone", &mut failures).await;
    ada.resize(1280, 900).await;

    for scheme in ["dark", "light"] {
        ada.prefer_color_scheme(scheme).await;
        for (page, path, heading) in [
            ("members", format!("{org}/members"), "Members"),
            ("project", website.clone(), "Website"),
        ] {
            visit(&ada, &app, &path, heading).await;
            audit(&ada, &format!("{page}, {scheme} scheme"), &mut failures).await;
        }
        b.prefer_color_scheme(scheme).await;
        visit(b, &app, "/no/such/page", "Page not found").await;
        audit(b, &format!("error page, {scheme} scheme"), &mut failures).await;
    }

    // A Viewer's pages and a refusal.
    let viewer = Browser::start().await;
    viewer
        .log_in(&app, "alan.turing@example.com", PASSWORD)
        .await;
    visit(&viewer, &app, &format!("{org}/members"), "Members").await;
    audit(&viewer, "members, as a billing manager", &mut failures).await;
    visit(&viewer, &app, &format!("{org}/projects/new"), "Not allowed").await;
    audit(&viewer, "error page (403)", &mut failures).await;
    viewer.close().await;

    ada.close().await;
    anonymous.close().await;
    failures.finish();
}

#[actix_web::test]
async fn arrow_keys_on_a_role_select_change_nothing_until_save_which_is_announced() {
    let app = TestApp::spawn().await;
    let (_ada, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Hopper", Role::Viewer)
        .await;
    let grace = "grace.hopper@example.com";
    let ada = Browser::start().await;
    ada.log_in(&app, ADA, PASSWORD).await;
    visit(&ada, &app, &format!("/orgs/{slug}/members"), "Members").await;
    ada.mark_page().await;

    let presses = ada.tab_to("Role of Grace Hopper").await;
    println!("Tab pressed {presses} times to reach Grace's role");
    let ring = ada
        .execute(
            "const s = getComputedStyle(document.activeElement); \
             return s.outlineStyle !== 'none' && s.outlineWidth !== '0px' || s.boxShadow !== 'none'",
            vec![],
        )
        .await;
    assert_eq!(ring, serde_json::json!(true), "the focused select shows it");

    // Viewer is the last role: up walks through Billing Manager to Developer.
    ada.press(Key::Up).await;
    ada.press(Key::Up).await;
    assert_eq!(
        ada.selected_option("Role of Grace Hopper").await,
        "Developer"
    );
    // Give a request that should not exist the time to land.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(
        app.role_of(&slug, grace),
        Some(Role::Viewer),
        "arrow keys wrote a role"
    );
    assert!(!ada.has_text("Grace Hopper is now").await);
    assert!(
        ada.button_next_to_is_shown("Role of Grace Hopper", "Save")
            .await,
        "a different choice offers \"Save\""
    );
    ada.press(Key::Down).await;
    ada.press(Key::Down).await;
    assert!(
        !ada.button_next_to_is_shown("Role of Grace Hopper", "Save")
            .await,
        "back on the saved role, there is nothing to save"
    );

    // The deliberate act: choose, Tab to "Save", Enter.
    ada.press(Key::Up).await;
    ada.press(Key::Up).await;
    ada.press(Key::Tab).await;
    ada.press(Key::Enter).await;
    ada.wait_for_text("Grace Hopper is now a Developer").await;
    assert_eq!(app.role_of(&slug, grace), Some(Role::Developer));
    assert!(
        ada.page_is_marked().await,
        "htmx swapped the row, no reload"
    );
    // The message is read out: it is inside the polite live region.
    let announced = ada
        .execute(
            "const box = document.getElementById('toasts'); \
             return [box.getAttribute('aria-live'), box.textContent]",
            vec![],
        )
        .await;
    assert_eq!(announced[0], "polite");
    assert!(
        announced[1]
            .as_str()
            .unwrap_or_default()
            .contains("Grace Hopper is now a Developer"),
        "{announced}"
    );
    // The swapped row gives the keyboard back to the select.
    ada.wait_until("the focus back on Grace's role", async || {
        ada.has_focus("Role of Grace Hopper").await
    })
    .await;
    ada.close().await;
}
