//! The organization API's removal with key rotation in one call, "Access until" on
//! project members, and a pending invitation's role: each through the API, checked on
//! the pages and in the activity log; refused requests change nothing.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use teamwork::domain::{ProjectRole, Role};

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

#[actix_web::test]
async fn access_until_set_through_the_api_reaches_the_access_the_page_and_the_log() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let key = admin_key(&admin, &slug, "Terraform", &ALL_SCOPES).await;
    let (_, project, _) = call(
        &app,
        &key,
        Method::POST,
        "/projects",
        Some(json!({"name": "Website"})),
    )
    .await;
    let p = project["id"].as_str().unwrap().to_owned();
    let today = Utc::now().date_naive();
    let last_day = today + Duration::days(20);

    let (status, refused, _) = call(
        &app,
        &key,
        Method::POST,
        &format!("/projects/{p}/members"),
        Some(json!({"email": "carla@example.com", "role": "developer", "access_until": "2001-01-01"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("access_until:")
    );
    assert_eq!(app.count("invitations"), 0);

    let (status, sent, _) = call(
        &app,
        &key,
        Method::POST,
        &format!("/projects/{p}/members"),
        Some(json!({"email": "carla@example.com", "role": "developer", "access_until": last_day})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let invitation = sent["results"][0]["invitation_id"].as_str().unwrap();
    let (_, shown, _) = call(
        &app,
        &key,
        Method::GET,
        &format!("/invitations/{invitation}"),
        None,
    )
    .await;
    assert_eq!(shown["access_until"], last_day.to_string());
    let join = app.join_path("carla@example.com", 1).await;
    let carla = app.signed_up("Carla").await;
    carla.post_form(&format!("{join}/accept"), &[]).await;
    let carla_id = app.user_id("carla@example.com");

    let (_, members, _) = call(
        &app,
        &key,
        Method::GET,
        &format!("/projects/{p}/members"),
        None,
    )
    .await;
    assert_eq!(members["data"][0]["user_id"], carla_id.to_string());
    assert_eq!(members["data"][0]["access_until"], last_day.to_string());
    let website = format!("/orgs/{slug}/projects/{p}");
    let page = admin.get_text(&website).await;
    assert!(page.contains(&last_day.format("%b %-d, %Y").to_string()));

    // A change with a bad date changes nothing, the role included.
    let member_path = format!("/projects/{p}/members/{carla_id}");
    for body in [
        json!({"role": "viewer", "access_until": "2001-01-01"}),
        json!({"access_until": "soon"}),
        json!({}),
    ] {
        let (status, answer, _) =
            call(&app, &key, Method::PATCH, &member_path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
    }
    let (_, members, _) = call(
        &app,
        &key,
        Method::GET,
        &format!("/projects/{p}/members"),
        None,
    )
    .await;
    assert_eq!(
        (
            members["data"][0]["role"].as_str(),
            members["data"][0]["access_until"].as_str()
        ),
        (Some("developer"), Some(last_day.to_string().as_str()))
    );

    let later = today + Duration::days(60);
    let (status, moved, _) = call(
        &app,
        &key,
        Method::PATCH,
        &member_path,
        Some(json!({"access_until": later})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (moved["role"].as_str(), moved["access_until"].as_str()),
        (Some("developer"), Some(later.to_string().as_str())),
        "leaving out role keeps it"
    );
    let (status, both, _) = call(
        &app,
        &key,
        Method::PATCH,
        &member_path,
        Some(json!({"role": "viewer", "access_until": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{both}");
    assert_eq!(both["role"], "viewer");
    assert!(both["access_until"].is_null(), "null clears it: {both}");
    let (_, role_only, _) = call(
        &app,
        &key,
        Method::PATCH,
        &member_path,
        Some(json!({"role": "developer"})),
    )
    .await;
    assert!(
        role_only["access_until"].is_null(),
        "leaving out access_until keeps it"
    );

    let page = admin.get_text(&website).await;
    assert!(
        page.contains("No end date"),
        "the page shows the cleared date"
    );
    assert_eq!(
        app.count_where("activity", "action = 'project_access.until_changed'"),
        2
    );
    assert_eq!(
        app.count_where("activity", "action = 'project_access.changed'"),
        2
    );
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(log.contains("changed until when") && log.contains("API key Terraform"));
}

#[actix_web::test]
async fn a_pending_invitations_role_changes_through_the_api_and_a_cancelled_one_refuses() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let key = admin_key(&admin, &slug, "HR sync", &ALL_SCOPES).await;
    let (_, sent, _) = call(
        &app,
        &key,
        Method::POST,
        "/invitations",
        Some(json!({"emails": ["new.hire@example.com"], "role": "viewer"})),
    )
    .await;
    let id = sent["results"][0]["invitation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/invitations/{id}");
    let (status, changed, _) = call(
        &app,
        &key,
        Method::PATCH,
        &path,
        Some(json!({"role": "developer"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["id"].as_str(), changed["role"].as_str()),
        (Some(id.as_str()), Some("developer"))
    );
    assert_eq!(
        app.count_where(
            "invitations",
            "email = 'new.hire@example.com' AND role = 'developer' AND status = 'pending'"
        ),
        1
    );
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(
        log.contains("changed the role of the invitation to"),
        "the log's sentence"
    );
    assert_eq!(
        app.count_where("activity", "action = 'invitation.role_changed'"),
        1
    );
    // The join link mailed before still works, now for a Developer.
    let join = app.join_path("new.hire@example.com", 1).await;
    assert!(
        app.client()
            .get_text(&join)
            .await
            .contains("as a Developer")
    );

    // A project invitation takes a project role only.
    let (_, project, _) = call(
        &app,
        &key,
        Method::POST,
        "/projects",
        Some(json!({"name": "Website"})),
    )
    .await;
    let p = project["id"].as_str().unwrap();
    let (_, project_sent, _) = call(
        &app,
        &key,
        Method::POST,
        &format!("/projects/{p}/members"),
        Some(json!({"email": "carla@example.com", "role": "viewer"})),
    )
    .await;
    let project_invitation = project_sent["results"][0]["invitation_id"]
        .as_str()
        .unwrap();
    let (status, _, _) = call(
        &app,
        &key,
        Method::PATCH,
        &format!("/invitations/{project_invitation}"),
        Some(json!({"role": "administrator"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count_where(
            "invitations",
            "email = 'carla@example.com' AND role = 'viewer'"
        ),
        1
    );

    // Cancelled: 409, and it keeps its role.
    let (status, _, _) = call(&app, &key, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused, _) = call(
        &app,
        &key,
        Method::PATCH,
        &path,
        Some(json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (StatusCode::CONFLICT, Some("refused")),
        "{refused}"
    );
    assert_eq!(
        app.count_where(
            "invitations",
            "email = 'new.hire@example.com' AND role = 'developer'"
        ),
        1
    );
    assert_eq!(
        app.count_where("activity", "action = 'invitation.role_changed'"),
        1
    );
}

/// Carla, project-only Developer of a Website project made through the API: for the
/// scope matrix of `admin_api`.
pub(crate) async fn project_only_carla(app: &TestApp, slug: &str, project_id: &str) -> String {
    app.project_only_member(
        slug,
        project_id.parse().unwrap(),
        "Carla",
        ProjectRole::Developer,
    )
    .await;
    app.user_id("carla@example.com").to_string()
}
