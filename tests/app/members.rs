//! The Members page: listing, role changes, removals, leaving, and their invariants.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::Role;
use teamwork::schema::activity;

use crate::helpers::{TestApp, TestClient, location, toast};

fn members(slug: &str) -> String {
    format!("/orgs/{slug}/members")
}

fn role_path(app: &TestApp, slug: &str, email: &str) -> String {
    format!("/orgs/{slug}/members/{}/role", app.user_id(email))
}

fn remove_path(app: &TestApp, slug: &str, email: &str) -> String {
    format!("/orgs/{slug}/members/{}/remove", app.user_id(email))
}

fn last_entry(
    app: &TestApp,
) -> (
    String,
    String,
    Option<serde_json::Value>,
    Option<serde_json::Value>,
) {
    activity::table
        .order(activity::id.desc())
        .select((
            activity::action,
            activity::target_label,
            activity::before,
            activity::after,
        ))
        .first(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn an_administrator_changes_a_role_in_place_and_it_applies_on_the_next_request() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let vera = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    assert_eq!(
        vera.get(&format!("/orgs/{slug}/settings")).await.status(),
        StatusCode::OK
    );
    assert!(
        !vera
            .get_text(&format!("/orgs/{slug}/settings"))
            .await
            .contains("Save")
    );

    // Granting Administrator asks first: the row becomes the question, nothing is written.
    let before = app.count("activity");
    let asked = admin
        .post_hx(
            &role_path(&app, &slug, "vera@example.com"),
            &[("role", "administrator")],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let question = asked.text().await.unwrap();
    assert!(question.trim_start().starts_with("<tr"), "{question}");
    assert!(
        question.contains("Make Vera an Administrator?"),
        "{question}"
    );
    assert!(question.contains(r#"name="confirmed" value="true""#));
    assert_eq!(app.role_of(&slug, "vera@example.com"), Some(Role::Viewer));
    assert_eq!(app.count("activity"), before);

    let response = admin
        .post_hx(
            &role_path(&app, &slug, "vera@example.com"),
            &[("role", "administrator"), ("confirmed", "true")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let row = response.text().await.unwrap();
    assert!(
        row.trim_start().starts_with("<tr"),
        "the row fragment, not a page"
    );
    assert!(row.contains(r#"value="administrator" selected"#));
    // The toast comes with the row, and its Undo posts the previous role.
    assert!(row.contains("Vera is now an Administrator"), "{row}");
    assert!(
        row.contains(
            r#"data-hx-vals="{&#34;confirmed&#34;:&#34;true&#34;,&#34;role&#34;:&#34;viewer&#34;}""#
        ),
        "{row}"
    );

    assert_eq!(
        app.role_of(&slug, "vera@example.com"),
        Some(Role::Administrator)
    );
    let (action, target, before, after) = last_entry(&app);
    assert_eq!(
        (action.as_str(), target.as_str()),
        ("member.role_changed", "Vera")
    );
    assert_eq!(before.unwrap()["role"], "viewer");
    assert_eq!(after.unwrap()["role"], "administrator");
    // Vera's very next request sees the administrator's controls.
    assert!(
        vera.get_text(&format!("/orgs/{slug}/settings"))
            .await
            .contains("Save")
    );
}

#[actix_web::test]
async fn without_javascript_a_role_change_redirects_back_with_a_confirmation() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Dev", Role::Developer).await;
    let response = admin
        .post_form(
            &role_path(&app, &slug, "dev@example.com"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert!(back.starts_with(&members(&slug)), "{back}");
    let page = admin.get_text(&back).await;
    assert!(page.contains("Dev is now a Viewer"));
    assert!(
        page.contains("Undo<span class=\"sr-only\">: make Dev a Developer again"),
        "{page}"
    );
    assert!(
        !admin
            .get_text(&members(&slug))
            .await
            .contains("Dev is now a Viewer"),
        "shown once"
    );
}

#[actix_web::test]
async fn a_demoted_administrator_loses_admin_controls_on_the_next_request() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let grace = app
        .member_with_role(&slug, "Grace", Role::Administrator)
        .await;
    assert!(
        grace
            .get_text(&members(&slug))
            .await
            .contains(">Remove</a>")
    );
    // Without JavaScript, removing Administrator first shows its confirmation page.
    let path = role_path(&app, &slug, "grace@example.com");
    let response = admin.post_form(&path, &[("role", "developer")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{path}?role=developer"));
    let question = admin.get_text(&location(&response)).await;
    assert!(
        question.contains("Remove Administrator from Grace"),
        "{question}"
    );
    assert_eq!(
        app.role_of(&slug, "grace@example.com"),
        Some(Role::Administrator)
    );
    let response = admin
        .post_form(&path, &[("role", "developer"), ("confirmed", "true")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = grace.get_text(&members(&slug)).await;
    assert!(!page.contains(">Remove</a>") && !page.contains("/role\""));
    let forged = grace
        .post_form(
            &role_path(&app, &slug, "ada.admin@example.com"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn nobody_changes_their_own_role_and_the_last_administrator_stays() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let before = app.count("activity");
    let own = role_path(&app, &slug, "ada.admin@example.com");

    let response = admin.post_form(&own, &[("role", "developer")]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("change your own role")
    );

    let response = admin.post_hx(&own, &[("role", "developer")]).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "htmx gets the unchanged row back"
    );
    assert_eq!(toast(&response).unwrap().0, "error");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("badge-administrator"),
        "still an Administrator"
    );

    let leave = admin.post_form(&format!("/orgs/{slug}/leave"), &[]).await;
    assert_eq!(leave.status(), StatusCode::CONFLICT);
    assert!(
        leave
            .text()
            .await
            .unwrap()
            .contains("at least one administrator")
    );

    let remove_self = admin
        .post_form(&remove_path(&app, &slug, "ada.admin@example.com"), &[])
        .await;
    assert_eq!(remove_self.status(), StatusCode::CONFLICT);

    assert_eq!(
        app.role_of(&slug, "ada.admin@example.com"),
        Some(Role::Administrator)
    );
    assert_eq!(app.count("activity"), before, "refusals write nothing");
}

#[actix_web::test]
async fn members_other_than_administrators_cannot_change_or_remove_anyone() {
    let app = TestApp::spawn().await;
    let (_admin, slug) = app.admin_with_org("Acme").await;
    let target = app.member_with_role(&slug, "Target", Role::Viewer).await;
    drop(target);
    for (name, role) in [
        ("Dev", Role::Developer),
        ("Bill", Role::BillingManager),
        ("Vera", Role::Viewer),
    ] {
        let member = app.member_with_role(&slug, name, role).await;
        let page = member.get_text(&members(&slug)).await;
        assert!(page.contains("Target"), "{role:?} sees the members");
        assert!(
            !page.contains("/role\"") && !page.contains(">Remove</a>"),
            "{role:?} sees no controls"
        );
        let before = app.count("activity");
        let change = member
            .post_form(
                &role_path(&app, &slug, "target@example.com"),
                &[("role", "administrator")],
            )
            .await;
        let confirm = member
            .get(&remove_path(&app, &slug, "target@example.com"))
            .await;
        let remove = member
            .post_form(&remove_path(&app, &slug, "target@example.com"), &[])
            .await;
        for response in [change, confirm, remove] {
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role:?}");
        }
        assert_eq!(app.role_of(&slug, "target@example.com"), Some(Role::Viewer));
        assert_eq!(app.count("activity"), before);
    }
}

#[actix_web::test]
async fn another_organizations_members_are_404_to_an_administrator() {
    let app = TestApp::spawn().await;
    let (_ada, acme) = app.admin_with_org("Acme").await;
    app.member_with_role(&acme, "Vera", Role::Viewer).await;
    let mallory = app.signed_up("Mallory").await;
    let evil = mallory.create_org("Evil").await;
    let vera_in_evil = role_path(&app, &evil, "vera@example.com");
    let random = format!("/orgs/{evil}/members/{}/role", uuid::Uuid::new_v4());
    let swapped = mallory
        .post_form(&vera_in_evil, &[("role", "administrator")])
        .await;
    let unknown = mallory
        .post_form(&random, &[("role", "administrator")])
        .await;
    assert_eq!(swapped.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(swapped.text().await.unwrap(), unknown.text().await.unwrap());
    let removal = mallory
        .post_form(&remove_path(&app, &evil, "vera@example.com"), &[])
        .await;
    assert_eq!(removal.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.role_of(&acme, "vera@example.com"), Some(Role::Viewer));
    let garbage = mallory
        .post_form(
            &format!("/orgs/{evil}/members/not-a-uuid/role"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(garbage.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_bad_role_value_is_a_422_that_changes_nothing() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Dev", Role::Developer).await;
    for role in ["owner", "Administrator", "", "administrator\r\n"] {
        let response = admin
            .post_form(
                &role_path(&app, &slug, "dev@example.com"),
                &[("role", role)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{role:?}"
        );
    }
    assert_eq!(app.role_of(&slug, "dev@example.com"), Some(Role::Developer));
}

#[actix_web::test]
async fn removing_asks_first_then_the_member_loses_access_at_once() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let grace = app
        .member_with_role(&slug, "Grace Hopper", Role::Developer)
        .await;
    let confirm = admin
        .get_text(&remove_path(&app, &slug, "grace.hopper@example.com"))
        .await;
    assert!(confirm.contains("Grace Hopper") && confirm.contains("Remove member"));
    assert!(confirm.contains("API keys they created stay active"));
    assert_eq!(
        app.role_of(&slug, "grace.hopper@example.com"),
        Some(Role::Developer),
        "asking changes nothing"
    );

    let response = admin
        .post_form(&remove_path(&app, &slug, "grace.hopper@example.com"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        admin
            .get_text(&members(&slug))
            .await
            .contains("Grace Hopper was removed")
    );
    assert_eq!(app.role_of(&slug, "grace.hopper@example.com"), None);
    let (action, target, before, _) = last_entry(&app);
    assert_eq!(
        (action.as_str(), target.as_str()),
        ("member.removed", "Grace Hopper")
    );
    assert_eq!(before.unwrap()["role"], "developer");
    assert_eq!(
        grace.get(&members(&slug)).await.status(),
        StatusCode::NOT_FOUND
    );
    let again = admin
        .post_form(&remove_path(&app, &slug, "grace.hopper@example.com"), &[])
        .await;
    assert_eq!(
        again.status(),
        StatusCode::NOT_FOUND,
        "a double submit is harmless"
    );
}

#[actix_web::test]
async fn any_member_can_leave_after_confirming() {
    let app = TestApp::spawn().await;
    let (_admin, slug) = app.admin_with_org("Acme").await;
    let bill = app
        .member_with_role(&slug, "Bill", Role::BillingManager)
        .await;
    assert!(
        bill.get_text(&format!("/orgs/{slug}/leave"))
            .await
            .contains("Leave <strong>Acme</strong>?")
    );
    let response = bill.post_form(&format!("/orgs/{slug}/leave"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.role_of(&slug, "bill@example.com"), None);
    assert_eq!(last_entry(&app).0, "member.left");
    assert_eq!(
        bill.get(&members(&slug)).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn a_single_administrator_is_nudged_to_add_a_second() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    assert!(
        admin
            .get_text(&members(&slug))
            .await
            .contains("only one administrator")
    );
    assert!(
        !dev.get_text(&members(&slug))
            .await
            .contains("only one administrator"),
        "only admins can act on it"
    );
    admin
        .post_form(
            &role_path(&app, &slug, "dev@example.com"),
            &[("role", "administrator"), ("confirmed", "true")],
        )
        .await;
    assert!(
        !admin
            .get_text(&members(&slug))
            .await
            .contains("only one administrator")
    );
}

#[actix_web::test]
async fn search_filter_sort_and_pages_work_as_plain_links_and_htmx_fragments() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.add_generated_members(&slug, "Member", 120);

    let first = admin.get_text(&members(&slug)).await;
    assert!(first.contains("121 members") && first.contains("page 1 of 3"));
    assert!(
        first.contains("Member 00049") && !first.contains("Member 00050"),
        "Ada Admin sorts first, then 49 more"
    );
    let third = admin.get_text(&format!("{}?page=3", members(&slug))).await;
    assert!(
        third.contains("Member 00100")
            && third.contains("Member 00120")
            && !third.contains("Member 00099")
    );

    let search = admin
        .get_text(&format!("{}?q=MEMBER+0010", members(&slug)))
        .await;
    assert!(search.contains("10 members"), "Member 00100 to 00109");
    let literal = admin.get_text(&format!("{}?q=%25", members(&slug))).await;
    assert!(
        literal.contains("0 members") && literal.contains("No members match"),
        "% is not a wildcard"
    );

    let admins = admin
        .get_text(&format!("{}?role=administrator", members(&slug)))
        .await;
    assert!(admins.contains("1 member") && admins.contains("Ada Admin"));

    let newest = admin
        .get_text(&format!("{}?sort=joined", members(&slug)))
        .await;
    let table = &newest[newest.find("<tbody").unwrap()..];
    assert!(
        !table[..table.find("</tr>").unwrap()].contains("Ada Admin"),
        "the founder is the oldest member"
    );

    for junk in [
        "?page=-4",
        "?page=abc",
        "?sort=password_hash",
        "?role=owner",
        "?page=99999",
    ] {
        assert_eq!(
            admin
                .get(&format!("{}{junk}", members(&slug)))
                .await
                .status(),
            StatusCode::OK,
            "{junk}"
        );
    }

    let fragment = admin
        .http
        .get(admin.url(&format!("{}?q=member+00001", members(&slug))))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.headers()["vary"], "HX-Request");
    let fragment = fragment.text().await.unwrap();
    assert!(
        fragment
            .trim_start()
            .starts_with("<div id=\"member-table\">"),
        "only the table"
    );
    assert!(fragment.contains("Member 00001") && !fragment.contains("<html"));
}

/// The page costs the same number of SQL statements for 60 or 10,000 members.
#[actix_web::test]
async fn the_members_page_runs_a_constant_number_of_statements() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.add_generated_members(&slug, "Member", 60);
    let small = statements_for(&app, &admin, &slug).await;
    app.add_generated_members(&slug, "Bulk", 10_000);
    let large = statements_for(&app, &admin, &slug).await;
    println!(
        "members page: {small:?} statements with 61 members, {large:?} with 10,061 (plain, search, role)"
    );
    assert_eq!(small, large);
    // The sidebar's "Access health" badge rides in the statement that loads the member.
    assert!(large.iter().all(|n| *n <= 4), "{large:?}");
}

async fn statements_for(app: &TestApp, admin: &TestClient, slug: &str) -> Vec<u64> {
    let mut counts = Vec::new();
    for query in ["", "?q=member+1", "?role=viewer&sort=active"] {
        // Warms the session's last-seen touch and the kept badge.
        admin.get(&format!("{}{query}", members(slug))).await;
        let before = app.db.statements();
        let response = admin.get(&format!("{}{query}", members(slug))).await;
        assert_eq!(response.status(), StatusCode::OK);
        counts.push(app.db.statements() - before);
        let page = response.text().await.unwrap();
        assert!(page.contains("class=\"nav-badge\""), "the badge is shown");
    }
    counts
}

#[actix_web::test]
async fn the_one_administrator_notice_waits_for_an_invitation_and_stays_dismissed_per_person_and_org()
 {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let notice = "only one administrator";
    assert!(
        !admin.get_text(&members(&slug)).await.contains(notice),
        "a new one-person organization is not nagged on its first page"
    );
    let invite = |slug: String| {
        let admin = &admin;
        async move {
            let invited = admin
                .post_form(
                    &format!("/orgs/{slug}/invitations"),
                    &[("emails", "someone@example.com"), ("role", "viewer")],
                )
                .await;
            assert_eq!(invited.status(), StatusCode::OK);
        }
    };
    invite(slug.clone()).await;
    assert!(admin.get_text(&members(&slug)).await.contains(notice));

    let dismissed = admin
        .post_form(&format!("/orgs/{slug}/members/notice/dismiss"), &[])
        .await;
    assert_eq!(dismissed.status(), StatusCode::SEE_OTHER);
    assert!(!admin.get_text(&members(&slug)).await.contains(notice));
    assert!(
        !admin.get_text(&members(&slug)).await.contains(notice),
        "it stays dismissed"
    );

    // Another organization of the same person still shows it.
    let beta = admin.create_org("Beta").await;
    invite(beta.clone()).await;
    assert!(admin.get_text(&members(&beta)).await.contains(notice));

    // Only administrators dismiss it, and a refusal writes nothing.
    let dev = app.member_with_role(&beta, "Dev", Role::Developer).await;
    let before = app.count("notice_dismissals");
    let refused = dev
        .post_form(&format!("/orgs/{beta}/members/notice/dismiss"), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("notice_dismissals"), before);
}
