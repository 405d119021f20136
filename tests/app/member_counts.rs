//! The member counts kept on the organization row, and the Members page's cost: the
//! counts must equal the rows after every kind of change, and the page must cost the
//! same whatever the organization's size.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::Role;
use teamwork::models::organizations::MemberCounts;
use teamwork::schema::{invitations, organizations};

use crate::helpers::{TestApp, TestClient, recount};

const PASSWORD: &str = "correct horse battery staple";

fn kept(app: &TestApp, slug: &str) -> MemberCounts {
    organizations::table
        .filter(organizations::slug.eq(slug))
        .select(MemberCounts::as_select())
        .first(&mut app.conn())
        .unwrap()
}

/// The kept counts, checked against a count of the rows themselves.
fn checked(app: &TestApp, slug: &str) -> MemberCounts {
    let before = kept(app, slug);
    recount(&mut app.conn(), app.org_id(slug));
    assert_eq!(before, kept(app, slug), "kept counts differ from the rows");
    before
}

#[actix_web::test]
async fn the_kept_counts_follow_every_membership_change() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    assert_eq!(checked(&app, &slug).administrators, 1);

    let invited = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[
                ("emails", "grace@example.com, alan@example.com"),
                ("role", "developer"),
            ],
        )
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    assert_eq!(checked(&app, &slug).pending_invitations, 2);

    let join = app.join_path("grace@example.com", 1).await;
    let grace = app.client();
    let joined = grace
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Grace Hopper"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    let counts = checked(&app, &slug);
    assert_eq!((counts.developers, counts.pending_invitations), (1, 1));

    let alan: uuid::Uuid = invitations::table
        .filter(invitations::email.eq("alan@example.com"))
        .select(invitations::id)
        .first(&mut app.conn())
        .unwrap();
    admin
        .post_form(&format!("/orgs/{slug}/invitations/{alan}/cancel"), &[])
        .await;
    assert_eq!(checked(&app, &slug).pending_invitations, 0);

    let grace_id = app.user_id("grace@example.com");
    let promoted = admin
        .post_form(
            &format!("/orgs/{slug}/members/{grace_id}/role"),
            &[("role", "administrator"), ("confirmed", "true")],
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::SEE_OTHER);
    let counts = checked(&app, &slug);
    assert_eq!((counts.administrators, counts.developers), (2, 0));

    // Leaving and removal both count down; a refused change counts nothing.
    let left = grace.post_form(&format!("/orgs/{slug}/leave"), &[]).await;
    assert_eq!(left.status(), StatusCode::SEE_OTHER);
    assert_eq!(checked(&app, &slug).administrators, 1);
    let viewer = app.member_with_role(&slug, "Vic", Role::Viewer).await;
    drop(viewer);
    let vic = app.user_id("vic@example.com");
    let removed = admin
        .post_form(&format!("/orgs/{slug}/members/{vic}/remove"), &[])
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let me = app.user_id("ada.admin@example.com");
    admin
        .post_form(
            &format!("/orgs/{slug}/members/{me}/role"),
            &[("role", "viewer"), ("confirmed", "true")],
        )
        .await;
    let counts = checked(&app, &slug);
    assert_eq!((counts.administrators, counts.viewers), (1, 0));
}

/// The Members page reads at most 4 statements, the "Access health" badge included, the
/// same for 61 members as for 10,061, with pending invitations and project-only access
/// present (the most it reads).
#[actix_web::test]
async fn the_members_page_reads_at_most_four_statements_at_any_size() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let invited = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "grace@example.com"), ("role", "viewer")],
        )
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    app.add_generated_members(&slug, "Member", 60);
    let small = statements(&app, &admin, &slug).await;
    app.add_generated_members(&slug, "Bulk", 10_000);
    let large = statements(&app, &admin, &slug).await;
    println!("members page: {small:?} statements with 61 members, {large:?} with 10,061");
    assert_eq!(small, large);
    assert!(large.iter().all(|n| *n <= 4), "{large:?}");
}

async fn statements(app: &TestApp, admin: &TestClient, slug: &str) -> Vec<u64> {
    let mut counts = Vec::new();
    for query in ["", "?q=member+1", "?role=viewer&sort=active", "?page=3"] {
        let path = format!("/orgs/{slug}/members{query}");
        admin.get(&path).await; // warm the session's last-seen touch and the kept badge
        let before = app.db.statements();
        let response = admin.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        counts.push(app.db.statements() - before);
        let page = response.text().await.unwrap();
        assert!(page.contains("class=\"nav-badge\""), "the badge is shown");
    }
    counts
}
