//! The membership rules, checked on the operations themselves (no HTTP): each refusal
//! is an `OpError::Refused` and writes nothing, not even an activity entry.

use teamwork::domain::Role;
use teamwork::domain::activity::Actor;
use teamwork::ops::{self, OpError};

use crate::helpers::TestDb;
use crate::ops_races::{org_of_admins, remove};

fn entries(db: &TestDb) -> i64 {
    use diesel::prelude::*;
    teamwork::schema::activity::table
        .count()
        .get_result(&mut db.conn())
        .unwrap()
}

fn refused<T: std::fmt::Debug>(result: Result<T, OpError>, says: &str) {
    match result {
        Err(OpError::Refused(message)) => assert!(message.contains(says), "{message}"),
        other => panic!("expected a refusal saying {says:?}, got {other:?}"),
    }
}

#[test]
fn the_last_administrator_cannot_be_demoted_removed_or_leave() {
    let db = TestDb::new();
    let (org, admins) = org_of_admins(&db, "alone", 2);
    let (ada, bob) = (&admins[0], &admins[1]);
    let mut conn = db.conn();
    remove(&mut conn, org, ada, bob.user_id).unwrap();
    let before = entries(&db);
    refused(
        ops::members::leave(&mut conn, org, ada),
        "at least one administrator",
    );
    let someone = Actor {
        user_id: uuid::Uuid::now_v7(),
        ..ada.clone()
    };
    // A stranger cannot act at all: not a member, so the re-check refuses.
    refused(
        ops::members::change_role(&mut conn, org, &someone, ada.user_id, Role::Viewer),
        "can no longer do this",
    );
    refused(
        ops::members::change_role(&mut conn, org, ada, ada.user_id, Role::Viewer),
        "your own role",
    );
    refused(
        remove(&mut conn, org, ada, ada.user_id),
        "Leave organization",
    );
    assert_eq!(entries(&db), before, "refusals write no entry");
}

#[test]
fn a_role_change_to_the_same_role_changes_and_logs_nothing() {
    let db = TestDb::new();
    let (org, admins) = org_of_admins(&db, "same", 2);
    let mut conn = db.conn();
    let before = entries(&db);
    let (row, counts) = ops::members::change_role(
        &mut conn,
        org,
        &admins[0],
        admins[1].user_id,
        Role::Administrator,
    )
    .unwrap();
    assert_eq!(row.role, Role::Administrator);
    assert_eq!(counts.of(Role::Administrator), 2);
    assert_eq!(entries(&db), before);
}

#[test]
fn a_viewer_cannot_use_an_administrators_operation() {
    let db = TestDb::new();
    let (org, admins) = org_of_admins(&db, "viewer", 3);
    let mut conn = db.conn();
    ops::members::change_role(&mut conn, org, &admins[0], admins[1].user_id, Role::Viewer).unwrap();
    let before = entries(&db);
    // The page would have refused with 403; the operation refuses on its own too.
    refused(
        remove(&mut conn, org, &admins[1], admins[2].user_id),
        "can no longer do this",
    );
    assert_eq!(entries(&db), before);
}
