use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::TokenHash;
use crate::schema::{sessions, users};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub state: Value,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A live (unexpired) session by the hash of its cookie key.
pub fn find_live(
    conn: &mut PgConnection,
    key: &TokenHash,
    now: DateTime<Utc>,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(&key.0)
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut PgConnection,
    key: &TokenHash,
    user_id: Option<Uuid>,
    state: &Value,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(&key.0),
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    if let Some(user_id) = user_id {
        diesel::update(users::table.find(user_id))
            .set(users::last_active_at.eq(now))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces the state of a live session; returns false when it has expired or gone.
pub fn update_state(
    conn: &mut PgConnection,
    key: &TokenHash,
    user_id: Option<Uuid>,
    state: &Value,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        sessions::table
            .find(&key.0)
            .filter(sessions::expires_at.gt(now)),
    )
    .set((sessions::user_id.eq(user_id), sessions::state.eq(state)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Marks the session (and its user, for "last active") as seen now.
pub fn touch(
    conn: &mut PgConnection,
    key: &TokenHash,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    let user_id: Option<Uuid> = diesel::update(sessions::table.find(&key.0))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .returning(sessions::user_id)
        .get_result(conn)
        .optional()?
        .flatten();
    if let Some(user_id) = user_id {
        diesel::update(users::table.find(user_id))
            .set(users::last_active_at.eq(now))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete(conn: &mut PgConnection, key: &TokenHash) -> QueryResult<()> {
    diesel::delete(sessions::table.find(&key.0))
        .execute(conn)
        .map(drop)
}

/// Ends every session of a user (password change, account compromise) (R19).
pub fn delete_all_for_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn delete_expired(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}
