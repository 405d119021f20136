//! Every page of the console, for every role, at desktop and phone width, saved under
//! target/screenshots/pages/ for a person to look through. Not part of the test
//! command (it asserts nothing a person should not judge): tests/screenshots.sh runs it.

use teamwork::domain::{ProjectRole, Role};

use crate::browser::{Browser, Region};
use crate::helpers::{TestApp, location};

const PASSWORD: &str = "correct horse battery";

#[actix_web::test]
#[ignore = "renders screenshots for people to look at; run tests/screenshots.sh"]
async fn every_page_for_every_role_at_both_widths() {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    // Confirmed addresses: the pages as people see them day to day, without the banner.
    app.confirm_email(&ada, "ada.admin@example.com").await;
    app.unlimited_seats(&slug);
    let org = format!("/orgs/{slug}");
    let project = location(
        &ada.post_form(
            &format!("{org}/projects"),
            &[("name", "Customer support assistant")],
        )
        .await,
    );
    let key_page = ada
        .post_form(&format!("{project}/keys"), &[("name", "production")])
        .await
        .text()
        .await
        .unwrap();
    let start = key_page.find("tw_live_").expect("the new key's secret");
    let secret: String = key_page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    for (model, requests) in [("gpt-large", 3), ("gpt-small", 40)] {
        let body = serde_json::json!({
            "model": model, "requests": requests, "input_tokens": 120_000, "output_tokens": 30_000
        });
        crate::projects::report(&app, &secret, body).await;
    }
    let people = [
        ("Grace Hopper", Role::Developer),
        ("Bill Payer", Role::BillingManager),
        ("Vera Viewer", Role::Viewer),
        ("Alan Turing", Role::Developer),
    ];
    for (name, role) in people {
        let client = app.member_with_role(&slug, name, role).await;
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        app.confirm_email(&client, &email).await;
    }
    let project_id = project.rsplit('/').next().unwrap().parse().unwrap();
    let carla = app
        .project_only_member(
            &slug,
            project_id,
            "Carla Contractor",
            ProjectRole::Developer,
        )
        .await;
    app.confirm_email(&carla, "carla.contractor@example.com")
        .await;
    for (emails, role) in [
        ("nina.new@example.com, omar.ops@example.com", "developer"),
        (
            "a.rather.long.address.for.a.stakeholder@subsidiary.example.co.uk",
            "viewer",
        ),
    ] {
        ada.post_form(
            &format!("{org}/invitations"),
            &[("emails", emails), ("role", role)],
        )
        .await;
    }
    let alan = app.user_id("alan.turing@example.com");
    ada.post_form(&format!("{org}/members/{alan}/role"), &[("role", "viewer")])
        .await;

    let pages = [
        ("overview", org.clone()),
        ("members", format!("{org}/members")),
        ("member", format!("{org}/members/{alan}")),
        (
            "members-on-date",
            format!("{org}/members?at={}", chrono::Utc::now().date_naive()),
        ),
        ("invite", format!("{org}/invitations/new")),
        ("projects", format!("{org}/projects")),
        ("project", project.clone()),
        ("api-keys", format!("{org}/api-keys")),
        ("usage", format!("{org}/usage")),
        ("billing", format!("{org}/billing")),
        ("activity-log", format!("{org}/activity")),
        ("settings", format!("{org}/settings")),
        ("delete-organization", format!("{org}/delete")),
        ("new-organization", "/orgs/new".to_owned()),
        ("account", "/account".to_owned()),
        ("sessions", "/account/sessions".to_owned()),
    ];
    let who = [
        ("administrator", "ada.admin@example.com"),
        ("developer", "grace.hopper@example.com"),
        ("billing-manager", "bill.payer@example.com"),
        ("viewer", "vera.viewer@example.com"),
        ("project-only", "carla.contractor@example.com"),
    ];
    let mut saved = 0;
    for (role, email) in who {
        let browser = Browser::start().await;
        browser.log_in(&app, email, PASSWORD).await;
        for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
            browser.resize(width, height).await;
            for (page, path) in &pages {
                browser.goto(&format!("{}{path}", app.address)).await;
                browser
                    .wait_until("a heading", async || {
                        !browser.text_in(Region::Heading).await.is_empty()
                    })
                    .await;
                let heading = browser.text_in(Region::Heading).await;
                if heading.contains("Not allowed") || heading.contains("Page not found") {
                    continue;
                }
                browser
                    .screenshot_whole_page(&format!("pages/{role}/{page}-{size}.png"))
                    .await;
                saved += 1;
            }
            // The header's account menu, open (the name must stay readable on a phone).
            browser.goto(&format!("{}/account", app.address)).await;
            let menu = "//summary[contains(normalize-space(.), '(account menu)')]";
            let menu = browser
                .client()
                .find(fantoccini::Locator::XPath(menu))
                .await;
            menu.expect("the account menu").click().await.unwrap();
            browser
                .screenshot(&format!("pages/{role}/account-menu-{size}.png"))
                .await;
            saved += 1;
        }
        browser.close().await;
    }
    // The signed-out pages.
    let visitor = Browser::start().await;
    let join = app.join_path("nina.new@example.com", 1).await;
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        visitor.resize(width, height).await;
        for (page, path) in [
            ("signup", "/signup"),
            ("login", "/login"),
            ("join", join.as_str()),
            ("not-found", "/no/such/page"),
        ] {
            visitor.goto(&format!("{}{path}", app.address)).await;
            visitor
                .screenshot_whole_page(&format!("pages/signed-out/{page}-{size}.png"))
                .await;
            saved += 1;
        }
    }
    visitor.close().await;
    // An invitee whose account is not confirmed yet accepts from the link.
    app.signed_up("Omar Ops").await;
    let omar = Browser::start().await;
    omar.log_in(&app, "omar.ops@example.com", PASSWORD).await;
    let join = app.join_path("omar.ops@example.com", 1).await;
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        omar.resize(width, height).await;
        omar.goto(&format!("{}{join}", app.address)).await;
        omar.screenshot_whole_page(&format!("pages/signed-in/join-accept-{size}.png"))
            .await;
        saved += 1;
    }
    omar.close().await;
    println!("saved {saved} screenshots under target/screenshots/pages/");
}
