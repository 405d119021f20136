//! SCIM provisioning over HTTP, as an identity provider drives it: users become members
//! and deactivation ends their access on the next request; groups mapped to roles set
//! roles; only the organization's current SCIM token is accepted; and the conformance
//! checks of `scim2-tester` (PyPI, pinned in `tests/run`) find no error.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};
use teamwork::domain::Role;

use crate::admin_api::{ALL_SCOPES, admin_key};
use crate::helpers::{TestApp, TestClient};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Creates (or rotates) the organization's SCIM token through Settings and reads the
/// secret the page shows once.
async fn scim_token(admin: &TestClient, slug: &str) -> String {
    let response = admin
        .post_form(&format!("/orgs/{slug}/settings/scim/token"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let marker = "id=\"new-scim-token\">";
    let start = page.find(marker).expect("the token on the page") + marker.len();
    page[start..start + page[start..].find('<').unwrap()].to_owned()
}

/// A SCIM client: the provider's side.
struct Provider {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Provider {
    fn new(app: &TestApp, token: &str) -> Provider {
        Provider {
            http: reqwest::Client::new(),
            base: format!("{}/scim/v2", app.address),
            token: token.to_owned(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        if status != StatusCode::NO_CONTENT {
            assert_eq!(
                response.headers()["content-type"],
                "application/scim+json",
                "{path}"
            );
        }
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, operations: Value) -> (StatusCode, Value) {
        let body = json!({ "schemas": [PATCH], "Operations": operations });
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    async fn create_user(&self, email: &str) -> String {
        let (status, body) = self
            .post(
                "/Users",
                json!({
                    "schemas": [USER],
                    "userName": email,
                    "name": { "givenName": "Sam", "familyName": "Scim" },
                    "emails": [{ "value": email, "type": "work", "primary": true }],
                    "active": true
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }
}

/// (action, actor name, actor id is null) of the organization's entries, newest first.
fn entries(app: &TestApp, slug: &str) -> Vec<(String, String, bool)> {
    use diesel::prelude::*;
    use teamwork::schema::activity;
    activity::table
        .filter(activity::org_id.eq(app.org_id(slug)))
        .order(activity::id.desc())
        .select((
            activity::action,
            activity::actor_name,
            activity::actor_id.is_null(),
        ))
        .load(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn a_provisioned_member_is_deprovisioned_and_refused_on_their_next_request() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let provider = Provider::new(&app, &scim_token(&admin, &slug).await);

    // Sam has an account with a confirmed address: the provider's user is linked to it.
    let sam = app.signed_up("Sam Scim").await;
    app.mark_confirmed("sam.scim@example.com");
    let id = provider.create_user("sam.scim@example.com").await;
    assert_eq!(
        app.role_of(&slug, "sam.scim@example.com"),
        Some(Role::Viewer)
    );
    assert_eq!(
        sam.get(&format!("/orgs/{slug}")).await.status(),
        StatusCode::OK
    );

    // The Members page marks Sam and offers no role change; the console refuses one.
    let page = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(page.contains(">SCIM</span>"), "the SCIM badge");
    let sam_id = app.user_id("sam.scim@example.com");
    assert!(
        !page.contains(&format!("id=\"role-{sam_id}\"")),
        "no role select for Sam"
    );
    let sams_page = admin
        .get_text(&format!("/orgs/{slug}/members/{sam_id}"))
        .await;
    assert!(sams_page.contains("Provisioned by your identity provider"));
    let refused = admin
        .post_form(
            &format!("/orgs/{slug}/members/{sam_id}/role"),
            &[("role", "developer")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.role_of(&slug, "sam.scim@example.com"),
        Some(Role::Viewer)
    );

    // Microsoft Entra ID deactivates with a capitalized op and a string.
    let (status, body) = provider
        .patch(
            &format!("/Users/{id}"),
            json!([{ "op": "Replace", "path": "active", "value": "False" }]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    assert_eq!(app.role_of(&slug, "sam.scim@example.com"), None);
    let next = sam.get(&format!("/orgs/{slug}")).await.status();
    assert!(
        next == StatusCode::NOT_FOUND || next == StatusCode::FORBIDDEN,
        "{next}"
    );

    let log = entries(&app, &slug);
    assert_eq!(
        log[0],
        ("member.deprovisioned".to_owned(), "SCIM".to_owned(), true)
    );
    assert!(log.contains(&("member.provisioned".to_owned(), "SCIM".to_owned(), true)));
    let activity_page = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(
        activity_page.contains("deactivated"),
        "the entry's sentence"
    );
    app.mail_with_subject(
        "sam.scim@example.com",
        "You were removed from Acme by your identity provider (SCIM)",
    )
    .await;

    // Active again: a member again, with the default role.
    let (status, _) = provider
        .patch(
            &format!("/Users/{id}"),
            json!([{ "op": "replace", "value": { "active": true } }]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.role_of(&slug, "sam.scim@example.com"),
        Some(Role::Viewer)
    );

    // Deleted: gone at once, and the provider no longer finds the user.
    let (status, _) = provider
        .send(reqwest::Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.role_of(&slug, "sam.scim@example.com"), None);
    assert_eq!(
        provider.get(&format!("/Users/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn groups_mapped_to_roles_set_roles_and_the_last_administrator_stays() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let provider = Provider::new(&app, &scim_token(&admin, &slug).await);
    for (group, role) in [("eng", "developer"), ("Admins", "administrator")] {
        let saved = admin
            .post_form(
                &format!("/orgs/{slug}/settings/scim/groups"),
                &[("group_name", group), ("role", role)],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    }
    let ann = provider.create_user("ann@example.com").await;
    let bob = provider.create_user("bob@example.com").await;
    let (status, group) = provider
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "ENG", "members": [{ "value": ann }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let eng = group["id"].as_str().unwrap().to_owned();
    assert_eq!(app.role_of(&slug, "ann@example.com"), Some(Role::Developer));
    assert_eq!(app.role_of(&slug, "bob@example.com"), Some(Role::Viewer));

    // Okta adds and removes members with PATCH.
    let (status, body) = provider
        .patch(
            &format!("/Groups/{eng}"),
            json!([
                { "op": "add", "path": "members", "value": [{ "value": bob }] },
                { "op": "remove", "path": format!("members[value eq \"{ann}\"]") }
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["members"].as_array().unwrap().len(), 1);
    assert_eq!(app.role_of(&slug, "bob@example.com"), Some(Role::Developer));
    assert_eq!(
        app.role_of(&slug, "ann@example.com"),
        Some(Role::Viewer),
        "left the last mapped group: the default role"
    );
    let (_, user) = provider.get(&format!("/Users/{bob}")).await;
    assert_eq!(user["groups"][0]["display"], "ENG");

    // Changing a mapping changes the roles of the group's members, recorded as the admin's.
    admin
        .post_form(
            &format!("/orgs/{slug}/settings/scim/groups"),
            &[("group_name", "eng"), ("role", "billing_manager")],
        )
        .await;
    assert_eq!(
        app.role_of(&slug, "bob@example.com"),
        Some(Role::BillingManager)
    );
    let log = entries(&app, &slug);
    assert_eq!(log[0].0, "member.role_changed");
    assert_eq!(log[0].1, "Ada Admin");
    assert_eq!(log[1].0, "organization.scim_group_role_changed");
    assert!(log.contains(&("member.role_changed".to_owned(), "SCIM".to_owned(), true)));

    // The founder, linked and then deactivated by the provider, is the last
    // administrator: refused, with a SCIM error, and nothing changes.
    let ada = provider.create_user("ada.admin@example.com").await;
    let (status, body) = provider
        .patch(
            &format!("/Users/{ada}"),
            json!([{ "op": "replace", "path": "active", "value": false }]),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("last administrator")
    );
    assert_eq!(
        app.role_of(&slug, "ada.admin@example.com"),
        Some(Role::Administrator)
    );
    assert_eq!(
        provider.get(&format!("/Users/{ada}")).await.1["active"],
        true
    );
}

#[actix_web::test]
async fn only_the_current_scim_token_is_accepted_and_revoking_frees_roles() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let first = scim_token(&admin, &slug).await;
    assert!(first.starts_with("tw_scim_"));
    let provider = Provider::new(&app, &first);
    provider.create_user("sam@example.com").await;

    let admin_secret = admin_key(&admin, &slug, "Sync", &ALL_SCOPES).await;
    for token in ["", "tw_scim_unknown", admin_secret.as_str()] {
        let (status, body) = Provider::new(&app, token).get("/Users").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(body["status"], "401");
    }
    // And the SCIM token opens nothing else.
    let api = reqwest::Client::new()
        .get(format!("{}/api/v1/organization/members", app.address))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    let second = scim_token(&admin, &slug).await;
    assert_eq!(
        provider.get("/Users").await.0,
        StatusCode::UNAUTHORIZED,
        "rotated"
    );
    let (status, list) = Provider::new(&app, &second).get("/Users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["totalResults"], 1);

    let revoked = admin
        .post_form(&format!("/orgs/{slug}/settings/scim/token/revoke"), &[])
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        Provider::new(&app, &second).get("/Users").await.0,
        StatusCode::UNAUTHORIZED
    );
    let sam_id = app.user_id("sam@example.com");
    let changed = admin
        .post_form(
            &format!("/orgs/{slug}/members/{sam_id}/role"),
            &[("role", "developer")],
        )
        .await;
    assert!(changed.status().is_redirection() || changed.status().is_success());
    assert_eq!(app.role_of(&slug, "sam@example.com"), Some(Role::Developer));
    let log = entries(&app, &slug);
    assert!(log.iter().any(|e| e.0 == "organization.scim_token_revoked"));
    assert!(log.iter().any(|e| e.0 == "organization.scim_token_created"));
}

#[actix_web::test]
async fn an_unconfirmed_account_is_not_taken_over_and_bad_requests_are_scim_errors() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let provider = Provider::new(&app, &scim_token(&admin, &slug).await);
    app.signed_up("Eve Early").await;
    let (status, body) = provider
        .post(
            "/Users",
            json!({ "schemas": [USER], "userName": "eve.early@example.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(app.role_of(&slug, "eve.early@example.com"), None);

    for name in ["a@example.com", "B@example.com", "c@example.com"] {
        provider.create_user(name).await;
    }
    let (status, body) = provider
        .post("/Users", json!({ "schemas": [USER], "userName": "b@EXAMPLE.com", "emails": [{ "value": "other@example.com" }] }))
        .await;
    assert_eq!(
        (status, body["scimType"].clone()),
        (StatusCode::CONFLICT, json!("uniqueness"))
    );

    let (_, found) = provider
        .get("/Users?filter=userName%20eq%20%22b%40example.com%22")
        .await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["userName"], "B@example.com");
    let (_, page) = provider.get("/Users?startIndex=2&count=1").await;
    assert_eq!(
        (page["totalResults"].clone(), page["startIndex"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(page["Resources"].as_array().unwrap().len(), 1);

    for (method, path, body, status, scim_type) in [
        (
            reqwest::Method::GET,
            "/Users?filter=name%20co%20%22a%22",
            None,
            400,
            Some("invalidFilter"),
        ),
        (
            reqwest::Method::GET,
            "/Users?count=x",
            None,
            400,
            Some("invalidValue"),
        ),
        (
            reqwest::Method::POST,
            "/Users",
            Some(json!({ "schemas": [USER] })),
            400,
            Some("invalidValue"),
        ),
        (
            reqwest::Method::POST,
            "/Users",
            Some(json!({ "userName": "x", "emails": [{ "value": "not an address" }] })),
            400,
            Some("invalidValue"),
        ),
        (
            reqwest::Method::PATCH,
            "/Users/00000000-0000-0000-0000-000000000000",
            Some(
                json!({ "schemas": [PATCH], "Operations": [{ "op": "add", "path": "a", "value": 1 }] }),
            ),
            404,
            None,
        ),
        (
            reqwest::Method::POST,
            "/Groups",
            Some(
                json!({ "displayName": "g", "members": [{ "value": "00000000-0000-0000-0000-000000000000" }] }),
            ),
            400,
            Some("invalidValue"),
        ),
        (reqwest::Method::GET, "/Nope", None, 404, None),
        (
            reqwest::Method::POST,
            "/ServiceProviderConfig",
            Some(json!({})),
            405,
            None,
        ),
    ] {
        let (got, body) = provider.send(method.clone(), path, body).await;
        assert_eq!(got.as_u16(), status, "{method} {path}: {body}");
        assert_eq!(body["status"], status.to_string());
        assert_eq!(body["scimType"].as_str(), scim_type, "{method} {path}");
    }
}

#[actix_web::test]
async fn concurrent_group_patches_lose_no_member() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    let provider = Provider::new(&app, &scim_token(&admin, &slug).await);
    let mut users = Vec::new();
    for n in 0..20 {
        users.push(provider.create_user(&format!("u{n}@example.com")).await);
    }
    let (_, group) = provider
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "all" }),
        )
        .await;
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());
    let patches = users.iter().map(|user| {
        provider.patch(
            &path,
            json!([{ "op": "add", "path": "members", "value": [{ "value": user }] }]),
        )
    });
    for (status, body) in futures_util::future::join_all(patches).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, group) = provider.get(&path).await;
    assert_eq!(group["members"].as_array().unwrap().len(), 20);
}

/// Where `tests/run` installs it; `SCIM2_CLI` points elsewhere.
fn scim2_cli() -> PathBuf {
    match std::env::var_os("SCIM2_CLI") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/scim2/bin/scim2"),
    }
}

#[actix_web::test]
async fn scim2_tester_finds_no_error_in_users_and_groups() {
    let cli = scim2_cli();
    assert!(
        cli.exists(),
        "{} is missing: run tests/run once, it installs scim2-tester",
        cli.display()
    );
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    let token = scim_token(&admin, &slug).await;
    let output = tokio::process::Command::new(&cli)
        .args(["--url", &format!("{}/scim/v2", app.address), "test"])
        // The secret goes through the environment, not the command line.
        .env("SCIM_CLI_HEADERS", format!("Authorization: Bearer {token}"))
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .output()
        .await
        .expect("scim2 runs");
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}\n{}", String::from_utf8_lossy(&output.stderr));
    let count = |status: &str| report.lines().filter(|l| l.starts_with(status)).count();
    let (passed, failed, skipped) = (
        count("SUCCESS"),
        count("ERROR") + count("CRITICAL"),
        count("SKIPPED"),
    );
    println!("scim2-tester: {passed} passed, {failed} failed, {skipped} skipped");
    assert_eq!(failed, 0, "scim2-tester errors:\n{report}");
    assert_eq!(skipped, 0, "a check was skipped:\n{report}");
    // Discovery, then create/read/list/replace/delete and every PATCH for each of the
    // two resource types: a run that stopped early cannot pass.
    assert!(passed >= 60, "only {passed} checks passed:\n{report}");
    for check in [
        "object_creation",
        "object_query_without_id",
        "object_replacement",
        "object_deletion",
        "check_add_attribute",
        "check_remove_attribute",
        "check_replace_attribute",
    ] {
        let ran = report
            .lines()
            .filter(|l| l.trim_end() == format!("SUCCESS {check}"))
            .count();
        assert!(ran >= 2, "{check} ran for Users and Groups: {ran} times");
    }
}

#[actix_web::test]
async fn a_deprovisioned_developers_keys_stay_active_and_show_in_access_health() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = crate::projects::create_project(&admin, &slug, "Website").await;
    admin
        .post_form(
            &format!("/orgs/{slug}/settings/scim/groups"),
            &[("group_name", "eng"), ("role", "developer")],
        )
        .await;
    let provider = Provider::new(&app, &scim_token(&admin, &slug).await);
    let sam = app.signed_up("Sam Scim").await;
    app.mark_confirmed("sam.scim@example.com");
    let id = provider.create_user("sam.scim@example.com").await;
    let (status, _) = provider
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "eng", "members": [{ "value": id }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        app.role_of(&slug, "sam.scim@example.com"),
        Some(Role::Developer)
    );
    crate::projects::create_key(&sam, &website, "sam-prod").await;

    let (status, _) = provider
        .send(reqwest::Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.count_where("api_keys", "name = 'sam-prod' AND revoked_at IS NULL"),
        1,
        "the key stays active"
    );
    let health = admin.get_text(&format!("/orgs/{slug}/health")).await;
    let start = health.find("no longer members").expect("the check");
    let line = &health[start..start + health[start..].find("</li>").unwrap()];
    assert!(line.contains("1 key"), "{line}");
}

#[actix_web::test]
async fn the_scim_page_works_in_a_browser_at_both_widths_and_is_valid_html() {
    let app = TestApp::spawn().await;
    let (_admin, slug) = app.admin_with_org("Acme").await;
    let browser = crate::browser::Browser::start().await;
    browser
        .log_in(&app, "ada.admin@example.com", "correct horse battery")
        .await;
    let mut html = crate::html_check::HtmlCheck::default();
    browser
        .goto(&format!("{}/orgs/{slug}/settings", app.address))
        .await;
    browser.click_link("set up SCIM").await;
    browser.wait_for_text("No SCIM token yet").await;
    html.keep(&browser, "scim, empty").await;

    browser.click_button("Create SCIM token").await;
    browser.wait_for_text("Copy your SCIM token").await;
    let text = browser.page_text().await;
    let start = text.find("tw_scim_").expect("the token, once");
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    html.keep(&browser, "scim, token shown").await;

    // A group role, then a group of the provider with one person in it.
    browser.fill("Group name", "").await;
    browser.click_button("Save group role").await;
    browser.wait_for_text("Enter the group's name").await;
    html.keep(&browser, "scim, refused").await;
    browser.fill("Group name", "eng").await;
    browser.select("Role", "Developer").await;
    browser.click_button("Save group role").await;
    browser
        .wait_until("the group role listed", async || {
            browser.row_text("eng").await.contains("Developer")
        })
        .await;
    let provider = Provider::new(&app, &token);
    let sam = provider.create_user("sam@example.com").await;
    provider
        .post(
            "/Groups",
            json!({ "schemas": [GROUP], "displayName": "eng", "members": [{ "value": sam }] }),
        )
        .await;
    browser
        .goto(&format!("{}/orgs/{slug}/settings/scim", app.address))
        .await;
    browser.wait_for_text("1 member, role Developer").await;
    assert!(
        !browser.page_text().await.contains(&token),
        "shown only once"
    );
    html.keep(&browser, "scim, on").await;
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        browser.resize(width, height).await;
        browser
            .screenshot_whole_page(&format!("scim-settings-{size}.png"))
            .await;
    }
    browser
        .goto(&format!("{}/orgs/{slug}/members", app.address))
        .await;
    browser
        .wait_for_text("Set by your identity provider's groups")
        .await;
    html.keep(&browser, "members with a provisioned member")
        .await;
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        browser.resize(width, height).await;
        browser
            .screenshot_whole_page(&format!("scim-members-{size}.png"))
            .await;
    }
    browser.close().await;
    assert_eq!(html.errors(), Vec::<String>::new());
}

#[actix_web::test]
async fn a_contractor_becomes_a_member_in_their_seat_and_a_full_plan_refuses_newcomers() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = crate::projects::create_project(&admin, &slug, "Website").await;
    let project_id = website.rsplit('/').next().unwrap().parse().unwrap();
    app.project_only_member(
        &slug,
        project_id,
        "Carla",
        teamwork::domain::ProjectRole::Developer,
    )
    .await;
    app.mark_confirmed("carla@example.com");
    let provider = Provider::new(&app, &scim_token(&admin, &slug).await);
    // The Free plan has 5 seats: Ada, Carla and three more.
    for n in 0..3 {
        provider.create_user(&format!("p{n}@example.com")).await;
    }
    provider.create_user("carla@example.com").await;
    assert_eq!(app.role_of(&slug, "carla@example.com"), Some(Role::Viewer));
    let carla = app.user_id("carla@example.com");
    assert_eq!(
        app.count_where("project_members", &format!("user_id = '{carla}'")),
        0,
        "project-only access became the membership"
    );
    let (status, body) = provider
        .post(
            "/Users",
            json!({ "schemas": [USER], "userName": "sixth@example.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("seat"));
    assert_eq!(
        app.count_where("users", "email = 'sixth@example.com'"),
        0,
        "nothing of the refused user stays"
    );
}
