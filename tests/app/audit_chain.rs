//! The activity hash chain: one gapless chain under concurrent writers, and `verify`
//! naming the first broken entry whatever a superuser rewrote behind the trigger.

use std::thread;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use teamwork::domain::Role;
use teamwork::domain::activity::{Actor, Event, Person};
use teamwork::models::activity;
use teamwork::models::activity_chain::{self, ChainPoint, Verification};
use uuid::Uuid;

use crate::helpers::TestDb;

fn new_org(conn: &mut PgConnection, slug: &str) -> Uuid {
    let org_id = Uuid::now_v7();
    diesel::sql_query("INSERT INTO organizations (id, name, slug) VALUES ($1, $2, $2)")
        .bind::<SqlUuid, _>(org_id)
        .bind::<Text, _>(slug)
        .execute(conn)
        .unwrap();
    org_id
}

fn actor(name: &str) -> Actor {
    Actor {
        user_id: Uuid::now_v7(),
        name: name.into(),
        ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0 (test)".into()),
        admin_key: None,
        scim: None,
    }
}

fn removal(n: usize) -> Event {
    Event::MemberRemoved {
        member: Person {
            id: Uuid::now_v7(),
            name: format!("Member {n}"),
        },
        role: Role::Developer,
        email: format!("member{n}@x.test"),
    }
}

fn verify(conn: &mut PgConnection, org_id: Uuid) -> Verification {
    activity_chain::verify(conn, org_id, ChainPoint::genesis()).unwrap()
}

fn broken_at(conn: &mut PgConnection, org_id: Uuid) -> (i64, &'static str) {
    match verify(conn, org_id) {
        Verification::Broken(b) => (b.seq, b.reason),
        Verification::Intact(at) => {
            panic!("expected a break, the chain verifies up to #{}", at.seq)
        }
    }
}

/// An organization with ten entries, each with an IP address, a user agent and an email.
fn org_with_ten_entries(db: &TestDb) -> (PgConnection, Uuid) {
    let mut conn = db.conn();
    let org_id = new_org(&mut conn, "tamper");
    let who = actor("Ada");
    for n in 1..=10 {
        activity::record(&mut conn, org_id, &who, &removal(n)).unwrap();
    }
    assert_eq!(verify(&mut conn, org_id), intact(&mut conn, org_id, 10));
    (conn, org_id)
}

fn intact(conn: &mut PgConnection, org_id: Uuid, seq: i64) -> Verification {
    let hash: Vec<u8> = activity_hash(conn, org_id, seq);
    Verification::Intact(ChainPoint { seq, hash })
}

fn activity_hash(conn: &mut PgConnection, org_id: Uuid, seq: i64) -> Vec<u8> {
    use teamwork::schema::activity::dsl as a;
    a::activity
        .filter(a::org_id.eq(org_id).and(a::seq.eq(seq)))
        .select(a::hash)
        .first(conn)
        .unwrap()
}

/// Runs `sql` with the append-only trigger bypassed, as only a superuser can.
fn as_superuser(conn: &mut PgConnection, sql: &str, org_id: Uuid) {
    conn.batch_execute("SET session_replication_role = replica")
        .unwrap();
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(org_id)
        .execute(conn)
        .unwrap();
    conn.batch_execute("SET session_replication_role = DEFAULT")
        .unwrap();
}

#[test]
fn eight_concurrent_writers_make_one_gapless_chain() {
    let db = TestDb::new();
    let org_id = new_org(&mut db.conn(), "busy");
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let url = db.url();
            thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let who = actor(&format!("Writer {w}"));
                for n in 0..500 {
                    conn.transaction(|c| activity::record(c, org_id, &who, &removal(n)))
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let mut conn = db.conn();
    let (count, distinct, max): (i64, i64, Option<i64>) = diesel::sql_query(
        "SELECT count(*) AS count, count(DISTINCT seq) AS distinct_seqs, max(seq) AS max_seq \
         FROM activity WHERE org_id = $1",
    )
    .bind::<SqlUuid, _>(org_id)
    .get_result::<Counts>(&mut conn)
    .map(|c| (c.count, c.distinct_seqs, c.max_seq))
    .unwrap();
    assert_eq!((count, distinct, max), (4000, 4000, Some(4000)));
    assert_eq!(verify(&mut conn, org_id), intact(&mut conn, org_id, 4000));
}

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = BigInt)]
    distinct_seqs: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    max_seq: Option<i64>,
}

#[test]
fn each_organization_has_its_own_chain() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let (a, b) = (new_org(&mut conn, "a"), new_org(&mut conn, "b"));
    for n in 0..3 {
        activity::record(&mut conn, a, &actor("Ada"), &removal(n)).unwrap();
        activity::record(&mut conn, b, &actor("Bob"), &removal(n)).unwrap();
    }
    assert_eq!(verify(&mut conn, a), intact(&mut conn, a, 3));
    assert_eq!(verify(&mut conn, b), intact(&mut conn, b, 3));
}

#[test]
fn an_entry_rewritten_behind_the_trigger_is_found() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    as_superuser(
        &mut conn,
        "UPDATE activity SET actor_name = 'Mallory' WHERE org_id = $1 AND seq = 4",
        org,
    );
    assert_eq!(broken_at(&mut conn, org), (4, "entry altered"));
}

#[test]
fn a_deleted_entry_is_found() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    as_superuser(
        &mut conn,
        "DELETE FROM activity WHERE org_id = $1 AND seq = 5",
        org,
    );
    assert_eq!(
        broken_at(&mut conn, org),
        (5, "entry missing or out of order")
    );
}

#[test]
fn entries_deleted_from_the_end_are_found() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    as_superuser(
        &mut conn,
        "DELETE FROM activity WHERE org_id = $1 AND seq > 8",
        org,
    );
    assert_eq!(
        broken_at(&mut conn, org),
        (9, "the chain ends before its recorded head")
    );
}

#[test]
fn two_reordered_entries_are_found() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    as_superuser(
        &mut conn,
        "UPDATE activity SET seq = CASE seq WHEN 3 THEN -6 ELSE -3 END \
         WHERE org_id = $1 AND seq IN (3, 6)",
        org,
    );
    as_superuser(
        &mut conn,
        "UPDATE activity SET seq = -seq WHERE org_id = $1 AND seq < 0",
        org,
    );
    assert_eq!(broken_at(&mut conn, org).0, 3);
}

#[test]
fn an_edited_digest_of_a_redacted_value_is_found() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    // Redaction itself is allowed by the trigger and keeps the chain valid.
    diesel::sql_query(
        "UPDATE activity SET ip = NULL, personal_salts = personal_salts - 'ip' \
         WHERE org_id = $1 AND seq = 7",
    )
    .bind::<SqlUuid, _>(org)
    .execute(&mut conn)
    .unwrap();
    assert_eq!(verify(&mut conn, org), intact(&mut conn, org, 10));
    as_superuser(
        &mut conn,
        "UPDATE activity SET personal_digests = jsonb_set(personal_digests, '{ip}', \
         to_jsonb(repeat('0', 64))) WHERE org_id = $1 AND seq = 7",
        org,
    );
    assert_eq!(broken_at(&mut conn, org), (7, "entry altered"));
}

#[test]
fn a_personal_value_swapped_under_its_digest_is_found() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    as_superuser(
        &mut conn,
        "UPDATE activity SET ip = '198.51.100.1' WHERE org_id = $1 AND seq = 2",
        org,
    );
    assert_eq!(broken_at(&mut conn, org), (2, "personal value altered"));
}

#[test]
fn the_trigger_refuses_every_change_but_blanking_personal_values() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    for refused in [
        "UPDATE activity SET actor_name = 'Mallory' WHERE org_id = $1 AND seq = 1",
        "UPDATE activity SET ip = '198.51.100.1' WHERE org_id = $1 AND seq = 1",
        "UPDATE activity SET ip = NULL, personal_digests = '{}' WHERE org_id = $1 AND seq = 1",
        "DELETE FROM activity WHERE org_id = $1 AND seq = 1",
    ] {
        let result = diesel::sql_query(refused)
            .bind::<SqlUuid, _>(org)
            .execute(&mut conn);
        assert!(result.is_err(), "{refused} was allowed");
    }
    diesel::sql_query(
        "UPDATE activity SET ip = NULL, user_agent = NULL, \
         personal_salts = personal_salts - 'ip' - 'user_agent' WHERE org_id = $1",
    )
    .bind::<SqlUuid, _>(org)
    .execute(&mut conn)
    .unwrap();
    assert_eq!(verify(&mut conn, org), intact(&mut conn, org, 10));
}

#[test]
fn the_migration_chains_existing_entries_in_id_order() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let migrations = MigrationSource::<Pg>::migrations(&teamwork::db::MIGRATIONS).unwrap();
    let chain = migrations
        .iter()
        .find(|m| m.name().to_string().ends_with("_activity_chain"))
        .expect("the chain migration");
    chain.revert(&mut conn).unwrap();
    let (a, b) = (new_org(&mut conn, "old-a"), new_org(&mut conn, "old-b"));
    // Entries as the earlier schema stored them, written out of id order.
    let ids: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    for (n, id) in ids.iter().enumerate().rev() {
        diesel::sql_query(
            "INSERT INTO activity (id, org_id, actor_name, action, target_type, target_label, \
             before, ip) VALUES ($1, $2, 'Ada', 'member.removed', 'member', 'Grace', \
             jsonb_build_object('email', 'g@x.test', 'role', 'viewer'), '203.0.113.1')",
        )
        .bind::<SqlUuid, _>(*id)
        .bind::<SqlUuid, _>(if n % 2 == 0 { a } else { b })
        .execute(&mut conn)
        .unwrap();
    }
    chain.run(&mut conn).unwrap();
    assert_eq!(verify(&mut conn, a), intact(&mut conn, a, 3));
    assert_eq!(verify(&mut conn, b), intact(&mut conn, b, 3));
    use teamwork::schema::activity::dsl as act;
    let order: Vec<Uuid> = act::activity
        .filter(act::org_id.eq(a))
        .order(act::seq)
        .select(act::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(order, vec![ids[0], ids[2], ids[4]]);
    // New entries continue the migrated chains.
    activity::record(&mut conn, a, &actor("Ada"), &removal(1)).unwrap();
    assert_eq!(verify(&mut conn, a), intact(&mut conn, a, 4));
}

/// `teamwork activity verify --org SLUG` against the test database: status and output.
fn verify_command(db: &TestDb, slug: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("teamwork-verify-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_teamwork"));
    for var in [
        "SMTP_URL",
        "SESSION_KEY",
        "BASE_URL",
        "APP_ENV",
        "METRICS_ADDR",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    let output = command
        .current_dir(&dir)
        .env("DATA_DIR", &dir)
        .env("DATABASE_URL", db.url())
        .args(["activity", "verify", "--org", slug])
        .output()
        .expect("run the teamwork binary");
    std::fs::remove_dir_all(&dir).ok();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn the_verify_command_exits_1_and_names_the_first_break() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    let (ok, out) = verify_command(&db, "tamper");
    assert!(ok, "{out}");
    assert!(
        out.contains("OK      tamper: 10 entries, head #10"),
        "{out}"
    );

    let stored = teamwork::domain::audit_chain::hex(&activity_hash(&mut conn, org, 4));
    as_superuser(
        &mut conn,
        "UPDATE activity SET target_label = 'Someone else' WHERE org_id = $1 AND seq = 4",
        org,
    );
    as_superuser(
        &mut conn,
        "UPDATE activity SET actor_name = 'Mallory' WHERE org_id = $1 AND seq = 8",
        org,
    );
    let (ok, out) = verify_command(&db, "tamper");
    assert!(!ok, "{out}");
    assert!(out.contains("BROKEN  tamper: #4: entry altered"), "{out}");
    assert!(out.contains(&format!("found    {stored}")), "{out}");
    assert!(!out.contains("#8"), "only the first break is named: {out}");

    let (ok, out) = verify_command(&db, "no-such-org");
    assert!(!ok && out.contains("no organization"), "{out}");
}

#[test]
fn a_log_rechained_from_scratch_verifies_but_not_against_its_signed_checkpoint() {
    let db = TestDb::new();
    let (mut conn, org) = org_with_ten_entries(&db);
    let key = ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]);
    let signed = teamwork::ops::audit::checkpoint(&mut conn, &key, chrono::Utc::now()).unwrap();
    assert_eq!(signed, 1);
    let again = teamwork::ops::audit::checkpoint(&mut conn, &key, chrono::Utc::now()).unwrap();
    assert_eq!(again, 0, "no new entry, no new checkpoint");
    assert_eq!(
        teamwork::ops::audit::check_checkpoints(&mut conn, org).unwrap(),
        None
    );

    // Someone with the database's own chaining function rewrites entry 3 and re-chains
    // everything after it: the chain is consistent again.
    conn.batch_execute(
        "SET session_replication_role = replica; \
         DO $$ DECLARE e activity; head_seq bigint := 0; \
                       head bytea := '\\x' || repeat('00', 32); \
         BEGIN FOR e IN SELECT * FROM activity ORDER BY seq LOOP \
           IF e.seq = 3 THEN e.actor_name := 'Mallory'; END IF; \
           e := activity_chain_entry(e, head_seq, head); \
           UPDATE activity SET actor_name = e.actor_name, hash = e.hash, prev_hash = e.prev_hash, \
             personal_digests = e.personal_digests, personal_salts = e.personal_salts WHERE id = e.id; \
           UPDATE activity_chains SET hash = e.hash WHERE org_id = e.org_id; \
           head_seq := e.seq; head := e.hash; END LOOP; END $$; \
         SET session_replication_role = DEFAULT",
    )
    .unwrap();
    assert!(matches!(verify(&mut conn, org), Verification::Intact(_)));
    let found = teamwork::ops::audit::check_checkpoints(&mut conn, org)
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.seq, found.reason),
        (10, "entry differs from its signed checkpoint")
    );
    let (ok, out) = verify_command(&db, "tamper");
    assert!(
        !ok && out.contains("#10: entry differs from its signed checkpoint"),
        "{out}"
    );
}
