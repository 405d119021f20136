//! Races run against the operations directly (no HTTP, no password hashing). In every
//! trial a test connection holds the contested lock while the operations queue behind
//! it, one after the other, so each trial really overlaps and the order is known
//! (SECURITY.md T6, R39).

use std::thread;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use teamwork::domain::activity::Actor;
use teamwork::domain::{KeyName, ProjectName, Role};
use teamwork::ops::{self, OpError, api_keys::Overlap};
use uuid::Uuid;

use crate::helpers::TestDb;

/// An organization whose members are all administrators; returns it and them.
pub(crate) fn org_of_admins(db: &TestDb, name: &str, admins: usize) -> (Uuid, Vec<Actor>) {
    let mut conn = db.conn();
    let org_id = Uuid::now_v7();
    diesel::sql_query("INSERT INTO organizations (id, name, slug) VALUES ($1, $2, $2)")
        .bind::<SqlUuid, _>(org_id)
        .bind::<Text, _>(name)
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("INSERT INTO billing_accounts (org_id) VALUES ($1)")
        .bind::<SqlUuid, _>(org_id)
        .execute(&mut conn)
        .unwrap();
    let actors = (0..admins)
        .map(|i| {
            let id = Uuid::now_v7();
            let person = format!("{name}-admin-{i}");
            diesel::sql_query(
                "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2 || '@x.test', $2, '-')",
            )
            .bind::<SqlUuid, _>(id)
            .bind::<Text, _>(&person)
            .execute(&mut conn)
            .unwrap();
            diesel::sql_query(
                "INSERT INTO memberships (id, org_id, user_id, role) VALUES (gen_random_uuid(), $1, $2, 'administrator')",
            )
            .bind::<SqlUuid, _>(org_id)
            .bind::<SqlUuid, _>(id)
            .execute(&mut conn)
            .unwrap();
            crate::helpers::recount(&mut conn, org_id);
            Actor {
                user_id: id,
                name: person,
                ip: Some("127.0.0.1".into()),
                user_agent: None,
                admin_key: None,
                scim: None,
            }
        })
        .collect();
    (org_id, actors)
}

/// A transaction holding `lock_sql` (which names one row) until `release`.
struct Holder(PgConnection);

impl Holder {
    fn take(db: &TestDb, lock_sql: &str, id: Uuid) -> Holder {
        let mut conn = db.conn();
        conn.batch_execute("BEGIN").unwrap();
        diesel::sql_query(lock_sql)
            .bind::<SqlUuid, _>(id)
            .execute(&mut conn)
            .unwrap();
        Holder(conn)
    }

    fn release(mut self) {
        self.0.batch_execute("COMMIT").unwrap();
    }
}

/// Waits until `n` sessions of the test database wait for a lock (at most 3 s: code
/// that takes no lock never queues, and the assertions then tell what it did).
fn wait_for_waiters(db: &TestDb, n: i64) -> bool {
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = db.conn();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        let waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result::<Waiting>(&mut conn)
        .unwrap()
        .n;
        if waiting >= n {
            return true;
        }
        thread::sleep(Duration::from_millis(2));
    }
    false
}

const ORG_LOCK: &str = "SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE";

/// Runs `first` then `second` queued behind the organization lock, in that order.
/// Removes `target` without rotating any key (the plain removal).
pub(crate) fn remove(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    target: Uuid,
) -> Result<teamwork::models::member_list::MemberRow, OpError> {
    let ctx = teamwork::mail::Context {
        base_url: "http://127.0.0.1".into(),
        now: chrono::Utc::now(),
        unverified_sends_per_day: 10,
    };
    let plan = ops::members::RemovalPlan::keep_keys();
    ops::members::remove_member(conn, org_id, actor, target, &plan, &ctx).map(|r| r.row)
}

pub(crate) fn queued<A, B>(
    db: &TestDb,
    org_id: Uuid,
    first: impl FnOnce(&mut PgConnection) -> A + Send + 'static,
    second: impl FnOnce(&mut PgConnection) -> B + Send + 'static,
) -> (A, B)
where
    A: Send + 'static,
    B: Send + 'static,
{
    let holder = Holder::take(db, ORG_LOCK, org_id);
    let (url_a, url_b) = (db.url(), db.url());
    let a = thread::spawn(move || first(&mut PgConnection::establish(&url_a).unwrap()));
    wait_for_waiters(db, 1);
    let b = thread::spawn(move || second(&mut PgConnection::establish(&url_b).unwrap()));
    wait_for_waiters(db, 2);
    holder.release();
    (a.join().unwrap(), b.join().unwrap())
}

fn is_stale_refusal<T>(result: &Result<T, OpError>) -> bool {
    matches!(result, Err(OpError::Refused(message)) if message.contains("can no longer do this"))
}

/// Entries written by `actor` in the organization.
fn entries_by(db: &TestDb, org_id: Uuid, actor: Uuid) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT count(*) AS n FROM activity WHERE org_id = $1 AND actor_id = $2")
        .bind::<SqlUuid, _>(org_id)
        .bind::<SqlUuid, _>(actor)
        .get_result::<N>(&mut db.conn())
        .unwrap()
        .n
}

fn role_of(db: &TestDb, org_id: Uuid, user_id: Uuid) -> Option<String> {
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = Text)]
        role: String,
    }
    diesel::sql_query("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind::<SqlUuid, _>(org_id)
        .bind::<SqlUuid, _>(user_id)
        .get_result::<R>(&mut db.conn())
        .optional()
        .unwrap()
        .map(|r| r.role)
}

/// Issue: A1 removes A2 while A2 removes A3. Before the actor was re-read under the
/// lock, A2's removal of A3 committed after A2 had been removed.
#[test]
fn an_administrator_removed_a_moment_ago_cannot_remove_anyone() {
    let db = TestDb::new();
    const TRIALS: usize = 50;
    let mut stale_actions = 0;
    for trial in 0..TRIALS {
        let (org, admins) = org_of_admins(&db, &format!("remove-{trial}"), 3);
        let (a1, a2, a3) = (admins[0].clone(), admins[1].clone(), admins[2].clone());
        let (a2_id, a3_id) = (a2.user_id, a3.user_id);
        let (first, second) = queued(
            &db,
            org,
            move |c| remove(c, org, &a1, a2_id),
            move |c| remove(c, org, &a2, a3_id),
        );
        assert!(first.is_ok(), "{:?}", first.err());
        assert!(is_stale_refusal(&second), "{:?}", second.err());
        stale_actions += entries_by(&db, org, a2_id);
        assert!(role_of(&db, org, a3_id).is_some(), "A3 is still a member");
    }
    println!("stale removals: {stale_actions} actions by removed actors in {TRIALS} races");
    assert_eq!(stale_actions, 0);
}

/// Issue: a just-demoted administrator demoted another one.
#[test]
fn an_administrator_demoted_a_moment_ago_cannot_change_roles() {
    let db = TestDb::new();
    const TRIALS: usize = 50;
    let mut stale_actions = 0;
    for trial in 0..TRIALS {
        let (org, admins) = org_of_admins(&db, &format!("demote-{trial}"), 3);
        let (a1, a2, a3) = (admins[0].clone(), admins[1].clone(), admins[2].clone());
        let (a2_id, a3_id) = (a2.user_id, a3.user_id);
        let (first, second) = queued(
            &db,
            org,
            move |c| ops::members::change_role(c, org, &a1, a2_id, Role::Viewer),
            move |c| ops::members::change_role(c, org, &a2, a3_id, Role::Viewer),
        );
        assert!(first.is_ok(), "{:?}", first.err());
        assert!(is_stale_refusal(&second), "{:?}", second.err());
        stale_actions += entries_by(&db, org, a2_id);
        assert_eq!(role_of(&db, org, a3_id).as_deref(), Some("administrator"));
    }
    println!("stale role changes: {stale_actions} actions by demoted actors in {TRIALS} races");
    assert_eq!(stale_actions, 0);
}

/// SECURITY.md T6: two administrators demote each other at the same instant; exactly
/// one wins and the organization keeps an administrator.
#[test]
fn administrators_demoting_each_other_at_once_never_leave_an_org_without_one() {
    let db = TestDb::new();
    const TRIALS: usize = 100;
    let mut refusals = 0;
    for trial in 0..TRIALS {
        let (org, admins) = org_of_admins(&db, &format!("mutual-{trial}"), 2);
        let (ada, bob) = (admins[0].clone(), admins[1].clone());
        let (ada_id, bob_id) = (ada.user_id, bob.user_id);
        let (first, second) = queued(
            &db,
            org,
            move |c| ops::members::change_role(c, org, &ada, bob_id, Role::Viewer),
            move |c| ops::members::change_role(c, org, &bob, ada_id, Role::Viewer),
        );
        assert!(first.is_ok());
        assert!(second.is_err());
        refusals += 1;
        assert_eq!(role_of(&db, org, ada_id).as_deref(), Some("administrator"));
    }
    println!(
        "mutual demotions: {TRIALS} organizations, {refusals} refused, 0 without an administrator"
    );
}

#[test]
fn administrators_removing_each_other_at_once_leave_one() {
    let db = TestDb::new();
    for trial in 0..20 {
        let (org, admins) = org_of_admins(&db, &format!("mutual-removal-{trial}"), 2);
        let (ada, bob) = (admins[0].clone(), admins[1].clone());
        let (ada_id, bob_id) = (ada.user_id, bob.user_id);
        let (first, second) = queued(
            &db,
            org,
            move |c| remove(c, org, &ada, bob_id),
            move |c| remove(c, org, &bob, ada_id),
        );
        assert!(first.is_ok() && second.is_err());
        assert_eq!(role_of(&db, org, ada_id).as_deref(), Some("administrator"));
        assert_eq!(role_of(&db, org, bob_id), None);
    }
}

/// Issue: 10 parallel rotations of one key made two working replacements. The old key's
/// row is locked by the rotation, so one rotation wins and the others are refused.
#[test]
fn concurrent_rotations_of_one_key_make_one_replacement() {
    let db = TestDb::new();
    let (org, admins) = org_of_admins(&db, "keys", 1);
    let admin = admins[0].clone();
    let mut conn = db.conn();
    let project = ops::projects::create(
        &mut conn,
        org,
        &admin,
        &ProjectName::parse("Apollo").unwrap(),
    )
    .unwrap();
    let key = ops::api_keys::create(
        &mut conn,
        org,
        &admin,
        project.id,
        &KeyName::parse("gateway").unwrap(),
    )
    .unwrap()
    .key;
    const ROTATIONS: i64 = 10;
    let holder = Holder::take(
        &db,
        "SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE",
        key.id,
    );
    let threads: Vec<_> = (0..ROTATIONS)
        .map(|_| {
            let (url, admin) = (db.url(), admin.clone());
            let (project_id, key_id) = (project.id, key.id);
            thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let now = chrono::Utc::now();
                ops::api_keys::rotate(
                    &mut conn,
                    org,
                    &admin,
                    project_id,
                    key_id,
                    Overlap::OneDay,
                    now,
                )
                .map(|rotated| rotated.new.key.id)
            })
        })
        .collect();
    let all_queued = wait_for_waiters(&db, ROTATIONS);
    holder.release();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let rotated = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(OpError::Refused(_))))
        .count();
    println!(
        "key rotation race: {ROTATIONS} at once (all queued: {all_queued}), {rotated} rotated, {refused} refused"
    );
    assert_eq!(rotated, 1);
    assert_eq!(refused as i64, ROTATIONS - 1);
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let keys = diesel::sql_query("SELECT count(*) AS n FROM api_keys WHERE project_id = $1")
        .bind::<SqlUuid, _>(project.id)
        .get_result::<N>(&mut conn)
        .unwrap()
        .n;
    assert_eq!(keys, 2, "the old key and one replacement");
    let entries = diesel::sql_query(
        "SELECT count(*) AS n FROM activity WHERE org_id = $1 AND action = 'api_key.rotated'",
    )
    .bind::<SqlUuid, _>(org)
    .get_result::<N>(&mut conn)
    .unwrap()
    .n;
    assert_eq!(entries, 1);
}
