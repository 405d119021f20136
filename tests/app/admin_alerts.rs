//! Alerts on privileged changes: every administrator gets an email (a minute's alerts
//! grouped into one) and a line in the Overview's "Alerts" box; the member whose role
//! changed is told too; non-security emails can be turned off, security alerts cannot.

use reqwest::StatusCode;
use teamwork::domain::Role;

use crate::helpers::{TestApp, TestClient};

const ADA: &str = "ada.admin@example.com";
const BOB: &str = "bob.admin@example.com";
const GRACE: &str = "grace.dev@example.com";

/// Runs the worker step as if `seconds` had passed, then lets the mail worker send.
async fn flush_after(app: &TestApp, seconds: i64) -> usize {
    let now = app.clock.now() + chrono::Duration::seconds(seconds);
    let queued = app.with_conn(|conn| {
        teamwork::ops::alerts::flush_due(conn, now, &app.address).expect("flush alerts")
    });
    app.mail.wake();
    app.mail_settled().await;
    queued
}

fn mails_to(app: &TestApp, to: &str) -> Vec<crate::smtp::ReceivedMail> {
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
        .filter(|m| m.subject.contains("(Teamwork)"))
        .collect()
}

async fn change_role(admin: &TestClient, app: &TestApp, slug: &str, email: &str, role: &str) {
    let path = format!("/orgs/{slug}/members/{}/role", app.user_id(email));
    let response = admin
        .post_form(&path, &[("role", role), ("confirmed", "true")])
        .await;
    assert!(
        response.status().is_redirection() || response.status().is_success(),
        "role change answered {}",
        response.status()
    );
}

async fn acme() -> (TestApp, TestClient, String, TestClient, TestClient) {
    let app = TestApp::spawn().await;
    let (ada, slug) = app.admin_with_org("Acme").await;
    let bob = app
        .member_with_role(&slug, "Bob Admin", Role::Administrator)
        .await;
    let grace = app
        .member_with_role(&slug, "Grace Dev", Role::Developer)
        .await;
    (app, ada, slug, bob, grace)
}

#[actix_web::test]
async fn making_someone_administrator_alerts_every_administrator_and_tells_the_member() {
    let (app, ada, slug, bob, grace) = acme().await;
    change_role(&ada, &app, &slug, GRACE, "administrator").await;

    assert_eq!(
        flush_after(&app, 10).await,
        0,
        "alerts wait a minute for others to share their email"
    );
    assert_eq!(flush_after(&app, 61).await, 3, "Ada, Bob and Grace");
    for to in [ADA, BOB, GRACE] {
        let mails = mails_to(&app, to);
        assert_eq!(mails.len(), 1, "one email to {to}");
        assert_eq!(mails[0].subject, "Security alert in Acme (Teamwork)");
        assert!(
            mails[0]
                .text
                .contains("Ada Admin changed Grace Dev's role from Developer to Administrator"),
            "{}",
            mails[0].text
        );
    }
    assert_eq!(flush_after(&app, 120).await, 0, "each alert is mailed once");

    let overview = bob.get_text(&format!("/orgs/{slug}")).await;
    assert!(overview.contains(">Alerts</h2>"));
    assert!(
        overview.contains("role from Developer to Administrator"),
        "the alert is a line of Bob's Alerts box"
    );
    let grace_overview = grace.get_text(&format!("/orgs/{slug}")).await;
    assert!(grace_overview.contains(">Alerts</h2>"));
    let vera = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let vera_overview = vera.get_text(&format!("/orgs/{slug}")).await;
    assert!(
        !vera_overview.contains(">Alerts</h2>") && !vera_overview.contains("to Administrator"),
        "a viewer sees no one's alerts"
    );
}

#[actix_web::test]
async fn several_changes_in_one_minute_reach_each_administrator_as_one_email() {
    let (app, ada, slug, _bob, _grace) = acme().await;
    for name in ["Acme Labs", "Acme Research"] {
        let response = ada
            .post_form(&format!("/orgs/{slug}/settings"), &[("name", name)])
            .await;
        assert!(response.status().is_redirection(), "{}", response.status());
    }
    let response = ada
        .post_form(
            &format!("/orgs/{slug}/members/{}/remove", app.user_id(BOB)),
            &[],
        )
        .await;
    assert!(response.status().is_redirection(), "{}", response.status());

    assert_eq!(
        flush_after(&app, 61).await,
        2,
        "one email each to Ada and Bob"
    );
    let mails = mails_to(&app, ADA);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "3 alerts, security among them (Teamwork)");
    for line in [
        "renamed the organization",
        "Acme Research",
        "removed Bob Admin",
    ] {
        assert!(mails[0].text.contains(line), "{line}: {}", mails[0].text);
    }
    let bob = mails_to(&app, BOB);
    assert_eq!(bob.len(), 1);
    assert_eq!(
        bob[0].subject, "2 alerts, security among them (Teamwork)",
        "Bob was an administrator for the renames, not after his removal"
    );
    assert!(
        mails_to(&app, GRACE).is_empty(),
        "Grace is no administrator"
    );
}

#[actix_web::test]
async fn changes_that_are_not_privileged_alert_no_administrator() {
    let (app, ada, slug, bob, _grace) = acme().await;
    change_role(&ada, &app, &slug, GRACE, "viewer").await;

    assert_eq!(flush_after(&app, 61).await, 1, "only Grace, about her role");
    assert!(mails_to(&app, ADA).is_empty());
    assert!(mails_to(&app, BOB).is_empty());
    let grace = mails_to(&app, GRACE);
    assert_eq!(grace[0].subject, "A change in Acme (Teamwork)");
    let overview = bob.get_text(&format!("/orgs/{slug}")).await;
    assert!(
        overview.contains("No alerts."),
        "administrators see the empty box"
    );
}

#[actix_web::test]
async fn a_member_who_turned_other_emails_off_still_gets_security_alerts() {
    let (app, ada, slug, _bob, grace) = acme().await;
    let account = grace.get_text("/account").await;
    assert!(account.contains("Email me about other changes"));
    assert!(account.contains("Security alerts are always sent and cannot be turned off"));
    let response = grace.post_form("/account/emails", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        !grace.get_text("/account").await.contains("checked"),
        "the box shows the setting"
    );

    change_role(&ada, &app, &slug, GRACE, "viewer").await;
    assert_eq!(
        flush_after(&app, 61).await,
        0,
        "her role notice is not mailed"
    );
    assert_eq!(
        app.count_where("alerts", "handled_at IS NULL"),
        0,
        "the notice was dealt with, not left to pile up"
    );

    change_role(&ada, &app, &slug, GRACE, "administrator").await;
    assert_eq!(flush_after(&app, 122).await, 3);
    assert_eq!(
        mails_to(&app, GRACE).len(),
        1,
        "made Administrator: a security alert"
    );
}

#[actix_web::test]
async fn deleting_the_organization_alerts_every_administrator() {
    let (app, ada, slug, _bob, _grace) = acme().await;
    let response = ada
        .post_form(&format!("/orgs/{slug}/delete"), &[("name", "Acme")])
        .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(flush_after(&app, 61).await, 2, "Ada and Bob");
    for to in [ADA, BOB] {
        let mails = mails_to(&app, to);
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0]
                .text
                .contains("Ada Admin deleted the organization Acme"),
            "{}",
            mails[0].text
        );
    }
}

#[actix_web::test]
async fn two_instances_mailing_alerts_at_once_send_each_person_one_email() {
    let (app, ada, slug, _bob, _grace) = acme().await;
    for name in ["Acme One", "Acme Two", "Acme Three"] {
        ada.post_form(&format!("/orgs/{slug}/settings"), &[("name", name)])
            .await;
    }
    let now = app.clock.now() + chrono::Duration::seconds(61);
    let instances: Vec<_> = (0..2)
        .map(|_| {
            let (url, base) = (app.database_url(), app.address.clone());
            std::thread::spawn(move || {
                use diesel::Connection;
                let mut conn = diesel::PgConnection::establish(&url).unwrap();
                teamwork::ops::alerts::flush_due(&mut conn, now, &base).unwrap()
            })
        })
        .collect();
    let queued: usize = instances.into_iter().map(|i| i.join().unwrap()).sum();
    assert_eq!(queued, 2, "Ada and Bob, once each");
    assert_eq!(app.count_where("outbox", "kind = 'alerts'"), 2);
    assert_eq!(app.count_where("alerts", "handled_at IS NULL"), 0);
}
