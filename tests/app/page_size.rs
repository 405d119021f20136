//! No page grows with the organization: each organization page costs the same number of
//! statements, and has about the same size, with 61 members as with 10,061 who all
//! appear in the activity log.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::{TestApp, TestClient};

const PAGES: [&str; 10] = [
    "",
    "/members",
    "/members?q=member",
    "/members?at=2099-01-01",
    "/projects",
    "/api-keys",
    "/usage",
    "/billing",
    "/activity",
    "/settings",
];

/// Counts written in the page ("61 members", "Page 1 of 2") have more digits in a large
/// organization; anything beyond that would be a list that grows.
const SLACK_BYTES: usize = 200;

/// One entry by each generated member, so that every one of them appears in the log.
fn log_entries_by_everyone(app: &TestApp, slug: &str) {
    diesel::sql_query(
        "INSERT INTO activity (id, org_id, actor_id, actor_name, action, target_type, target_label) \
         SELECT gen_random_uuid(), m.org_id, u.id, u.name, 'project.created', 'project', 'Apollo' \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.actor_id = u.id)",
    )
    .bind::<diesel::sql_types::Uuid, _>(app.org_id(slug))
    .execute(&mut app.conn())
    .unwrap();
}

async fn measure(app: &TestApp, admin: &TestClient, slug: &str) -> Vec<(u64, usize)> {
    let mut measured = Vec::new();
    for page in PAGES {
        let path = format!("/orgs/{slug}{page}");
        admin.get(&path).await; // warm the session's last-seen touch and the kept badge
        let before = app.db.statements();
        let response = admin.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let statements = app.db.statements() - before;
        let page = response.text().await.unwrap();
        assert!(
            page.contains("class=\"nav-badge\""),
            "{path}: the badge is shown"
        );
        measured.push((statements, page.len()));
    }
    measured
}

#[actix_web::test]
async fn no_page_grows_with_the_number_of_members() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.add_generated_members(&slug, "Member", 60);
    log_entries_by_everyone(&app, &slug);
    let small = measure(&app, &admin, &slug).await;
    // Named to sort after the first 60 (same length), so that the first page of members
    // shows the same people.
    app.add_generated_members(&slug, "Zmembr", 10_000);
    log_entries_by_everyone(&app, &slug);
    let large = measure(&app, &admin, &slug).await;
    for ((page, (s_small, b_small)), (s_large, b_large)) in PAGES.iter().zip(&small).zip(&large) {
        println!(
            "{page:20} {s_small} statements, {b_small} bytes with 61 members; \
             {s_large} statements, {b_large} bytes with 10,061"
        );
    }
    for ((page, (s_small, b_small)), (s_large, b_large)) in PAGES.iter().zip(&small).zip(&large) {
        assert_eq!(s_small, s_large, "statements of {page:?}");
        if page.starts_with("/members") {
            assert!(*s_large <= 4, "{page:?}: {s_large} statements");
        }
        assert!(
            b_large.abs_diff(*b_small) <= SLACK_BYTES,
            "{page:?}: {b_small} bytes with 61 members, {b_large} with 10,061"
        );
    }
}
