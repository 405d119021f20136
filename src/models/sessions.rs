use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::TokenHash;
use crate::schema::{sessions, users};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: Uuid,
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

/// The opaque id and the device of a new session row.
pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub fn insert(
    conn: &mut PgConnection,
    key: &TokenHash,
    new: NewSession<'_>,
    user_id: Option<Uuid>,
    state: &Value,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(&key.0),
            sessions::id.eq(new.id),
            sessions::user_agent.eq(new.user_agent),
            sessions::ip.eq(new.ip),
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

/// A signed-in session as the account's Sessions page lists it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct AccountSession {
    pub id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The live sessions of an account, most recently seen first.
pub fn live_for_user(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Vec<AccountSession>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order((sessions::last_seen_at.desc(), sessions::created_at.desc()))
        .select(AccountSession::as_select())
        .load(conn)
}

/// Ends the session `id` if it belongs to `user_id`; false when there is no such session
/// of theirs (another account's session is never touched).
pub fn delete_of_user(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> QueryResult<bool> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .execute(conn)
    .map(|n| n == 1)
}

/// Ends every session of a user but `keep` (the one asking); returns how many ended.
pub fn delete_others_of_user(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Uuid,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep)),
    )
    .execute(conn)
}
