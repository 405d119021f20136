//! Admin API writes remembered by `Idempotency-Key` for 24 hours (R44).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::admin_api_requests as requests;

/// How long a key's first response is replayed.
pub const KEPT_HOURS: i64 = 24;

#[derive(Debug, Clone, Queryable)]
pub struct Remembered {
    pub request_hash: Vec<u8>,
    pub status: i16,
    pub body: String,
}

/// Claims `(key_id, idempotency_key)` for this transaction. True when it is ours: the
/// caller runs the write and [`store`]s its response before committing. False when a
/// response is stored already; a concurrent claimer waits here until the first commits
/// (or rolls back, and then this one claims it). A claim older than 24 hours is dropped
/// first: the key can be used again.
pub fn claim(
    conn: &mut PgConnection,
    key_id: Uuid,
    idempotency_key: &str,
    request_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::delete(
        requests::table
            .filter(requests::key_id.eq(key_id))
            .filter(requests::idempotency_key.eq(idempotency_key))
            .filter(requests::created_at.lt(now - Duration::hours(KEPT_HOURS))),
    )
    .execute(conn)?;
    diesel::insert_into(requests::table)
        .values((
            requests::key_id.eq(key_id),
            requests::idempotency_key.eq(idempotency_key),
            requests::request_hash.eq(request_hash),
            requests::status.eq(0i16),
            requests::body.eq(""),
            requests::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|n| n == 1)
}

pub fn find(
    conn: &mut PgConnection,
    key_id: Uuid,
    idempotency_key: &str,
) -> QueryResult<Option<Remembered>> {
    requests::table
        .filter(requests::key_id.eq(key_id))
        .filter(requests::idempotency_key.eq(idempotency_key))
        .select((requests::request_hash, requests::status, requests::body))
        .first(conn)
        .optional()
}

pub fn store(
    conn: &mut PgConnection,
    key_id: Uuid,
    idempotency_key: &str,
    status: i16,
    body: &str,
) -> QueryResult<()> {
    diesel::update(
        requests::table
            .filter(requests::key_id.eq(key_id))
            .filter(requests::idempotency_key.eq(idempotency_key)),
    )
    .set((requests::status.eq(status), requests::body.eq(body)))
    .execute(conn)
    .map(drop)
}

pub fn delete_before(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(requests::table.filter(requests::created_at.lt(cutoff))).execute(conn)
}
