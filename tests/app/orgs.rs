//! Organizations: creation, slugs, membership checks, rename, and the sidebar by role.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::Role;
use teamwork::schema::{activity, memberships, organizations};

use crate::helpers::{TestApp, location};

#[actix_web::test]
async fn creating_an_organization_makes_the_creator_administrator_and_logs_it() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme Corp.").await;
    assert_eq!(slug, "acme-corp");
    let role: Role = memberships::table
        .select(memberships::role)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(role, Role::Administrator);
    let (action, label): (String, String) = activity::table
        .select((activity::action, activity::target_label))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(
        (action.as_str(), label.as_str()),
        ("organization.created", "Acme Corp.")
    );
    let page = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(page.contains("Ada Admin") && page.contains("Administrator"));
}

#[actix_web::test]
async fn slugs_stay_unique_and_route_words_are_never_slugs() {
    let app = TestApp::spawn().await;
    let (admin, first) = app.admin_with_org("Acme").await;
    assert_eq!(first, "acme");
    assert_eq!(admin.create_org("ACME!").await, "acme-2");
    assert_eq!(admin.create_org("New").await, "new-2");
    assert_eq!(
        admin.get(&format!("/orgs/{}", "new-2")).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_bad_organization_name_is_a_field_message() {
    let app = TestApp::spawn().await;
    let client = app.signed_up("Ada").await;
    for name in ["", "   ", "---", &"x".repeat(101)] {
        let response = client.post_form("/orgs", &[("name", name)]).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}"
        );
    }
    assert_eq!(app.count("organizations"), 0);
}

#[actix_web::test]
async fn extra_form_fields_are_refused() {
    let app = TestApp::spawn().await;
    let client = app.signed_up("Ada").await;
    let response = client
        .post_form("/orgs", &[("name", "Acme"), ("slug", "chosen")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count("organizations"), 0);
}

#[actix_web::test]
async fn non_members_get_404_for_existing_and_missing_organizations_alike() {
    let app = TestApp::spawn().await;
    let (_admin, slug) = app.admin_with_org("Acme").await;
    let (stranger, _) = {
        let client = app.signed_up("Stranger").await;
        let own = client.create_org("Elsewhere").await;
        (client, own)
    };
    for path in ["", "/members", "/settings"] {
        let existing = stranger.get(&format!("/orgs/{slug}{path}")).await;
        let missing = stranger.get(&format!("/orgs/no-such-org{path}")).await;
        assert_eq!(existing.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            existing.text().await.unwrap(),
            missing.text().await.unwrap(),
            "same page: nothing leaks"
        );
    }
    let rename = stranger
        .post_form(&format!("/orgs/{slug}/settings"), &[("name", "Taken over")])
        .await;
    assert_eq!(rename.status(), StatusCode::NOT_FOUND);
    let name: String = organizations::table
        .filter(organizations::slug.eq(&slug))
        .select(organizations::name)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(name, "Acme");
}

#[actix_web::test]
async fn anonymous_visitors_are_sent_to_login_from_every_org_page() {
    let app = TestApp::spawn().await;
    let (_admin, slug) = app.admin_with_org("Acme").await;
    for path in ["", "/members", "/settings"] {
        let response = app.client().get(&format!("/orgs/{slug}{path}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(location(&response).starts_with("/login?next="));
    }
}

#[actix_web::test]
async fn only_administrators_rename_and_the_change_is_logged_with_before_and_after() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    for (name, role) in [
        ("Dev", Role::Developer),
        ("Bill", Role::BillingManager),
        ("Vera", Role::Viewer),
    ] {
        let member = app.member_with_role(&slug, name, role).await;
        let settings = member.get_text(&format!("/orgs/{slug}/settings")).await;
        assert!(
            !settings.contains("<form method=\"post\" action=\"/orgs/"),
            "{role:?} sees no rename form"
        );
        let before = app.count("activity");
        let response = member
            .post_form(&format!("/orgs/{slug}/settings"), &[("name", "Hijacked")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role:?}");
        assert_eq!(
            app.count("activity"),
            before,
            "{role:?}: a refusal writes nothing"
        );
    }
    let response = admin
        .post_form(&format!("/orgs/{slug}/settings"), &[("name", "Acme Labs")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (before, after): (Option<serde_json::Value>, Option<serde_json::Value>) = activity::table
        .filter(activity::action.eq("organization.renamed"))
        .select((activity::before, activity::after))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(before.unwrap()["name"], "Acme");
    assert_eq!(after.unwrap()["name"], "Acme Labs");
    assert!(
        admin
            .get_text(&format!("/orgs/{slug}"))
            .await
            .contains("Acme Labs")
    );
}

#[actix_web::test]
async fn the_sidebar_shows_only_what_the_role_may_open() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let viewer = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    for client in [&admin, &viewer] {
        let page = client.get_text(&format!("/orgs/{slug}")).await;
        let nav = &page[page.find("<nav class=\"sidebar\"").unwrap()..];
        let nav = &nav[..nav.find("</nav>").unwrap()];
        assert!(nav.contains(">Members</a>"));
        assert!(nav.contains(">Settings</a>"));
    }
}

#[actix_web::test]
async fn a_removed_member_loses_access_on_the_next_request() {
    let app = TestApp::spawn().await;
    let (_admin, slug) = app.admin_with_org("Acme").await;
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    assert_eq!(
        dev.get(&format!("/orgs/{slug}/members")).await.status(),
        StatusCode::OK
    );
    diesel::delete(memberships::table.filter(memberships::role.eq(Role::Developer)))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(
        dev.get(&format!("/orgs/{slug}/members")).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The overview: people, credits, 7 days of usage and recent activity, each card for
/// the roles that may open its page, each a link to it.
#[actix_web::test]
async fn the_overview_shows_each_role_the_cards_it_may_open() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let invited = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "new.person@example.com"), ("role", "viewer")],
        )
        .await;
    assert_eq!(invited.status(), reqwest::StatusCode::OK);
    let overview = format!("/orgs/{slug}");
    let page = admin.get_text(&overview).await;
    for expected in [
        "1</span> member",
        "1 pending invitation",
        "2 of 5 seats (Free plan)",
        "25.00</span></span> credits",
        "Usage, last 7 days",
        "No usage these 7 days.",
        "Recent activity",
        &format!("href=\"/orgs/{slug}/billing\""),
        &format!("href=\"/orgs/{slug}/usage\""),
        &format!("href=\"/orgs/{slug}/members\""),
    ] {
        assert!(
            page.contains(expected),
            "{expected:?} on the administrator's overview"
        );
    }
    let cards = |page: &str| {
        [
            "Credits</a>",
            "Usage, last 7 days",
            "Recent activity",
            "seats (",
        ]
        .map(|card| page.contains(card))
    };
    for (name, role, wanted) in [
        ("Bill", Role::BillingManager, [true, true, false, true]),
        ("Dev", Role::Developer, [false, true, false, false]),
        ("Vera", Role::Viewer, [true, true, true, true]),
    ] {
        let member = app.member_with_role(&slug, name, role).await;
        let page = member.get_text(&overview).await;
        assert!(page.contains("pending invitation"), "{role:?}");
        assert_eq!(
            cards(&page),
            wanted,
            "{role:?}: credits, usage, activity, seats"
        );
    }
}
