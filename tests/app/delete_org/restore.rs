//! Restoring a deleted organization: exactly as it was, by its deleter only, within
//! the window.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use teamwork::domain::Role;
use uuid::Uuid;

use super::{ADA, DEV, acme, rows, rows_of, usage};
use crate::helpers::{location, shown_key};
use crate::projects::report;

#[actix_web::test]
async fn the_deleter_restores_the_organization_exactly_as_it_was() {
    let acme = acme().await;
    // Rows in the tables the fixture leaves empty: a dismissed notice, a verification
    // and a signed checkpoint of the activity chain, a revoked key.
    acme.ada
        .post_form(&format!("/orgs/{}/members/notice/dismiss", acme.slug), &[])
        .await;
    let page = acme
        .ada
        .post_form(
            &format!("/orgs/{}/projects/{}/keys", acme.slug, acme.project),
            &[("name", "old")],
        )
        .await
        .text()
        .await
        .unwrap();
    let old_key = shown_key(&page);
    let key_id: Uuid = teamwork::schema::api_keys::table
        .filter(teamwork::schema::api_keys::name.eq("old"))
        .select(teamwork::schema::api_keys::id)
        .first(&mut acme.app.conn())
        .unwrap();
    acme.ada
        .post_form(
            &format!(
                "/orgs/{}/projects/{}/keys/{key_id}/revoke",
                acme.slug, acme.project
            ),
            &[],
        )
        .await;
    assert_eq!(
        report(&acme.app, &old_key, usage()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let now = chrono::Utc::now();
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let mut conn = acme.app.conn();
    teamwork::ops::audit::verify_incrementally(&mut conn, now, &acme.app.address).unwrap();
    teamwork::ops::audit::checkpoint(&mut conn, &signing, now).unwrap();
    let before = rows_of(&acme.app, acme.org_id);
    for table in [
        "notice_dismissals",
        "activity_verifications",
        "activity_checkpoints",
    ] {
        assert!(
            !rows(&before, table).is_empty(),
            "{table} has rows to compare"
        );
    }
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);

    // The home page lists it with "Restore"; the mailed link leads to the same page.
    let home = acme.ada.get_text("/").await;
    assert!(home.contains("Deleted organizations") && home.contains("Acme"));
    assert!(home.contains("href=\"/orgs/acme/restore\""));
    let mail = acme.app.mail_with_subject(ADA, "Acme was deleted").await;
    let link = mail
        .link(&format!("{}/orgs/", acme.app.address))
        .unwrap()
        .strip_prefix(&acme.app.address)
        .unwrap()
        .to_owned();
    let page = acme.ada.get_text(&link).await;
    assert!(page.contains("Restore organization") && page.contains(">Restore</button>"));
    // A GET restores nothing.
    assert!(acme.deleted_at().is_some());

    let response = acme.ada.post_form(&link, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/orgs/acme");
    assert_eq!(acme.deleted_at(), None);
    let after = rows_of(&acme.app, acme.org_id);

    // Every row as it was, but for the two entries of the deletion and the restore,
    // the chain's head that moved past them, and the invitation that the
    // deletion cancelled (a restore does not revive join links).
    let mut compared = 0;
    for (table, rows_before) in &before {
        let mut rows_before = rows_before.as_array().unwrap().clone();
        let mut rows_after = rows(&after, table);
        match table.as_str() {
            "activity" => {
                let (new, old): (Vec<Value>, Vec<Value>) = rows_after.into_iter().partition(|r| {
                    r["action"] == "organization.deleted" || r["action"] == "organization.restored"
                });
                assert_eq!(new.len(), 2);
                rows_after = old;
            }
            // The deletion alerted the administrators (a record of it, like its entry).
            "alerts" => {
                assert!(rows_before.is_empty());
                assert!(rows_after.iter().all(|r| {
                    r["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("deleted the organization"))
                }));
                continue;
            }
            "activity_chains" => {
                let seq = |rows: &[Value]| rows[0]["seq"].as_i64().unwrap();
                assert_eq!(seq(&rows_after), seq(&rows_before) + 2);
                continue;
            }
            "invitations" => {
                for row in rows_before.iter_mut() {
                    assert_eq!(row["status"], "pending");
                    row["status"] = json!("cancelled");
                }
                for row in rows_after.iter_mut() {
                    assert!(row["cancelled_at"].is_string());
                    row["cancelled_at"] = Value::Null;
                }
            }
            "organizations" => {
                assert_eq!(rows_before[0]["pending_invitations"], 1);
                rows_before[0]["pending_invitations"] = json!(0);
            }
            _ => {}
        }
        assert_eq!(rows_after, rows_before, "rows of {table} after the restore");
        compared += rows_before.len();
    }
    for table in [
        "memberships",
        "api_keys",
        "billing_accounts",
        "credit_ledger",
    ] {
        assert!(
            !rows(&before, table).is_empty(),
            "{table} has rows to compare"
        );
    }
    println!(
        "restore: {compared} rows of {} tables compared, all equal",
        before.len()
    );

    // Back in use: pages, keys, the switcher.
    assert_eq!(
        acme.dev.get("/orgs/acme/members").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        report(&acme.app, &acme.key, usage()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(location(&acme.dev.get("/").await), "/orgs/acme");
    // The cancelled invitation stays cancelled.
    assert_eq!(
        acme.app.client().get(&acme.join).await.status(),
        StatusCode::GONE
    );
    let mail = acme.app.mail_with_subject(DEV, "Acme was restored").await;
    assert!(mail.text.contains("Ada Admin restored Acme"));
}

#[actix_web::test]
async fn only_the_deleter_may_restore_and_only_within_the_window() {
    let acme = acme().await;
    let bob = acme
        .app
        .member_with_role(&acme.slug, "Bob Admin", Role::Administrator)
        .await;
    let nobody = acme.app.signed_up("Nobody").await;
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);
    let path = "/orgs/acme/restore";
    let before = rows_of(&acme.app, acme.org_id);

    for client in [&bob, &acme.dev, &acme.pat, &nobody] {
        assert_eq!(client.get(path).await.status(), StatusCode::NOT_FOUND);
        let response = client.post_form(path, &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    // Bob's home page does not offer it.
    assert!(
        !bob.get_text("/orgs/new")
            .await
            .contains("Deleted organizations")
    );
    let anonymous = acme.app.client();
    assert!(location(&anonymous.get(path).await).starts_with("/login"));
    assert_eq!(rows_of(&acme.app, acme.org_id), before);
    assert!(acme.deleted_at().is_some());

    // Past the window: refused with the reason, and no longer listed.
    acme.app.clock.advance(chrono::Duration::days(30));
    let response = acme.ada.post_form(path, &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = response.text().await.unwrap();
    assert!(page.contains("Acme can no longer be restored: the 30 days to restore it ended on"));
    assert_eq!(acme.ada.get(path).await.status(), StatusCode::CONFLICT);
    assert_eq!(location(&acme.ada.get("/").await), "/orgs/new");
    assert_eq!(rows_of(&acme.app, acme.org_id), before);
    assert!(acme.deleted_at().is_some());
}

#[actix_web::test]
async fn the_account_page_offers_restore_to_the_deleter_only() {
    let acme = acme().await;
    let account = acme.ada.get_text("/account").await;
    assert!(account.contains("href=\"/orgs/acme\"") && !account.contains("Deleted organizations"));
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);

    let account = acme.ada.get_text("/account").await;
    assert!(account.contains("Deleted organizations"), "{account}");
    assert!(account.contains("href=\"/orgs/acme/restore\""));
    assert!(
        !account.contains("href=\"/orgs/acme\""),
        "no longer listed as a membership"
    );
    let dev = acme.dev.get_text("/account").await;
    assert!(!dev.contains("Deleted organizations") && !dev.contains("href=\"/orgs/acme"));
}
