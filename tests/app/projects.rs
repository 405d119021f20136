//! Projects, project-only access, API keys, and the usage API.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use teamwork::domain::Role;
use teamwork::schema::{activity, api_keys};

use crate::helpers::{TestApp, TestClient, location};

const PASSWORD: &str = "correct horse battery";

/// Creates a project through the form and returns its page path.
pub(crate) async fn create_project(client: &TestClient, slug: &str, name: &str) -> String {
    let response = client
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", name)])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "create project {name}"
    );
    location(&response)
}

/// Creates a key on a project page and returns the secret shown once.
pub(crate) async fn create_key(client: &TestClient, project: &str, name: &str) -> String {
    let response = client
        .post_form(&format!("{project}/keys"), &[("name", name)])
        .await;
    assert_eq!(response.status(), StatusCode::OK, "create key {name}");
    crate::helpers::shown_key(&response.text().await.unwrap())
}

pub async fn report(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/usage", app.address))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn usage_body() -> Value {
    json!({ "model": "gpt-large", "requests": 3, "input_tokens": 1200, "output_tokens": 300 })
}

fn last_action(app: &TestApp) -> String {
    activity::table
        .order(activity::id.desc())
        .select(activity::action)
        .first(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn administrators_and_developers_create_projects_others_cannot() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    create_project(&admin, &slug, "Website").await;
    assert_eq!(last_action(&app), "project.created");
    create_project(&dev, &slug, "Mobile").await;
    let taken = admin
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", "website")])
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().await.unwrap().contains("already exists"));
    for (name, role) in [("Bill", Role::BillingManager), ("Vera", Role::Viewer)] {
        let member = app.member_with_role(&slug, name, role).await;
        let list = member.get_text(&format!("/orgs/{slug}/projects")).await;
        assert!(
            list.contains("Website") && list.contains("Mobile"),
            "{role:?} sees every project"
        );
        assert!(
            !list.contains("New project"),
            "{role:?} is not offered to create"
        );
        let response = member
            .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Sneaky")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role:?}");
    }
    assert_eq!(app.count("projects"), 2);
}

#[actix_web::test]
async fn a_key_is_shown_once_stored_hashed_and_reports_usage() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &project, "production").await;
    assert!(key.len() >= "tw_live_".len() + 43, "256 random bits: {key}");
    assert_eq!(last_action(&app), "api_key.created");

    let page = admin.get_text(&project).await;
    assert!(
        page.contains("production") && page.contains(&key[..16]),
        "name and prefix listed"
    );
    assert!(!page.contains(&key), "the secret is never shown again");
    assert!(page.contains("never"), "not used yet");
    #[derive(QueryableByName)]
    struct Dump {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    for table in ["api_keys", "activity", "usage_events"] {
        let rows: Vec<Dump> = diesel::sql_query(format!(
            "SELECT row_to_json(t)::text AS dump FROM {table} t"
        ))
        .load(&mut app.conn())
        .unwrap();
        assert!(
            rows.iter().all(|r| !r.dump.contains(&key[16..])),
            "the secret is in {table}"
        );
    }

    let response = report(&app, &key, usage_body()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "the API has no sessions"
    );
    let used: Option<chrono::DateTime<chrono::Utc>> = api_keys::table
        .select(api_keys::last_used_at)
        .first(&mut app.conn())
        .unwrap();
    assert!(used.is_some());
    assert!(!admin.get_text(&project).await.contains(">never<"));
    assert!(
        admin.get_text(&project).await.contains("1,200"),
        "the usage summary counts it"
    );

    let who: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/whoami", app.address))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["organization"]["slug"], slug.as_str());
    assert_eq!(who["project"]["name"], "Website");
}

#[actix_web::test]
async fn the_usage_api_refuses_bad_keys_and_bad_bodies_with_json_reasons() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &project, "ci").await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/usage", app.address);

    let missing = http.post(&url).json(&usage_body()).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "missing_key"
    );
    for bad in ["tw_live_nope", "Basic abc", "", &format!("{key}x")] {
        let response = http
            .post(&url)
            .header("authorization", format!("Bearer {bad}"))
            .json(&usage_body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_key"
        );
    }
    let bodies = [
        json!({ "model": "", "input_tokens": 1, "output_tokens": 1 }),
        json!({ "model": "m", "input_tokens": -1, "output_tokens": 1 }),
        json!({ "model": "m", "input_tokens": 1 }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "cost": 0 }),
        json!({ "model": "m", "input_tokens": 1e12, "output_tokens": 1 }),
        json!({ "model": "m\nx", "input_tokens": 1, "output_tokens": 1 }),
        json!({ "model": "m", "input_tokens": 1, "output_tokens": 1, "timestamp": "2001-01-01T00:00:00Z" }),
        json!([1, 2, 3]),
    ];
    for body in bodies {
        let response = report(&app, &key, body.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let reason: Value = response.json().await.unwrap();
        assert_eq!(reason["error"], "bad_request", "{body}");
        assert!(!reason["message"].as_str().unwrap().is_empty());
    }
    let not_json = http
        .post(&url)
        .bearer_auth(&key)
        .body(vec![0xff, 0xfe, b'{'])
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count("usage_events"), 0);
    let unknown = http
        .get(format!("{}/api/v1/nothing", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"], "not_found");
}

#[actix_web::test]
async fn revoked_and_rotated_out_keys_get_401() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;

    let revoked = create_key(&admin, &project, "old").await;
    let id: uuid::Uuid = api_keys::table
        .select(api_keys::id)
        .first(&mut app.conn())
        .unwrap();
    let confirm = admin.get_text(&format!("{project}/keys/{id}/revoke")).await;
    assert!(confirm.contains("Revoke key") && confirm.contains("old"));
    assert_eq!(
        report(&app, &revoked, usage_body()).await.status(),
        StatusCode::CREATED,
        "asking changes nothing"
    );
    let response = admin
        .post_form(&format!("{project}/keys/{id}/revoke"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(last_action(&app), "api_key.revoked");
    let refused = report(&app, &revoked, usage_body()).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "key_revoked"
    );

    let rotating = create_key(&admin, &project, "rotating").await;
    let id: uuid::Uuid = api_keys::table
        .filter(api_keys::name.eq("rotating"))
        .select(api_keys::id)
        .first(&mut app.conn())
        .unwrap();
    let page = admin
        .post_form(&format!("{project}/keys/{id}/rotate"), &[("overlap", "1")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("keeps working for 1 hour"));
    let replacement = crate::helpers::shown_key(&page);
    assert_ne!(replacement, rotating);
    assert_eq!(last_action(&app), "api_key.rotated");
    assert_eq!(
        report(&app, &rotating, usage_body()).await.status(),
        StatusCode::CREATED,
        "inside the overlap"
    );
    assert_eq!(
        report(&app, &replacement, usage_body()).await.status(),
        StatusCode::CREATED
    );
    app.clock.advance(chrono::Duration::minutes(61));
    let expired = report(&app, &rotating, usage_body()).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.json::<Value>().await.unwrap()["error"],
        "key_expired"
    );
    assert_eq!(
        report(&app, &replacement, usage_body()).await.status(),
        StatusCode::CREATED
    );

    let again = admin
        .post_form(&format!("{project}/keys/{id}/rotate"), &[("overlap", "0")])
        .await;
    assert_eq!(
        again.status(),
        StatusCode::CONFLICT,
        "a rotated key is not rotated twice"
    );
    let bad = admin
        .post_form(
            &format!("{project}/keys/{id}/rotate"),
            &[("overlap", "9999")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn only_roles_with_key_rights_see_or_change_keys() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let project = create_project(&admin, &slug, "Website").await;
    create_key(&admin, &project, "production").await;
    let id: uuid::Uuid = api_keys::table
        .select(api_keys::id)
        .first(&mut app.conn())
        .unwrap();

    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    create_key(&dev, &project, "dev key").await;

    let bill = app
        .member_with_role(&slug, "Bill", Role::BillingManager)
        .await;
    assert_eq!(
        bill.get(&format!("/orgs/{slug}/api-keys")).await.status(),
        StatusCode::FORBIDDEN
    );
    let page = bill.get_text(&project).await;
    assert!(
        !page.contains("production"),
        "no API access for billing managers"
    );
    assert!(
        !bill
            .get_text(&format!("/orgs/{slug}"))
            .await
            .contains(">API keys</a>"),
        "not in the sidebar"
    );

    let vera = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let page = vera.get_text(&project).await;
    assert!(
        page.contains("production")
            && !page.contains("Create key")
            && !page.contains(">Revoke</a>")
    );
    assert!(
        vera.get_text(&format!("/orgs/{slug}/api-keys"))
            .await
            .contains("production")
    );

    let before = (app.count("api_keys"), app.count("activity"));
    for member in [&bill, &vera] {
        assert_eq!(
            member
                .post_form(&format!("{project}/keys"), &[("name", "x")])
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            member
                .post_form(&format!("{project}/keys/{id}/revoke"), &[])
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            member
                .post_form(&format!("{project}/keys/{id}/rotate"), &[("overlap", "0")])
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!((app.count("api_keys"), app.count("activity")), before);
    let active: i64 = api_keys::table
        .filter(api_keys::revoked_at.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(active, 2);
}

#[actix_web::test]
async fn a_contractor_invited_to_one_project_sees_nothing_else() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let secret_project = create_project(&admin, &slug, "Secret").await;
    let response = admin
        .post_form(
            &format!("{website}/invitations"),
            &[
                ("emails", "carla@contractor.example"),
                ("role", "developer"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mail = app
        .mail_with_subject(
            "carla@contractor.example",
            "Ada Admin invited you to join the project Website in Acme on Teamwork",
        )
        .await;
    assert!(mail.text.contains("access to this project only"));
    let join = app.join_path("carla@contractor.example", 1).await;
    let carla = app.client();
    assert!(
        carla
            .get_text(&join)
            .await
            .contains("Create account and join")
    );
    let joined = carla
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Carla Contractor"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    assert_eq!(last_action(&app), "project_access.granted");
    assert_eq!(
        app.role_of(&slug, "carla@contractor.example"),
        None,
        "no organization role"
    );

    let overview = carla.get(&format!("/orgs/{slug}")).await;
    assert_eq!(
        location(&overview),
        website,
        "the organization leads to her project"
    );
    let page = carla.get_text(&website).await;
    let nav = &page[page.find("<nav class=\"sidebar\"").unwrap()..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    assert!(nav.contains(">Projects</a>") && nav.contains(">API keys</a>"));
    assert!(
        !nav.contains(">Members</a>")
            && !nav.contains(">Settings</a>")
            && !nav.contains(">Overview</a>")
    );
    let list = carla.get_text(&format!("/orgs/{slug}/projects")).await;
    assert!(list.contains("Website") && !list.contains("Secret"));
    for path in ["/members", "/settings", "/invitations/new", "/projects/new"] {
        let status = carla.get(&format!("/orgs/{slug}{path}")).await.status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        carla.get(&secret_project).await.status(),
        StatusCode::NOT_FOUND
    );
    let key = create_key(&carla, &website, "carla's key").await;
    assert_eq!(
        report(&app, &key, usage_body()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        carla
            .post_form(&format!("{secret_project}/keys"), &[("name", "x")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let members = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(members.contains("Carla Contractor") && members.contains("Project only"));

    // Project-only members may leave too.
    assert!(
        carla
            .get_text(&format!("/orgs/{slug}/leave"))
            .await
            .contains("Leave <strong>Acme</strong>?")
    );
    assert_eq!(
        carla
            .post_form(&format!("/orgs/{slug}/leave"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(last_action(&app), "member.left");
    assert_eq!(carla.get(&website).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        report(&app, &key, usage_body()).await.status(),
        StatusCode::CREATED,
        "her key stays active"
    );
}

#[actix_web::test]
async fn administrators_change_and_take_project_access_and_it_applies_at_once() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    admin
        .post_form(
            &format!("{website}/invitations"),
            &[("emails", "carla@example.com"), ("role", "viewer")],
        )
        .await;
    let join = app.join_path("carla@example.com", 1).await;
    let carla = app.client();
    carla
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Carla"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        carla
            .post_form(&format!("{website}/keys"), &[("name", "x")])
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "a project Viewer"
    );

    let carla_id = app.user_id("carla@example.com");
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    let forged = dev
        .post_form(
            &format!("{website}/access/{carla_id}/role"),
            &[("role", "developer")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let changed = admin
        .post_form(
            &format!("{website}/access/{carla_id}/role"),
            &[("role", "developer")],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(last_action(&app), "project_access.changed");
    assert_eq!(
        carla
            .post_form(&format!("{website}/keys"), &[("name", "now allowed")])
            .await
            .status(),
        StatusCode::OK
    );

    let confirm = admin
        .get_text(&format!("{website}/access/{carla_id}/remove"))
        .await;
    assert!(confirm.contains("Remove access") && confirm.contains("stay active"));
    let removed = admin
        .post_form(&format!("{website}/access/{carla_id}/remove"), &[])
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert_eq!(last_action(&app), "project_access.revoked");
    assert_eq!(carla.get(&website).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        carla.get(&format!("/orgs/{slug}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn a_removed_members_keys_keep_working_and_are_flagged() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let grace = app.member_with_role(&slug, "Grace", Role::Developer).await;
    let key = create_key(&grace, &website, "grace-prod").await;
    report(&app, &key, usage_body()).await;
    let grace_id = app.user_id("grace@example.com");

    let confirm = admin
        .get_text(&format!("/orgs/{slug}/members/{grace_id}/remove"))
        .await;
    assert!(
        confirm.contains("grace-prod")
            && confirm.contains("Website")
            && confirm.contains("aria-label=\"Rotate grace-prod\"")
    );
    admin
        .post_form(&format!("/orgs/{slug}/members/{grace_id}/remove"), &[])
        .await;
    assert_eq!(app.role_of(&slug, "grace@example.com"), None);

    assert_eq!(
        report(&app, &key, usage_body()).await.status(),
        StatusCode::CREATED,
        "the product promise"
    );
    let keys = admin.get_text(&format!("/orgs/{slug}/api-keys")).await;
    assert!(keys.contains("grace-prod") && keys.contains("creator removed"));
    assert_eq!(grace.get(&website).await.status(), StatusCode::NOT_FOUND);
    // A key is never a session: the API key as a cookie opens nothing.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let as_cookie = http
        .get(format!("{}/orgs/{slug}", app.address))
        .header("cookie", format!("teamwork={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(as_cookie.status(), StatusCode::SEE_OTHER);
    let as_bearer = http
        .get(format!("{}/orgs/{slug}", app.address))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(as_bearer.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn archiving_a_project_stops_its_keys() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let key = create_key(&admin, &website, "prod").await;
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    assert_eq!(
        dev.post_form(&format!("{website}/archive"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert!(
        admin
            .get_text(&format!("{website}/archive"))
            .await
            .contains("API keys stop working")
    );
    let renamed = admin
        .post_form(&format!("{website}/rename"), &[("name", "Site")])
        .await;
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    assert_eq!(last_action(&app), "project.renamed");
    let response = admin.post_form(&format!("{website}/archive"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(last_action(&app), "project.archived");
    let refused = report(&app, &key, usage_body()).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "project_archived"
    );
    assert!(
        admin
            .get_text(&format!("/orgs/{slug}/projects"))
            .await
            .contains("Project Site archived"),
        "the confirmation"
    );
    assert!(
        !admin
            .get_text(&format!("/orgs/{slug}/projects"))
            .await
            .contains("Site"),
        "no longer listed"
    );
}

#[actix_web::test]
async fn another_organizations_projects_and_keys_are_404() {
    let app = TestApp::spawn().await;
    let (ada, acme) = app.admin_with_org("Acme").await;
    let website = create_project(&ada, &acme, "Website").await;
    create_key(&ada, &website, "prod").await;
    let key_id: uuid::Uuid = api_keys::table
        .select(api_keys::id)
        .first(&mut app.conn())
        .unwrap();
    let project_id = website.rsplit('/').next().unwrap().to_owned();

    let mallory = app.signed_up("Mallory").await;
    let evil = mallory.create_org("Evil").await;
    let swapped = format!("/orgs/{evil}/projects/{project_id}");
    assert_eq!(mallory.get(&swapped).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        mallory
            .post_form(&format!("{swapped}/keys"), &[("name", "x")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        mallory
            .post_form(&format!("{swapped}/keys/{key_id}/revoke"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let own = create_project(&mallory, &evil, "Evil project").await;
    assert_eq!(
        mallory
            .post_form(&format!("{own}/keys/{key_id}/revoke"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(mallory.get(&website).await.status(), StatusCode::NOT_FOUND);
    let revoked: i64 = api_keys::table
        .filter(api_keys::revoked_at.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(revoked, 0);
}
