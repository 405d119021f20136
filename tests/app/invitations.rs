//! Invitations: sending, per-address results, the join link's three accept paths,
//! resend, cancel, expiry, races, rate limits, and what denied principals cannot do.

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::Role;
use teamwork::schema::{activity, invitations, users};

use crate::helpers::{TestApp, TestClient, location};

const PASSWORD: &str = "correct horse battery";

async fn invite(admin: &TestClient, slug: &str, emails: &str, role: &str) -> reqwest::Response {
    admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", emails), ("role", role)],
        )
        .await
}

fn actions(app: &TestApp) -> Vec<String> {
    activity::table
        .order(activity::id)
        .select(activity::action)
        .load(&mut app.conn())
        .unwrap()
}

fn invitation_status(app: &TestApp, email: &str) -> String {
    invitations::table
        .filter(invitations::email.eq(email))
        .order(invitations::created_at.desc())
        .select(invitations::status)
        .first(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn an_administrator_invites_three_people_and_each_gets_an_email() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let response = invite(
        &admin,
        &slug,
        "grace@example.com, alan@example.com\nkatherine@example.com",
        "developer",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert_eq!(page.matches(">Invited<").count(), 3);

    for to in [
        "grace@example.com",
        "alan@example.com",
        "katherine@example.com",
    ] {
        let mail = app
            .smtp
            .wait_for(to, std::time::Duration::from_secs(10))
            .await;
        assert_eq!(
            mail.subject,
            "Ada Admin invited you to join Acme on Teamwork"
        );
        assert!(
            mail.text.contains("as a Developer") && mail.html.contains("Accept the invitation")
        );
        assert!(
            mail.text
                .contains(&format!("{}/invitations/inv_", app.address))
        );
    }
    let members = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(members.contains("Pending invitations") && members.contains("katherine@example.com"));
    assert!(members.contains("Expires in 7 days"));
    assert_eq!(
        actions(&app)
            .iter()
            .filter(|a| *a == "invitation.sent")
            .count(),
        3
    );
    assert_eq!(app.count_where("outbox", "kind = 'invitation'"), 3);
}

#[actix_web::test]
async fn each_address_gets_its_own_result_and_nothing_is_half_done() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.member_with_role(&slug, "Dev", Role::Developer).await;
    invite(&admin, &slug, "pending@example.com", "viewer").await;
    let page = invite(
        &admin,
        &slug,
        "new@example.com not-an-address DEV@example.com Pending@Example.com",
        "viewer",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains("new@example.com") && page.matches(">Invited<").count() == 1);
    assert!(page.contains("Invalid address") && page.contains("not-an-address"));
    assert!(page.contains("Already a member"));
    assert!(page.contains("Already invited") && page.contains(">Resend</button>"));
    // What is left to do is said once more below the table, with the way back.
    assert!(page.contains("To fix: 1 address was not invited."));
    assert!(page.contains("<strong>not-an-address</strong>: correct the address"));
    assert!(page.contains("Back to Members"));
    assert_eq!(app.count("invitations"), 2);
}

#[actix_web::test]
async fn bad_invitation_forms_show_field_messages_and_write_nothing() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let fifty_one: Vec<String> = (0..51).map(|i| format!("p{i}@example.com")).collect();
    for (emails, role, message) in [
        ("", "viewer", "Enter at least one email address"),
        ("a@example.com", "owner", "Choose one of the four roles"),
        (&fifty_one.join(",")[..], "viewer", "at most 50"),
    ] {
        let response = invite(&admin, &slug, emails, role).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response.text().await.unwrap().contains(message),
            "{message}"
        );
    }
    assert_eq!(
        (
            app.count("invitations"),
            app.count_where("outbox", "kind = 'invitation'")
        ),
        (0, 0)
    );
}

#[actix_web::test]
async fn a_new_person_creates_an_account_from_the_link_and_joins() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "Grace@Example.com", "developer").await;
    let join = app.join_path("grace@example.com", 1).await;

    let visitor = app.client();
    let response = visitor.get(&join).await;
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("Ada Admin") && page.contains("Acme") && page.contains("a Developer"));
    assert!(
        page.contains("Create account and join")
            && page.contains("value=\"Grace@Example.com\" readonly")
    );

    let short = visitor
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Grace"), ("password", "short")],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invitation_status(&app, "Grace@Example.com"), "pending");

    let response = visitor
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Grace Hopper"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/orgs/{slug}/members"));
    assert!(
        visitor
            .get_text(&location(&response))
            .await
            .contains("Welcome to Acme")
    );
    assert_eq!(
        app.role_of(&slug, "Grace@Example.com"),
        Some(Role::Developer)
    );
    let verified: Option<chrono::DateTime<chrono::Utc>> = users::table
        .filter(users::email.eq("Grace@Example.com"))
        .select(users::email_verified_at)
        .first(&mut app.conn())
        .unwrap();
    assert!(verified.is_some(), "the link proved the mailbox");
    assert_eq!(invitation_status(&app, "Grace@Example.com"), "accepted");
    assert!(actions(&app).contains(&"invitation.accepted".to_owned()));
    app.mail_with_subject(
        "ada.admin@example.com",
        "Grace Hopper joined Acme on Teamwork",
    )
    .await;

    let reused = app.client().get(&join).await;
    assert_eq!(reused.status(), StatusCode::GONE);
    assert!(reused.text().await.unwrap().contains("already been used"));
}

#[actix_web::test]
async fn someone_with_an_unconfirmed_account_logs_in_from_the_link_and_accepts_in_one_step() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.signed_up("Alan").await;
    invite(&admin, &slug, "ALAN@example.com", "viewer").await;
    let join = app.join_path("ALAN@example.com", 1).await;

    let alan = app.client();
    let page = alan.get_text(&join).await;
    assert!(page.contains("Log in to accept") && !page.contains("Create account and join"));
    let response = alan
        .post_form(
            "/login",
            &[
                ("email", "alan@example.com"),
                ("password", PASSWORD),
                ("next", &join),
            ],
        )
        .await;
    assert_eq!(
        location(&response),
        join,
        "back to the join page after logging in"
    );
    // The link was mailed to the invited address: accepting it as the account with that
    // address confirms the address and joins in one step, like "Create account and join".
    let page = alan.get_text(&join).await;
    assert!(page.contains("Accept invitation"));
    assert!(page.contains("Accepting also confirms that ALAN@example.com is your address"));
    assert!(page.contains("Signed in as <strong>alan@example.com</strong>"));
    assert!(page.contains(">Sign out</button>"));
    let accepted = alan.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.role_of(&slug, "alan@example.com"), Some(Role::Viewer));
    assert_eq!(
        app.count_where(
            "users",
            "email = 'alan@example.com' AND email_verified_at IS NOT NULL"
        ),
        1,
        "the address is confirmed by the same step"
    );
    let again = alan.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(app.count("memberships"), 2);
}

#[actix_web::test]
async fn another_account_cannot_accept_and_is_offered_to_switch() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let join = app.join_path("grace@example.com", 1).await;
    // The same mailbox with a dot or a plus is another address (R14).
    let mallory = app.client();
    mallory
        .sign_up_and_log_in("Mallory", "grace+x@example.com", PASSWORD)
        .await;
    let page = mallory.get_text(&join).await;
    assert!(
        page.contains("This invitation is for another address")
            && page.contains("Log out and continue")
    );
    let response = mallory.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(app.role_of(&slug, "grace+x@example.com"), None);
    assert_eq!(invitation_status(&app, "grace@example.com"), "pending");

    let switch = mallory.post_form("/logout", &[("next", &join)]).await;
    assert_eq!(location(&switch), join);
    assert!(
        mallory
            .get_text(&join)
            .await
            .contains("Create account and join")
    );
}

#[actix_web::test]
async fn resending_issues_a_new_link_and_kills_the_old_one() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "billing_manager").await;
    let first = app.join_path("grace@example.com", 1).await;
    let id: uuid::Uuid = invitations::table
        .select(invitations::id)
        .first(&mut app.conn())
        .unwrap();
    app.clock.advance(chrono::Duration::days(3));

    let response = admin
        .post_form(&format!("/orgs/{slug}/invitations/{id}/resend"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let second = app.join_path("grace@example.com", 2).await;
    assert_ne!(first, second);

    let old = app.client().get(&first).await;
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
    assert!(
        old.text()
            .await
            .unwrap()
            .contains("replaced by a newer one")
    );
    let page = app.client().get_text(&second).await;
    assert!(
        page.contains("a Billing Manager"),
        "the role never changes on resend"
    );
    let (expires, count): (chrono::DateTime<chrono::Utc>, i32) = invitations::table
        .select((invitations::expires_at, invitations::send_count))
        .first(&mut app.conn())
        .unwrap();
    assert!(
        expires > app.clock.now() + chrono::Duration::days(6),
        "7 days from the latest sending"
    );
    assert_eq!(count, 2);
    assert_eq!(actions(&app).last().unwrap(), "invitation.resent");
}

#[actix_web::test]
async fn cancelling_kills_the_link_at_once() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let join = app.join_path("grace@example.com", 1).await;
    let id: uuid::Uuid = invitations::table
        .select(invitations::id)
        .first(&mut app.conn())
        .unwrap();
    let response = admin
        .post_form(&format!("/orgs/{slug}/invitations/{id}/cancel"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.client().get(&join).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("This invitation was cancelled")
    );
    let grace = app.client();
    let signup = grace
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Grace"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signup.status(), StatusCode::GONE);
    assert_eq!(app.count("users"), 1, "no account was created");
    let members = admin.get_text(&format!("/orgs/{slug}/members")).await;
    assert!(
        members.contains("Invitation to grace@example.com cancelled"),
        "the confirmation"
    );
    assert!(
        !admin
            .get_text(&format!("/orgs/{slug}/members"))
            .await
            .contains("grace@example.com"),
        "no longer pending"
    );
    let twice = admin
        .post_form(&format!("/orgs/{slug}/invitations/{id}/cancel"), &[])
        .await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    assert_eq!(
        actions(&app)
            .iter()
            .filter(|a| *a == "invitation.cancelled")
            .count(),
        1
    );
}

#[actix_web::test]
async fn links_expire_after_seven_days_and_a_resend_revives_them() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let join = app.join_path("grace@example.com", 1).await;
    app.clock
        .advance(chrono::Duration::days(7) - chrono::Duration::seconds(5));
    assert!(
        app.client()
            .get_text(&join)
            .await
            .contains("Create account and join"),
        "still valid just before 7 days"
    );
    app.clock.advance(chrono::Duration::seconds(10));
    let expired = app.client().get(&join).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(
        expired
            .text()
            .await
            .unwrap()
            .contains("This invitation has expired")
    );
    let grace = app.client();
    let refused = grace
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Grace"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::GONE);
    assert!(
        admin
            .get_text(&format!("/orgs/{slug}/members"))
            .await
            .contains("Expired")
    );

    let id: uuid::Uuid = invitations::table
        .select(invitations::id)
        .first(&mut app.conn())
        .unwrap();
    admin
        .post_form(&format!("/orgs/{slug}/invitations/{id}/resend"), &[])
        .await;
    let fresh = app.join_path("grace@example.com", 2).await;
    let joined = grace
        .post_form(
            &format!("{fresh}/signup"),
            &[("name", "Grace"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.role_of(&slug, "grace@example.com"), Some(Role::Viewer));
}

#[actix_web::test]
async fn opening_the_link_changes_nothing() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let join = app.join_path("grace@example.com", 1).await;
    let before = (
        app.count("activity"),
        app.count("users"),
        app.count("memberships"),
    );
    for _ in 0..5 {
        assert_eq!(app.client().get(&join).await.status(), StatusCode::OK);
    }
    assert_eq!(
        (
            app.count("activity"),
            app.count("users"),
            app.count("memberships")
        ),
        before
    );
    assert_eq!(invitation_status(&app, "grace@example.com"), "pending");
    for bad in [
        "/invitations/inv_",
        "/invitations/nonsense",
        "/invitations/inv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let response = app.client().get(bad).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("This invitation link is not valid")
        );
    }
    let long = format!("/invitations/inv_{}", "A".repeat(10_000));
    assert!(app.client().get(&long).await.status().is_client_error());
}

#[actix_web::test]
async fn fifty_concurrent_accepts_of_one_link_make_one_membership() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let grace = app.signed_up("Grace").await;
    app.confirm_email(&grace, "grace@example.com").await;
    invite(&admin, &slug, "grace@example.com", "developer").await;
    let join = app.join_path("grace@example.com", 1).await;
    let accept = format!("{join}/accept");
    let token = grace.csrf().await;
    let attempts = (0..50).map(|_| {
        grace
            .http
            .post(grace.url(&accept))
            .header("X-CSRF-Token", &token)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send()
    });
    let responses = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = responses
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let accepted = statuses.iter().filter(|s| **s == 303).count();
    let memberships: i64 = teamwork::schema::memberships::table
        .filter(teamwork::schema::memberships::role.eq(Role::Developer))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    println!(
        "50 concurrent accepts: {accepted} accepted, {} refused, {memberships} membership",
        50 - accepted
    );
    assert_eq!((accepted, memberships), (1, 1));
    assert!(
        statuses.iter().all(|s| *s == 303 || *s == 410 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(
        actions(&app)
            .iter()
            .filter(|a| *a == "invitation.accepted")
            .count(),
        1
    );
}

#[actix_web::test]
async fn the_token_is_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let join = app.join_path("grace@example.com", 1).await;
    let token = join.strip_prefix("/invitations/").unwrap().to_owned();
    // The worker blanks the email body once sent, in the pass that sent it.
    app.mail_settled().await;
    #[derive(QueryableByName)]
    struct Dump {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    for table in [
        "invitations",
        "invitation_sends",
        "activity",
        "outbox",
        "sessions",
        "users",
    ] {
        let rows: Vec<Dump> = diesel::sql_query(format!(
            "SELECT row_to_json(t)::text AS dump FROM {table} t"
        ))
        .load(&mut app.conn())
        .unwrap();
        assert!(
            rows.iter().all(|r| !r.dump.contains(&token)),
            "the token is in {table}"
        );
    }
}

#[actix_web::test]
async fn only_administrators_invite_resend_or_cancel() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    app.smtp
        .wait_for("grace@example.com", std::time::Duration::from_secs(10))
        .await;
    let id: uuid::Uuid = invitations::table
        .select(invitations::id)
        .first(&mut app.conn())
        .unwrap();
    let before = (
        app.count("invitations"),
        app.count_where("outbox", "kind = 'invitation'"),
        app.count("activity"),
    );
    for (name, role) in [
        ("Dev", Role::Developer),
        ("Bill", Role::BillingManager),
        ("Vera", Role::Viewer),
    ] {
        let member = app.member_with_role(&slug, name, role).await;
        let page = member.get_text(&format!("/orgs/{slug}/members")).await;
        assert!(
            page.contains("grace@example.com"),
            "{role:?} sees pending invitations"
        );
        assert!(
            !page.contains("Invite Member") && !page.contains(">Resend</button>"),
            "{role:?} sees no controls"
        );
        assert_eq!(
            member
                .get(&format!("/orgs/{slug}/invitations/new"))
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            invite(&member, &slug, "eve@example.com", "administrator")
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
        let resend = member
            .post_form(&format!("/orgs/{slug}/invitations/{id}/resend"), &[])
            .await;
        let cancel = member
            .post_form(&format!("/orgs/{slug}/invitations/{id}/cancel"), &[])
            .await;
        assert_eq!(
            (resend.status(), cancel.status()),
            (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN)
        );
    }
    let mallory = app.signed_up("Mallory").await;
    let evil = mallory.create_org("Evil").await;
    let swapped = mallory
        .post_form(&format!("/orgs/{evil}/invitations/{id}/cancel"), &[])
        .await;
    assert_eq!(swapped.status(), StatusCode::NOT_FOUND);
    let after = (
        app.count("invitations"),
        app.count_where("outbox", "kind = 'invitation'"),
        app.count("activity") - 1,
    );
    assert_eq!(
        before, after,
        "nothing changed (the one extra entry is Evil's creation)"
    );
    assert_eq!(invitation_status(&app, "grace@example.com"), "pending");
}

#[actix_web::test]
async fn daily_limits_refuse_without_writing_anything() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    // Seats are not what this test is about: no limit.
    admin
        .post_form(
            &format!("/orgs/{slug}/billing/plan"),
            &[("plan", "enterprise")],
        )
        .await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let id: uuid::Uuid = invitations::table
        .select(invitations::id)
        .first(&mut app.conn())
        .unwrap();
    for _ in 0..9 {
        let response = admin
            .post_form(&format!("/orgs/{slug}/invitations/{id}/resend"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let before = (app.count("outbox"), app.count("activity"));
    let eleventh = admin
        .post_form(&format!("/orgs/{slug}/invitations/{id}/resend"), &[])
        .await;
    assert_eq!(eleventh.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        eleventh
            .text()
            .await
            .unwrap()
            .contains("10 invitations today")
    );
    assert_eq!((app.count("outbox"), app.count("activity")), before);

    let batch = |from: usize| {
        (from..from + 45)
            .map(|i| format!("p{i}@example.com"))
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(
        invite(&admin, &slug, &batch(0), "viewer").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        invite(&admin, &slug, &batch(45), "viewer").await.status(),
        StatusCode::OK
    );
    let before = (
        app.count("invitations"),
        app.count("outbox"),
        app.count("activity"),
    );
    let over = invite(&admin, &slug, "one-more@example.com", "viewer").await;
    assert_eq!(
        over.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "10 + 90 sendings today"
    );
    assert!(over.text().await.unwrap().contains("100 invitations a day"));
    assert_eq!(
        (
            app.count("invitations"),
            app.count("outbox"),
            app.count("activity")
        ),
        before
    );
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        invite(&admin, &slug, "one-more@example.com", "viewer")
            .await
            .status(),
        StatusCode::OK,
        "a day later"
    );
}

#[actix_web::test]
async fn accepting_when_already_a_member_is_a_friendly_page() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    invite(&admin, &slug, "grace@example.com", "viewer").await;
    let join = app.join_path("grace@example.com", 1).await;
    let grace = app.member_with_role(&slug, "Grace", Role::Developer).await;
    let page = grace.get_text(&join).await;
    assert!(page.contains("You are already a member"));
    let response = grace.post_form(&format!("{join}/accept"), &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.role_of(&slug, "grace@example.com"),
        Some(Role::Developer),
        "no second membership, no role change"
    );
}
