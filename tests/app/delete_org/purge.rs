//! The purge after the window, the append-only rule it does not lift, and deletions
//! racing invitations on the organization lock.

use std::collections::BTreeMap;

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::domain::Role;
use uuid::Uuid;

use super::{acme, rows_of};
use crate::helpers::TestApp;

/// Moves the organization's deletion `days` into the past, as time would. Only a
/// superuser can (with triggers off for the statement): the stamp trigger keeps the
/// app's role from backdating a deletion.
fn deleted_days_ago(app: &TestApp, org_id: Uuid, days: i32) {
    app.conn()
        .transaction::<_, diesel::result::Error, _>(|conn| {
            diesel::sql_query("SET LOCAL session_replication_role = replica").execute(conn)?;
            diesel::sql_query(
                "UPDATE organizations SET deleted_at = now() - make_interval(days => $2) \
                 WHERE id = $1",
            )
            .bind::<diesel::sql_types::Uuid, _>(org_id)
            .bind::<diesel::sql_types::Integer, _>(days)
            .execute(conn)
        })
        .unwrap();
}

fn count_rows(app: &TestApp, org_id: Uuid) -> BTreeMap<String, usize> {
    rows_of(app, org_id)
        .into_iter()
        .map(|(table, rows)| (table, rows.as_array().unwrap().len()))
        .collect()
}

fn purge(app: &TestApp) -> usize {
    teamwork::ops::maintenance::purge_deleted_orgs(&mut app.conn()).unwrap()
}

#[actix_web::test]
async fn the_purge_drops_a_deleted_organization_after_the_window_and_nothing_else() {
    let acme = acme().await;
    let app = &acme.app;
    let other_slug = acme.ada.create_org("Other").await;
    let other = app.org_id(&other_slug);
    acme.ada
        .post_form(&format!("/orgs/{other_slug}/projects"), &[("name", "Kept")])
        .await;
    let other_before = rows_of(app, other);
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);
    app.mail_settled().await;

    // Within the window nothing goes.
    let kept = count_rows(app, acme.org_id);
    deleted_days_ago(app, acme.org_id, 29);
    assert_eq!(purge(app), 0);
    assert_eq!(count_rows(app, acme.org_id), kept);

    deleted_days_ago(app, acme.org_id, 31);
    assert_eq!(purge(app), 1);
    let left = count_rows(app, acme.org_id);
    assert!(left.values().all(|n| *n == 0), "rows left: {left:?}");
    assert!(kept["activity"] > 0 && kept["credit_ledger"] > 0 && kept["usage_events"] > 0);
    assert_eq!(rows_of(app, other), other_before, "the other organization");
    // The emails stay, no longer linked to it; the slug is free again.
    assert!(app.count_where("outbox", "subject = 'Acme was deleted'") >= 3);
    assert_eq!(acme.dev.create_org("Acme").await, "acme");
    assert_eq!(purge(app), 0);
    println!("purge: {kept:?} rows dropped, the other organization untouched");
}

/// Runs `statements` as the app's database role, in a transaction rolled back after.
fn try_sql(app: &TestApp, statements: &[String]) -> Result<(), String> {
    let result = app
        .conn()
        .transaction::<(), diesel::result::Error, _>(|conn| {
            for sql in statements {
                diesel::sql_query(sql).execute(conn)?;
            }
            Err(diesel::result::Error::RollbackTransaction)
        });
    match result {
        Err(diesel::result::Error::RollbackTransaction) | Ok(()) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[actix_web::test]
async fn the_activity_log_and_ledger_stay_append_only_outside_the_purge() {
    let acme = acme().await;
    let app = &acme.app;
    let org = acme.org_id;
    let refused = |statements: &[String]| {
        let result = try_sql(app, statements);
        assert!(
            result.as_ref().is_err_and(|e| e.contains("append-only")),
            "{statements:?} was not refused: {result:?}"
        );
    };
    let activity = app.count("activity");
    refused(&["DELETE FROM activity".into()]);
    refused(&["DELETE FROM credit_ledger".into()]);
    refused(&["TRUNCATE activity".into()]);

    // A deletion cannot be backdated to make an organization purgeable early: a new one
    // is stamped with the database's clock, an existing one's time cannot change.
    let backdated = |org: Uuid| {
        vec![
            format!("UPDATE organizations SET deleted_at = '2000-01-01' WHERE id = '{org}'"),
            format!("SELECT set_config('teamwork.purging', '{org}', true)"),
            format!("DELETE FROM activity WHERE org_id = '{org}'"),
        ]
    };
    refused(&backdated(org));
    assert_eq!(acme.delete().await.status(), StatusCode::SEE_OTHER);
    let result = try_sql(app, &backdated(org)[..1]);
    assert!(
        result
            .as_ref()
            .is_err_and(|e| e.contains("the time of a deletion cannot change")),
        "{result:?}"
    );

    // Deleted and past the window, still not by a plain DELETE, nor by setting the
    // purge's marker for a live organization.
    deleted_days_ago(app, org, 31);
    refused(&[format!("DELETE FROM activity WHERE org_id = '{org}'")]);
    let other = app.org_id(&acme.dev.create_org("Other").await);
    refused(&[
        format!("SELECT set_config('teamwork.purging', '{other}', true)"),
        format!("DELETE FROM activity WHERE org_id = '{other}'"),
    ]);
    // The purge function refuses a live organization and deletes nothing.
    #[derive(QueryableByName)]
    struct Purged {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        purged: bool,
    }
    let purged = diesel::sql_query("SELECT purge_organization($1) AS purged")
        .bind::<diesel::sql_types::Uuid, _>(other)
        .get_result::<Purged>(&mut app.conn())
        .unwrap();
    assert!(!purged.purged);
    assert!(app.count("activity") > activity);
}

/// The mail context of the operations, for the races below.
fn ctx() -> teamwork::mail::Context {
    teamwork::mail::Context {
        base_url: "http://console.test".into(),
        now: chrono::Utc::now(),
        unverified_sends_per_day: 10,
    }
}

fn pending_invitations(db: &crate::helpers::TestDb, org_id: Uuid) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM invitations WHERE org_id = $1 AND status = 'pending'",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .get_result::<N>(&mut db.conn())
    .unwrap()
    .n
}

/// An invitation queued behind a deletion on the organization lock, or a deletion
/// queued behind an invitation: either way no pending invitation outlives the deletion.
#[test]
fn no_invitation_survives_a_deletion_it_raced() {
    use teamwork::domain::invite::Entry;
    use teamwork::ops::invitations::Grant;
    let db = crate::helpers::TestDb::new();
    const TRIALS: usize = 10;
    let (mut refused, mut cancelled) = (0, 0);
    for trial in 0..TRIALS {
        for invite_first in [false, true] {
            let name = format!("race-{trial}-{invite_first}");
            let (org_id, admins) = crate::ops_races::org_of_admins(&db, &name, 2);
            let (deleter, inviter) = (admins[0].clone(), admins[1].clone());
            let delete = move |conn: &mut PgConnection| {
                teamwork::ops::org_deletion::delete(conn, org_id, &deleter, &name, &ctx())
            };
            let invite = move |conn: &mut PgConnection| {
                let to = teamwork::domain::EmailAddress::parse("someone@x.test").unwrap();
                teamwork::ops::invitations::send(
                    conn,
                    org_id,
                    &inviter,
                    &[Entry::Valid(to)],
                    Grant::Org(Role::Viewer),
                    &ctx(),
                )
            };
            if invite_first {
                let (sent, deleted) = crate::ops_races::queued(&db, org_id, invite, delete);
                assert!(sent.is_ok() && deleted.is_ok());
                cancelled += 1;
            } else {
                let (deleted, sent) = crate::ops_races::queued(&db, org_id, delete, invite);
                assert!(deleted.is_ok());
                assert!(matches!(sent, Err(teamwork::ops::OpError::NotFound)));
                refused += 1;
            }
            assert_eq!(pending_invitations(&db, org_id), 0);
        }
    }
    println!(
        "invitation vs deletion, {TRIALS} trials each order: {refused} invitations refused \
         behind the deletion, {cancelled} cancelled by it, 0 pending left"
    );
}
