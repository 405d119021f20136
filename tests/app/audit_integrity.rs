//! "Integrity: verified up to #N at <time>": the maintenance job verifies what was
//! written since its last pass, and administrators see how far it got.

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Uuid as SqlUuid;
use teamwork::domain::Role;
use teamwork::models::activity_chain::{self, ChainPoint, Verification};
use teamwork::ops::audit::verify_incrementally;

use crate::helpers::TestApp;

fn rewrite_as_superuser(app: &TestApp, org: uuid::Uuid, seq: i64) {
    let mut conn = app.conn();
    conn.batch_execute("SET session_replication_role = replica")
        .unwrap();
    diesel::sql_query("UPDATE activity SET actor_name = 'Mallory' WHERE org_id = $1 AND seq = $2")
        .bind::<SqlUuid, _>(org)
        .bind::<diesel::sql_types::BigInt, _>(seq)
        .execute(&mut conn)
        .unwrap();
}

#[actix_web::test]
async fn administrators_see_how_far_the_job_verified_and_where_it_broke() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let viewer = app.member_with_role(&slug, "Vera", Role::Viewer).await;
    let org = app.org_id(&slug);
    let log = format!("/orgs/{slug}/activity");
    assert!(
        admin
            .get_text(&log)
            .await
            .contains("Integrity: not verified yet")
    );

    let broken =
        app.with_conn(|c| verify_incrementally(c, Utc::now(), "http://console.test").unwrap());
    assert!(broken.is_empty());
    let page = admin.get_text(&log).await;
    let today = Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        page.contains(&format!("Integrity: verified up to #1 at {today}")),
        "{page}"
    );
    assert!(!viewer.get_text(&log).await.contains("Integrity"));

    for name in ["Acme Two", "Acme Three"] {
        admin
            .post_form(&format!("/orgs/{slug}/settings"), &[("name", name)])
            .await;
    }
    // An entry already verified is not read again by the job (the full `activity
    // verify` finds it): each pass costs what was written since the last.
    rewrite_as_superuser(&app, org, 1);
    app.with_conn(|c| verify_incrementally(c, Utc::now(), "http://console.test").unwrap());
    assert!(admin.get_text(&log).await.contains("verified up to #3 at"));
    let full = app.with_conn(|c| activity_chain::verify(c, org, ChainPoint::genesis()).unwrap());
    assert!(matches!(full, Verification::Broken(b) if b.seq == 1));

    admin
        .post_form(&format!("/orgs/{slug}/settings"), &[("name", "Acme Four")])
        .await;
    rewrite_as_superuser(&app, org, 4);
    let broken =
        app.with_conn(|c| verify_incrementally(c, Utc::now(), "http://console.test").unwrap());
    assert_eq!(broken.len(), 1);
    assert_eq!((broken[0].0, broken[0].1.seq), (org, 4));
    let page = admin.get_text(&log).await;
    assert!(
        page.contains("Integrity: the log does not verify at #4 (entry altered)"),
        "{page}"
    );
    let alert = app
        .mail_with_subject(
            "ada.admin@example.com",
            "The activity log of Acme Four does not verify",
        )
        .await;
    assert!(
        alert.text.contains("entry #4 (entry altered)"),
        "{}",
        alert.text
    );
    assert!(
        alert
            .text
            .contains(&format!("http://console.test/orgs/{slug}/activity"))
    );
    // The break stays reported, and is reported as new only once.
    let again =
        app.with_conn(|c| verify_incrementally(c, Utc::now(), "http://console.test").unwrap());
    assert!(again.is_empty());
    app.mail_settled().await;
    assert_eq!(app.count_where("outbox", "kind = 'integrity_alert'"), 1);
    assert!(admin.get_text(&log).await.contains("does not verify at #4"));
}

#[actix_web::test]
async fn signed_checkpoints_download_and_their_key_is_in_settings() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]);
    let public = teamwork::domain::audit_chain::hex(&key.verifying_key().to_bytes());
    assert!(
        admin
            .get_text(&format!("/orgs/{slug}/settings"))
            .await
            .contains("No checkpoint signed yet")
    );
    app.with_conn(|c| teamwork::ops::audit::checkpoint(c, &key, Utc::now()).unwrap());

    let body = admin
        .get_text(&format!("/orgs/{slug}/activity/checkpoints.jsonl"))
        .await;
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{body}");
    let c = &lines[0];
    assert_eq!(
        (c["seq"].as_i64(), c["public_key"].as_str()),
        (Some(1), Some(public.as_str()))
    );
    let message = format!(
        "teamwork activity checkpoint v1\norg_id={}\nseq=1\nhash={}\ncreated_at={}\n",
        c["org_id"].as_str().unwrap(),
        c["hash"].as_str().unwrap(),
        c["created_at"].as_str().unwrap()
    );
    let unhex = teamwork::domain::audit_chain::unhex;
    assert!(teamwork::domain::audit_chain::signature_valid(
        &unhex(&public).unwrap(),
        &message,
        &unhex(c["signature"].as_str().unwrap()).unwrap()
    ));
    assert!(
        admin
            .get_text(&format!("/orgs/{slug}/settings"))
            .await
            .contains(&public)
    );
}
