//! Removing a member through the organization API, rotating the keys it names in the
//! same call: checked on the pages and in the activity log; a bad plan changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use teamwork::domain::Role;

use crate::admin_api::{ALL_SCOPES, admin_key, call};
use crate::helpers::TestApp;
use crate::projects::{create_key, create_project, report};

fn usage() -> Value {
    json!({ "model": "gpt-large", "requests": 1, "input_tokens": 10, "output_tokens": 5 })
}

/// The key of `keys` (an API key list) named `name`.
fn named<'a>(keys: &'a Value, name: &str) -> &'a Value {
    keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no key {name} in {keys}"))
}

#[actix_web::test]
async fn removing_a_member_through_the_api_rotates_the_named_keys_in_the_same_call() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let project_id = website.rsplit('/').next().unwrap().to_owned();
    let grace_client = app.member_with_role(&slug, "Grace", Role::Developer).await;
    let prod_secret = create_key(&grace_client, &website, "grace-prod").await;
    create_key(&grace_client, &website, "grace-ci").await;
    let grace = app.user_id("grace@example.com");
    let key = admin_key(&admin, &slug, "HR sync", &ALL_SCOPES).await;

    // The key list says who created each key: the ids a removal names.
    let (_, keys, _) = call(
        &app,
        &key,
        Method::GET,
        &format!("/projects/{project_id}/keys"),
        None,
    )
    .await;
    let prod = named(&keys, "grace-prod");
    assert_eq!(prod["created_by_id"], grace.to_string());
    let prod_id = prod["id"].as_str().unwrap().to_owned();
    let ci_id = named(&keys, "grace-ci")["id"].as_str().unwrap().to_owned();

    let (status, removed, _) = call(
        &app,
        &key,
        Method::DELETE,
        &format!("/members/{grace}"),
        Some(json!({"rotate_keys": [prod_id], "overlap": "1h"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["member"]["user_id"], grace.to_string());
    assert_eq!(removed["member"]["role"], "developer");
    let rotated = removed["rotated_keys"].as_array().unwrap();
    assert_eq!(rotated.len(), 1, "{removed}");
    assert_eq!(rotated[0]["old"]["id"], prod_id.as_str());
    assert_eq!(
        rotated[0]["old"]["status"], "expiring",
        "the old secret works one more hour"
    );
    let new_secret = rotated[0]["secret"].as_str().unwrap();
    assert!(new_secret.starts_with("tw_live_"), "{new_secret}");
    assert_eq!(app.role_of(&slug, "grace@example.com"), None);

    // The new secret works, and so does the old one for its hour; the other key stays.
    for secret in [new_secret, prod_secret.as_str()] {
        assert_eq!(
            report(&app, secret, usage()).await.status(),
            StatusCode::CREATED
        );
    }
    let (_, keys, _) = call(
        &app,
        &key,
        Method::GET,
        &format!("/projects/{project_id}/keys"),
        None,
    )
    .await;
    let ci = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == ci_id.as_str())
        .unwrap();
    assert_eq!(ci["status"], "active", "a key not named is not touched");
    assert!(
        !keys.to_string().contains(new_secret),
        "the secret is shown once"
    );

    // The pages and the log show it, done by the key.
    let members = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(!members.contains("grace@example.com"));
    let project_page = admin.get_text(&website).await;
    let new_prefix = rotated[0]["new"]["prefix"].as_str().unwrap();
    assert!(project_page.contains(new_prefix), "the new key is listed");
    assert_eq!(app.count_where("activity", "action = 'member.removed'"), 1);
    assert_eq!(app.count_where("activity", "action = 'api_key.rotated'"), 1);
    let (_, log, _) = call(&app, &key, Method::GET, "/activity?limit=5", None).await;
    let entries: Vec<(&str, &str)> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    for action in ["member.removed", "api_key.rotated"] {
        assert!(
            entries.contains(&(action, "API key HR sync (created by Ada Admin)")),
            "{entries:?}"
        );
    }
}

#[actix_web::test]
async fn a_removal_with_a_bad_plan_removes_nobody_and_rotates_nothing() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let website = create_project(&admin, &slug, "Website").await;
    let grace_client = app.member_with_role(&slug, "Grace", Role::Developer).await;
    create_key(&grace_client, &website, "grace-prod").await;
    create_key(&admin, &website, "ada-prod").await;
    let grace = app.user_id("grace@example.com");
    let key = admin_key(&admin, &slug, "HR sync", &ALL_SCOPES).await;
    let key_of = |name: &str| -> String {
        app.with_conn(|conn| {
            use diesel::prelude::*;
            use teamwork::schema::api_keys;
            api_keys::table
                .filter(api_keys::name.eq(name))
                .select(api_keys::id)
                .first::<uuid::Uuid>(conn)
                .unwrap()
                .to_string()
        })
    };
    let (prod, foreign) = (key_of("grace-prod"), key_of("ada-prod"));
    // Rotating keys takes keys:write besides members:write.
    let members_only = admin_key(&admin, &slug, "Members only", &["members:write"]).await;
    let activity = app.count("activity");
    let (status, answer, _) = call(
        &app,
        &members_only,
        Method::DELETE,
        &format!("/members/{grace}"),
        Some(json!({"rotate_keys": [prod]})),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("insufficient_scope"))
    );
    assert_eq!(
        app.role_of(&slug, "grace@example.com"),
        Some(Role::Developer)
    );
    assert_eq!(app.count("activity"), activity);
    for (body, expected) in [
        // A key she did not create: the whole removal is undone.
        (
            json!({"rotate_keys": [prod, foreign]}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"rotate_keys": [prod], "overlap": "5m"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"rotate_keys": ["not-a-key"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"rotate": [prod]}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, answer, _) = call(
            &app,
            &key,
            Method::DELETE,
            &format!("/members/{grace}"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert!(answer["error"].is_string(), "{answer}");
        assert_eq!(
            app.role_of(&slug, "grace@example.com"),
            Some(Role::Developer)
        );
        assert_eq!(app.count("activity"), activity, "{body} wrote");
        assert_eq!(app.count_where("api_keys", "replaced_by IS NOT NULL"), 0);
    }
    let malformed = reqwest::Client::new()
        .delete(format!(
            "{}/api/v1/organization/members/{grace}",
            app.address
        ))
        .bearer_auth(&key)
        .header("Content-Type", "application/json")
        .body("{\"rotate_keys\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.role_of(&slug, "grace@example.com"),
        Some(Role::Developer)
    );
}
