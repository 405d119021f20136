//! The devices each account signed in from, by fingerprint only (`known_devices`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::known_devices;

/// What [`remember`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The account's first sign-in since devices were kept: nothing to compare with.
    FirstDevice,
    /// Signed in from this device before.
    Known,
    /// The account has other devices, and this one is new.
    New,
}

/// Records a sign-in from the device `fingerprint` and says whether it is new. One
/// upsert: `xmax = 0` is true only for a row this statement inserted.
pub fn remember(
    conn: &mut PgConnection,
    user_id: Uuid,
    fingerprint: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Seen> {
    let others: i64 = known_devices::table
        .filter(known_devices::user_id.eq(user_id))
        .filter(known_devices::fingerprint.ne(fingerprint))
        .count()
        .get_result(conn)?;
    let inserted: bool = diesel::insert_into(known_devices::table)
        .values((
            known_devices::user_id.eq(user_id),
            known_devices::fingerprint.eq(fingerprint),
            known_devices::first_seen_at.eq(now),
            known_devices::last_seen_at.eq(now),
        ))
        .on_conflict((known_devices::user_id, known_devices::fingerprint))
        .do_update()
        .set(known_devices::last_seen_at.eq(now))
        .returning(diesel::dsl::sql::<diesel::sql_types::Bool>("xmax = 0"))
        .get_result(conn)?;
    Ok(match (inserted, others) {
        (false, _) => Seen::Known,
        (true, 0) => Seen::FirstDevice,
        (true, _) => Seen::New,
    })
}
