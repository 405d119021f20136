//! "Access until" on project members and a pending invitation's role through the
//! organization API: checked on the pages and in the activity log; refused requests
//! change nothing.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;
use teamwork::domain::ProjectRole;

use crate::admin_api::{ALL_SCOPES, admin_key, call};
use crate::helpers::TestApp;

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
