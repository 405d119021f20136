//! The members CSV ("Export CSV" on the Members page): everyone with access, for access
//! reviews, as visible as the Members page, safe to open in a spreadsheet, streamed.

use reqwest::StatusCode;
use teamwork::domain::{ProjectRole, Role};

use crate::helpers::{TestApp, location};

fn rows(body: &str) -> Vec<Vec<String>> {
    body.split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}

#[actix_web::test]
async fn the_csv_lists_members_and_project_only_people_with_their_access() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Dev", Role::Developer).await;
    let created = admin
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Website")])
        .await;
    let project: uuid::Uuid = location(&created)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    app.project_only_member(&slug, project, "Pat", ProjectRole::Viewer)
        .await;
    // A name that a spreadsheet would run as a formula.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE users SET name = '=HYPERLINK(1)' WHERE email = 'dev@example.com'",
        ),
        &mut app.conn(),
    )
    .unwrap();

    let page = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(
        page.contains(&format!("href=\"/orgs/{slug}/members.csv\"")) && page.contains("Export CSV")
    );
    let response = admin.get(&format!("/orgs/{slug}/members.csv")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("{slug}-members-"))
    );
    let body = response.text().await.unwrap();
    let rows = rows(&body);
    assert_eq!(
        rows[0],
        [
            "name",
            "email",
            "role",
            "joined",
            "last_active",
            "two_factor",
            "project_only_projects"
        ]
    );
    let by_email = |email: &str| {
        rows.iter()
            .find(|row| row[1] == email)
            .unwrap_or_else(|| panic!("{email} in {body}"))
            .clone()
    };
    let ada = by_email("ada.admin@example.com");
    assert_eq!(
        (
            ada[0].as_str(),
            ada[2].as_str(),
            ada[5].as_str(),
            ada[6].as_str()
        ),
        ("Ada Admin", "Administrator", "off", "")
    );
    assert!(
        ada[3].starts_with("20") && ada[4].starts_with("20"),
        "joined and last active as ISO 8601: {ada:?}"
    );
    let pat = by_email("pat@example.com");
    assert_eq!(
        (pat[2].as_str(), pat[6].as_str()),
        ("Project only", "Website (Viewer)")
    );
    let dev = by_email("dev@example.com");
    assert_eq!(dev[0], "'=HYPERLINK(1)", "formulas are neutralized");
    assert_eq!(rows.len(), 4);
}

#[actix_web::test]
async fn the_csv_is_as_visible_as_the_members_page() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let viewer = app.member_with_role(&slug, "Vic", Role::Viewer).await;
    let created = admin
        .post_form(&format!("/orgs/{slug}/projects"), &[("name", "Website")])
        .await;
    let project: uuid::Uuid = location(&created)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let pat = app
        .project_only_member(&slug, project, "Pat", ProjectRole::Developer)
        .await;
    let stranger = app.signed_up("Stranger").await;
    let path = format!("/orgs/{slug}/members.csv");
    // Viewers see members but not who has 2FA, as on the page.
    let body = viewer.get_text(&path).await;
    assert_eq!(
        rows(&body)[0],
        [
            "name",
            "email",
            "role",
            "joined",
            "last_active",
            "project_only_projects"
        ]
    );
    assert_eq!(pat.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(stranger.get(&path).await.status(), StatusCode::NOT_FOUND);
    let anonymous = app.client().get(&path).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn the_csv_holds_every_member_of_a_large_organization_once() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    // More than two chunks of the stream.
    app.add_generated_members(&slug, "Gen", 2_345);
    let body = admin.get_text(&format!("/orgs/{slug}/members.csv")).await;
    let rows = rows(&body);
    assert_eq!(rows.len(), 1 + 2_346, "the header and every member");
    let emails: std::collections::BTreeSet<&str> =
        rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(emails.len(), 2_346, "nobody twice");
}
