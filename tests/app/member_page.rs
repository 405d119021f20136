//! A member's page: their role timeline after real changes, and who may open it.

use std::collections::BTreeMap;

use chrono::Utc;
use reqwest::StatusCode;
use teamwork::domain::Role;
use uuid::Uuid;

use crate::helpers::{TestApp, location};
use crate::role_history::on_date;

#[actix_web::test]
async fn real_changes_make_the_member_page_timeline() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    // Vera's membership has no entry: as if she joined before the log began.
    let vera = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let vera_id = app.user_id("vera@example.com");
    let changed = admin
        .post_form(
            &format!("/orgs/{slug}/members/{vera_id}/role"),
            &[("role", "developer")],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);

    // Grace joins by invitation, is removed, and joins again as a Developer.
    let grace = app.client();
    grace
        .sign_up_and_log_in("Grace", "grace@example.com", "correct horse battery")
        .await;
    for (nth, role) in [(1, "viewer"), (2, "developer")] {
        let sent = admin
            .post_form(
                &format!("/orgs/{slug}/invitations"),
                &[("emails", "grace@example.com"), ("role", role)],
            )
            .await;
        assert_eq!(sent.status(), StatusCode::OK);
        let join = app.join_path("grace@example.com", nth).await;
        let accepted = grace.post_form(&format!("{join}/accept"), &[]).await;
        assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
        if nth == 1 {
            let grace_id = app.user_id("grace@example.com");
            let removed = admin
                .post_form(&format!("/orgs/{slug}/members/{grace_id}/remove"), &[])
                .await;
            assert_eq!(removed.status(), StatusCode::SEE_OTHER);
        }
    }
    let grace_id = app.user_id("grace@example.com");
    let page = admin
        .get_text(&format!("/orgs/{slug}/members/{grace_id}"))
        .await;
    for line in [
        "Joined as Viewer",
        "Removed by Ada Admin",
        "Joined as Developer",
        "grace@example.com",
        "accepted the invitation and joined as",
    ] {
        assert!(page.contains(line), "{line}");
    }
    let page = admin
        .get_text(&format!("/orgs/{slug}/members/{vera_id}"))
        .await;
    assert!(page.contains("Member as Viewer; the activity log has no earlier entry"));
    assert!(page.contains("Role changed from Viewer to Developer by Ada Admin"));
    let members = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(
        members.contains(&format!("href=\"/orgs/{slug}/members/{vera_id}\"")),
        "names link to the member page"
    );

    // Vera leaves: she is not in today's list, and her page is gone.
    let left = vera.post_form(&format!("/orgs/{slug}/leave"), &[]).await;
    assert_eq!(left.status(), StatusCode::SEE_OTHER, "{}", location(&left));
    let today = Utc::now().date_naive();
    let listed = on_date(&admin, &slug, today).await;
    let expected: BTreeMap<String, String> = [
        ("ada.admin@example.com", "Administrator"),
        ("grace@example.com", "Developer"),
    ]
    .into_iter()
    .map(|(e, r)| (e.to_owned(), r.to_owned()))
    .collect();
    assert_eq!(listed, expected);
    assert_eq!(
        admin
            .get(&format!("/orgs/{slug}/members/{vera_id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn the_member_page_is_as_visible_as_the_members_page_and_no_further() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    let viewer = app.member_with_role(&slug, "Vic", Role::Viewer).await;
    let billing = app
        .member_with_role(&slug, "Bill", Role::BillingManager)
        .await;
    let dev_id = app.user_id("dev@example.com");
    let path = format!("/orgs/{slug}/members/{dev_id}");

    let as_admin = admin.get_text(&path).await;
    assert!(as_admin.contains("Role history") && as_admin.contains("2FA"));
    assert!(as_admin.contains("API keys Dev created") && as_admin.contains(">Activity</h2>"));
    let as_dev = dev.get_text(&path).await;
    assert!(as_dev.contains("Role history"));
    assert!(
        !as_dev.contains(">Activity</h2>"),
        "developers do not read the activity log"
    );
    assert!(!as_dev.contains("2FA"));
    let as_viewer = viewer.get_text(&path).await;
    assert!(as_viewer.contains(">Activity</h2>"));
    let as_billing = billing.get_text(&path).await;
    assert!(
        !as_billing.contains("API keys Dev created"),
        "billing managers do not see keys"
    );

    // Someone who is not a member, and another organization's member: 404.
    let stranger = app.signed_up("Stranger").await;
    let stranger_id = app.user_id("stranger@example.com");
    let other = stranger.create_org("Other").await;
    for id in [stranger_id, Uuid::now_v7()] {
        assert_eq!(
            admin
                .get(&format!("/orgs/{slug}/members/{id}"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        stranger
            .get(&format!("/orgs/{other}/members/{dev_id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
