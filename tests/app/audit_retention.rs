//! "Keep IP addresses and user agents for N days": the setting, the job that blanks
//! older values while the chain keeps verifying, and "redacted" on the log page.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Uuid as SqlUuid};
use reqwest::StatusCode;
use teamwork::domain::activity::{Actor, Event};
use teamwork::models::activity;
use teamwork::models::activity_chain::{self, ChainPoint, Verification};
use teamwork::schema::{activity as act, organizations};
use uuid::Uuid;

use crate::helpers::{TestApp, TestDb};

fn org_keeping(conn: &mut PgConnection, days: i32) -> Uuid {
    let org_id = Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO organizations (id, name, slug, keep_personal_days) VALUES ($1, 'Acme', 'acme', $2)",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Integer, _>(days)
    .execute(conn)
    .unwrap();
    org_id
}

/// An entry written `days_ago`, with an IP address, a user agent and an email.
fn entry_aged(conn: &mut PgConnection, org_id: Uuid, days_ago: i32) {
    diesel::sql_query(
        "INSERT INTO activity (id, org_id, actor_name, action, target_type, target_label, \
         before, ip, user_agent, created_at) \
         VALUES (gen_random_uuid(), $1, 'Ada', 'member.removed', 'member', 'Grace', \
         '{\"role\": \"viewer\", \"email\": \"grace@x.test\"}', '203.0.113.5', 'Firefox', \
         now() - make_interval(days => $2))",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Integer, _>(days_ago)
    .execute(conn)
    .unwrap();
}

fn intact_up_to(conn: &mut PgConnection, org_id: Uuid) -> i64 {
    match activity_chain::verify(conn, org_id, ChainPoint::genesis()).unwrap() {
        Verification::Intact(at) => at.seq,
        Verification::Broken(b) => panic!("broken at #{}: {}", b.seq, b.reason),
    }
}

type Personal = (
    i64,
    Option<String>,
    Option<String>,
    serde_json::Value,
    serde_json::Value,
);

fn personal_by_seq(conn: &mut PgConnection, org_id: Uuid) -> Vec<Personal> {
    act::table
        .filter(act::org_id.eq(org_id))
        .order(act::seq)
        .select((
            act::seq,
            act::ip,
            act::user_agent,
            act::personal_salts,
            act::personal_digests,
        ))
        .load(conn)
        .unwrap()
}

#[test]
fn values_older_than_the_setting_are_blanked_and_the_chain_still_verifies() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let org = org_keeping(&mut conn, 30);
    let other = {
        let id = Uuid::now_v7();
        diesel::sql_query(
            "INSERT INTO organizations (id, name, slug) VALUES ($1, 'Other', 'other')",
        )
        .bind::<SqlUuid, _>(id)
        .execute(&mut conn)
        .unwrap();
        id
    };
    for days_ago in [45, 31, 29, 0] {
        entry_aged(&mut conn, org, days_ago);
        entry_aged(&mut conn, other, days_ago);
    }
    let redacted = teamwork::ops::maintenance::redact_personal(&mut conn, Utc::now()).unwrap();
    assert_eq!(
        redacted, 2,
        "the two entries over 30 days old; the other org keeps 90"
    );

    let rows = personal_by_seq(&mut conn, org);
    for (seq, ip, user_agent, salts, digests) in &rows[..2] {
        assert_eq!((ip, user_agent), (&None, &None), "#{seq}");
        assert!(
            salts.get("ip").is_none() && salts.get("user_agent").is_none(),
            "#{seq}"
        );
        assert!(
            salts.get("before.email").is_some(),
            "#{seq}: emails are not this setting's"
        );
        assert!(
            digests.get("ip").is_some(),
            "#{seq}: the digest stays for the chain"
        );
    }
    for (seq, ip, user_agent, _, _) in &rows[2..] {
        assert_eq!(ip.as_deref(), Some("203.0.113.5"), "#{seq}");
        assert_eq!(user_agent.as_deref(), Some("Firefox"), "#{seq}");
    }
    assert_eq!(intact_up_to(&mut conn, org), 4);
    assert_eq!(intact_up_to(&mut conn, other), 4);
    let again = teamwork::ops::maintenance::redact_personal(&mut conn, Utc::now()).unwrap();
    assert_eq!(again, 0);
}

#[test]
fn an_organization_keeping_them_0_days_never_stores_them() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let org = org_keeping(&mut conn, 0);
    let actor = Actor {
        user_id: Uuid::now_v7(),
        name: "Ada".into(),
        ip: Some("203.0.113.5".into()),
        user_agent: Some("Firefox".into()),
        admin_key: None,
        scim: None,
    };
    let event = Event::ProjectCreated {
        project: Uuid::now_v7(),
        name: "Apollo".into(),
    };
    activity::record(&mut conn, org, &actor, &event).unwrap();
    let rows = personal_by_seq(&mut conn, org);
    assert_eq!(rows[0].1, None);
    assert_eq!(rows[0].2, None);
    assert_eq!(
        rows[0].4,
        serde_json::json!({}),
        "no digest of a value never stored"
    );
    assert_eq!(intact_up_to(&mut conn, org), 1);
}

#[actix_web::test]
async fn an_administrator_sets_the_retention_and_the_log_shows_redacted() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let settings = admin.get_text(&format!("/orgs/{slug}/settings")).await;
    assert!(settings.contains("Keep IP addresses and user agents for"));
    assert!(settings.contains("value=\"90\""), "the default");

    let path = format!("/orgs/{slug}/settings/retention");
    let refused = admin
        .post_form(&path, &[("keep_personal_days", "-1")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = admin.post_form(&path, &[("keep_personal_days", "0")]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let mut conn = app.conn();
    let org = app.org_id(&slug);
    let kept: i32 = organizations::table
        .find(org)
        .select(organizations::keep_personal_days)
        .first(&mut conn)
        .unwrap();
    assert_eq!(kept, 0);
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(
        log.contains("changed how long IP addresses and user agents are kept"),
        "{log}"
    );
    assert!(
        log.contains("90 days") && log.contains("not at all"),
        "{log}"
    );

    // The founding entry kept the founder's address until now: 0 days blanks it.
    teamwork::ops::maintenance::redact_personal(&mut conn, Utc::now()).unwrap();
    let held: i64 = act::table
        .filter(act::org_id.eq(org).and(act::ip.is_not_null()))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(held, 0);
    let log = admin.get_text(&format!("/orgs/{slug}/activity")).await;
    assert!(log.contains("<dd>redacted</dd>"), "{log}");
    assert_eq!(intact_up_to(&mut conn, org), 2);
}
