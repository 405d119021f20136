//! The organization API with admin keys: keys made in Settings act through the same ops
//! as the pages, within their scopes; project keys and admin keys keep to their own
//! endpoints; writes are idempotent by `Idempotency-Key`; each key has a rate limit.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use teamwork::domain::Role;

use crate::helpers::{TestApp, TestClient, shown_key};

pub(crate) const ALL_SCOPES: [&str; 9] = [
    "members:read",
    "members:write",
    "projects:read",
    "projects:write",
    "keys:read",
    "keys:write",
    "usage:read",
    "activity:read",
    "billing:read",
];

/// Creates an admin key on the Settings page as `admin` would, and returns its secret.
pub(crate) async fn admin_key(
    admin: &TestClient,
    slug: &str,
    name: &str,
    scopes: &[&str],
) -> String {
    let mut fields = vec![("name", name)];
    fields.extend(scopes.iter().map(|s| ("scopes", *s)));
    let response = admin
        .post_form(&format!("/orgs/{slug}/settings/admin-keys"), &fields)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "the key is shown");
    let key = shown_key(&response.text().await.unwrap());
    assert!(key.starts_with("tw_admin_"), "{key}");
    key
}

/// One API call: the status, the JSON body (Null when empty) and the response headers.
pub(crate) async fn call(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let client = reqwest::Client::new();
    let mut request = client
        .request(method, format!("{}/api/v1/organization{path}", app.address))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON from {path}: {text}"))
    };
    (status, value, headers)
}

#[actix_web::test]
async fn an_admin_key_made_in_settings_manages_members_and_the_pages_show_it() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Grace Dev", Role::Developer)
        .await;
    app.member_with_role(&slug, "Linus Viewer", Role::Viewer)
        .await;
    let key = admin_key(&admin, &slug, "HR sync", &ALL_SCOPES).await;
    let settings = admin
        .get_text(&format!("/orgs/{slug}/settings/admin-keys"))
        .await;
    assert!(
        settings.contains("HR sync") && settings.contains("Ada Admin"),
        "listed with its creator"
    );
    assert!(!settings.contains(&key), "the secret is shown once only");

    let (status, members, headers) = call(&app, &key, Method::GET, "/members?limit=2", None).await;
    assert_eq!(status, StatusCode::OK, "{members}");
    assert_eq!(members["data"].as_array().unwrap().len(), 2);
    assert_eq!(members["has_more"], true);
    assert_eq!(headers["x-ratelimit-limit"], "600");
    let after = members["next_after"].as_str().unwrap();
    let (_, rest, _) = call(
        &app,
        &key,
        Method::GET,
        &format!("/members?limit=2&after={after}"),
        None,
    )
    .await;
    assert_eq!(
        rest["data"].as_array().unwrap().len(),
        1,
        "three members in all, no overlap"
    );
    assert_eq!(rest["has_more"], false);

    let (status, sent, _) = call(
        &app,
        &key,
        Method::POST,
        "/invitations",
        Some(json!({"emails": ["new.one@example.com", "new.two@example.com", "nope"], "role": "developer"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let outcomes: Vec<&str> = sent["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["invited", "invited", "invalid"]);
    assert_eq!(app.count_where("invitations", "status = 'pending'"), 2);

    let grace = app.user_id("grace.dev@example.com");
    let (status, changed, _) = call(
        &app,
        &key,
        Method::PATCH,
        &format!("/members/{grace}"),
        Some(json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(
        (status, changed["role"].as_str()),
        (StatusCode::OK, Some("viewer"))
    );
    assert_eq!(
        app.role_of(&slug, "grace.dev@example.com"),
        Some(Role::Viewer)
    );

    let linus = app.user_id("linus.viewer@example.com");
    let (status, _, _) = call(
        &app,
        &key,
        Method::DELETE,
        &format!("/members/{linus}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.role_of(&slug, "linus.viewer@example.com"), None);

    // The last administrator stays one: the same rule, and answer, as the page's.
    let ada = app.user_id("ada.admin@example.com");
    let (status, refused, _) = call(
        &app,
        &key,
        Method::PATCH,
        &format!("/members/{ada}"),
        Some(json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("administrator"),
        "{refused}"
    );

    // The pages show what the API did, done by the key in the creator's name.
    let members_page = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(members_page.contains("new.one@example.com") && !members_page.contains("Linus Viewer"));
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(
        log.contains("API key HR sync (created by Ada Admin)"),
        "the log names the key"
    );
    let (_, activity, _) = call(&app, &key, Method::GET, "/activity?action=members", None).await;
    let actors: Vec<&str> = activity["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors.len() >= 2
            && actors
                .iter()
                .all(|a| *a == "API key HR sync (created by Ada Admin)"),
        "{actors:?}"
    );

    // And the API sees what the pages do.
    admin
        .post_form(
            &format!("/orgs/{slug}/members/{grace}/role"),
            &[("role", "developer")],
        )
        .await;
    let (_, grace_now, _) = call(&app, &key, Method::GET, &format!("/members/{grace}"), None).await;
    assert_eq!(grace_now["role"], "developer");
}

#[actix_web::test]
async fn projects_and_keys_through_the_api_match_the_project_page() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let key = admin_key(&admin, &slug, "Terraform", &ALL_SCOPES).await;
    let (status, project, _) = call(
        &app,
        &key,
        Method::POST,
        "/projects",
        Some(json!({"name": "Apollo"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let id = project["id"].as_str().unwrap().to_owned();
    let (status, _, _) = call(
        &app,
        &key,
        Method::POST,
        "/projects",
        Some(json!({"name": "Apollo"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "a taken name");
    let (status, renamed, _) = call(
        &app,
        &key,
        Method::PATCH,
        &format!("/projects/{id}"),
        Some(json!({"name": "Artemis"})),
    )
    .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (StatusCode::OK, Some("Artemis"))
    );
    let (status, created, _) = call(
        &app,
        &key,
        Method::POST,
        &format!("/projects/{id}/keys"),
        Some(json!({"name": "prod"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("tw_live_"));
    let key_id = created["key"]["id"].as_str().unwrap().to_owned();
    let page = admin.get_text(&format!("/orgs/{slug}/projects/{id}")).await;
    assert!(
        page.contains("Artemis") && page.contains("prod"),
        "the page shows the API's project and key"
    );
    let (_, listed, _) = call(
        &app,
        &key,
        Method::GET,
        &format!("/projects/{id}/keys"),
        None,
    )
    .await;
    assert!(
        !listed.to_string().contains(secret),
        "lists never carry the secret"
    );
    let (status, rotated, _) = call(
        &app,
        &key,
        Method::POST,
        &format!("/projects/{id}/keys/{key_id}/rotate"),
        Some(json!({"overlap_hours": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    assert_eq!(rotated["old"]["status"], "expiring");
    let new_id = rotated["new"]["id"].as_str().unwrap().to_owned();
    let (status, revoked, _) = call(
        &app,
        &key,
        Method::DELETE,
        &format!("/projects/{id}/keys/{new_id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, revoked["status"].as_str()),
        (StatusCode::OK, Some("revoked"))
    );
    let (status, archived, _) = call(
        &app,
        &key,
        Method::POST,
        &format!("/projects/{id}/archive"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(archived["archived_at"].is_string());
    let (status, _, _) = call(&app, &key, Method::GET, "/usage?days=7", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, billing, _) = call(&app, &key, Method::GET, "/billing", None).await;
    assert_eq!(status, StatusCode::OK, "{billing}");
    assert_eq!(billing["seats_used"], 1);
}

#[actix_web::test]
async fn each_key_kind_keeps_to_its_endpoints_and_dead_keys_are_refused() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let key = admin_key(&admin, &slug, "Sync", &["members:read"]).await;
    let project = admin
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Web")])
        .await;
    let project_path = crate::helpers::location(&project);
    let page = admin
        .post_form(&format!("{project_path}/keys"), &[("name", "prod")])
        .await
        .text()
        .await
        .unwrap();
    let project_key = shown_key(&page);

    let (status, body, _) = call(&app, &project_key, Method::GET, "/members", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("wrong_key_kind"))
    );
    let usage = reqwest::Client::new()
        .post(format!("{}/api/v1/usage", app.address))
        .bearer_auth(&key)
        .json(&json!({"model": "m", "input_tokens": 1, "output_tokens": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        usage.status(),
        StatusCode::FORBIDDEN,
        "an admin key never reports usage"
    );
    assert_eq!(app.count("usage_events"), 0);
    let (status, body, _) = call(&app, "tw_admin_unknown", Method::GET, "/members", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_key"))
    );

    // Revoked in Settings (after a confirmation page): refused at once.
    let key_id: uuid::Uuid = app.with_conn(|conn| {
        use diesel::prelude::*;
        teamwork::schema::admin_keys::table
            .select(teamwork::schema::admin_keys::id)
            .first(conn)
            .unwrap()
    });
    let confirm = admin
        .get_text(&format!("/orgs/{slug}/settings/admin-keys/{key_id}/revoke"))
        .await;
    assert!(confirm.contains("Revoke admin key"));
    admin
        .post_form(
            &format!("/orgs/{slug}/settings/admin-keys/{key_id}/revoke"),
            &[],
        )
        .await;
    let (status, body, _) = call(&app, &key, Method::GET, "/members", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("key_revoked"))
    );
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(log.contains("created the admin key") && log.contains("revoked the admin key"));
}

/// Every endpoint with a key holding one scope: allowed when the scope opens it (and a
/// write does its thing), 403 `insufficient_scope` otherwise, with nothing changed.
#[actix_web::test]
async fn every_endpoint_answers_each_scope_as_its_scope_says() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    app.member_with_role(&slug, "Grace Dev", Role::Developer)
        .await;
    let grace = app.user_id("grace.dev@example.com");
    let full = admin_key(&admin, &slug, "Full", &ALL_SCOPES).await;
    let (_, project, _) = call(
        &app,
        &full,
        Method::POST,
        "/projects",
        Some(json!({"name": "Apollo"})),
    )
    .await;
    let p = project["id"].as_str().unwrap().to_owned();
    let (_, created, _) = call(
        &app,
        &full,
        Method::POST,
        &format!("/projects/{p}/keys"),
        Some(json!({"name": "k"})),
    )
    .await;
    let k = created["key"]["id"].as_str().unwrap().to_owned();
    let (_, sent, _) = call(
        &app,
        &full,
        Method::POST,
        "/invitations",
        Some(json!({"emails": ["x@example.com"], "role": "viewer"})),
    )
    .await;
    let i = sent["results"][0]["invitation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let carla = crate::admin_api_access::project_only_carla(&app, &slug, &p).await;
    let until = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let endpoints: Vec<(Method, String, Option<Value>, &str)> = vec![
        (Method::GET, "/members".into(), None, "members:read"),
        (
            Method::GET,
            format!("/members/{grace}"),
            None,
            "members:read",
        ),
        (
            Method::PATCH,
            format!("/members/{grace}"),
            Some(json!({"role": "viewer"})),
            "members:write",
        ),
        (Method::GET, "/invitations".into(), None, "members:read"),
        (
            Method::GET,
            format!("/invitations/{i}"),
            None,
            "members:read",
        ),
        (
            Method::POST,
            "/invitations".into(),
            Some(json!({"emails": ["y@example.com"], "role": "viewer"})),
            "members:write",
        ),
        (
            Method::POST,
            format!("/invitations/{i}/resend"),
            None,
            "members:write",
        ),
        (
            Method::PATCH,
            format!("/invitations/{i}"),
            Some(json!({"role": "developer"})),
            "members:write",
        ),
        (Method::GET, "/projects".into(), None, "projects:read"),
        (Method::GET, format!("/projects/{p}"), None, "projects:read"),
        (
            Method::GET,
            format!("/projects/{p}/members"),
            None,
            "projects:read",
        ),
        (
            Method::POST,
            "/projects".into(),
            Some(json!({"name": "Zeta"})),
            "projects:write",
        ),
        (
            Method::PATCH,
            format!("/projects/{p}"),
            Some(json!({"name": "Apollo 2"})),
            "projects:write",
        ),
        (
            Method::PATCH,
            format!("/projects/{p}/members/{carla}"),
            Some(json!({"access_until": until})),
            "projects:write",
        ),
        (
            Method::GET,
            format!("/projects/{p}/keys"),
            None,
            "keys:read",
        ),
        (
            Method::POST,
            format!("/projects/{p}/keys"),
            Some(json!({"name": "k2"})),
            "keys:write",
        ),
        (Method::GET, "/usage".into(), None, "usage:read"),
        (Method::GET, "/activity".into(), None, "activity:read"),
        (Method::GET, "/billing".into(), None, "billing:read"),
        (Method::GET, "/billing/ledger".into(), None, "billing:read"),
        (
            Method::DELETE,
            format!("/projects/{p}/keys/{k}"),
            None,
            "keys:write",
        ),
        (
            Method::DELETE,
            format!("/invitations/{i}"),
            None,
            "members:write",
        ),
        (
            Method::DELETE,
            format!("/members/{grace}"),
            Some(json!({"rotate_keys": [], "overlap": "none"})),
            "members:write",
        ),
        (
            Method::POST,
            format!("/projects/{p}/archive"),
            None,
            "projects:write",
        ),
    ];
    let mut keys = Vec::new();
    for scope in ALL_SCOPES {
        keys.push((scope, admin_key(&admin, &slug, scope, &[scope]).await));
    }
    let mut cells = 0;
    for (method, path, body, needed) in &endpoints {
        // Denied first, so that an allowed write cannot hide a denied one.
        for (scope, key) in keys.iter().filter(|(s, _)| s != needed) {
            let before = app.count("activity");
            let rows = (
                app.count("invitations"),
                app.count("projects"),
                app.count("api_keys"),
                app.count("memberships"),
            );
            let (status, answer, _) = call(&app, key, method.clone(), path, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} with {scope}: {answer}"
            );
            assert_eq!(answer["error"], "insufficient_scope");
            assert_eq!(
                app.count("activity"),
                before,
                "{method} {path} with {scope} wrote"
            );
            assert_eq!(
                rows,
                (
                    app.count("invitations"),
                    app.count("projects"),
                    app.count("api_keys"),
                    app.count("memberships")
                )
            );
            cells += 1;
        }
        let key = &keys.iter().find(|(s, _)| s == needed).unwrap().1;
        let before = app.count("activity");
        let (status, answer, _) = call(&app, key, method.clone(), path, body.clone()).await;
        assert!(
            status.is_success(),
            "{method} {path} with {needed}: {status} {answer}"
        );
        if *method != Method::GET {
            assert_eq!(
                app.count("activity"),
                before + 1,
                "{method} {path} did its thing"
            );
        }
        cells += 1;
    }
    assert_eq!(cells, endpoints.len() * ALL_SCOPES.len());
}

#[actix_web::test]
async fn twenty_concurrent_retries_with_one_idempotency_key_make_one_invitation() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let key = admin_key(&admin, &slug, "HR", &["members:write"]).await;
    let body = json!({"emails": ["once@example.com"], "role": "viewer"});
    let url = format!("{}/api/v1/organization/invitations", app.address);
    let tries = (0..20).map(|_| {
        let (url, key, body) = (url.clone(), key.clone(), body.clone());
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(key)
                .header("Idempotency-Key", "hire-4711")
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        })
    });
    let answers: Vec<(StatusCode, String)> = futures_join(tries).await;
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::CREATED),
        "{answers:?}"
    );
    assert!(
        answers.windows(2).all(|w| w[0].1 == w[1].1),
        "every retry gets the first answer"
    );
    assert_eq!(
        app.count_where("invitations", "email = 'once@example.com'"),
        1
    );
    assert_eq!(app.count_where("activity", "action = 'invitation.sent'"), 1);

    let other = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&key)
        .header("Idempotency-Key", "hire-4711")
        .json(&json!({"emails": ["other@example.com"], "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("invitations"), 1);
}

async fn futures_join<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.unwrap());
    }
    out
}

#[actix_web::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after() {
    let app = TestApp::spawn_with(|config| config.limits.admin_api_per_minute = 3).await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let key = admin_key(&admin, &slug, "Busy", &["members:read"]).await;
    for remaining in ["2", "1", "0"] {
        let (status, _, headers) = call(&app, &key, Method::GET, "/members", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-ratelimit-remaining"], remaining);
    }
    let (status, body, headers) = call(&app, &key, Method::GET, "/members", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(headers["x-ratelimit-limit"], "3");
}

#[actix_web::test]
async fn the_openapi_document_and_its_reference_page_describe_every_operation() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let doc: Value = client
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, 27);
    assert!(doc["components"]["schemas"]["Member"].is_object());
    // A removal's plan is an optional body of the DELETE.
    let removal = &doc["paths"]["/api/v1/organization/members/{user_id}"]["delete"]["requestBody"];
    assert!(
        removal["content"]["application/json"]["schema"]["oneOf"]
            .as_array()
            .unwrap()
            .contains(&json!({"$ref": "#/components/schemas/Removal"})),
        "{removal}"
    );
    assert_ne!(removal["required"], true, "{removal}");
    let page = client.get_text("/docs/api").await;
    assert!(page.contains("/api/v1/organization/invitations/{id}/resend"));
    assert!(page.contains("InvitationResults"));
}

#[actix_web::test]
async fn the_admin_keys_form_says_what_is_missing() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let response = admin
        .post_form(
            &format!("/orgs/{slug}/settings/admin-keys"),
            &[("name", ""), ("expires", "2001-01-01")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Choose at least one scope.") && page.contains("Choose a day after today.")
    );
    assert_eq!(app.count("admin_keys"), 0);
    let developer = app
        .member_with_role(&slug, "Grace Dev", Role::Developer)
        .await;
    let denied = developer
        .post_form(
            &format!("/orgs/{slug}/settings/admin-keys"),
            &[("name", "x"), ("scopes", "members:read")],
        )
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("admin_keys"), 0);
}

#[actix_web::test]
async fn a_remembered_answer_replays_a_new_secret_without_keeping_it_in_clear() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let key = admin_key(&admin, &slug, "Terraform", &ALL_SCOPES).await;
    let (status, project, _) = call(
        &app,
        &key,
        Method::POST,
        "/projects",
        Some(json!({"name": "Apollo"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let url = format!(
        "{}/api/v1/organization/projects/{}/keys",
        app.address,
        project["id"].as_str().unwrap()
    );
    let mut secrets = Vec::new();
    for _ in 0..2 {
        let response = reqwest::Client::new()
            .post(&url)
            .bearer_auth(&key)
            .header("Idempotency-Key", "deploy-42")
            .json(&json!({"name": "prod"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        secrets.push(body["secret"].as_str().unwrap().to_owned());
    }
    assert_eq!(secrets[0], secrets[1], "the retry gets the first answer");
    assert!(secrets[0].starts_with("tw_live_"));
    assert_eq!(app.count_where("api_keys", "name = 'prod'"), 1);
    assert_eq!(
        app.count("admin_api_requests"),
        1,
        "the answer is remembered"
    );
    let in_clear = format!("position('{}' in body) > 0", secrets[0]);
    assert_eq!(
        app.count_where("admin_api_requests", &in_clear),
        0,
        "the remembered answer holds the secret sealed only"
    );
}
