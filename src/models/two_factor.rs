//! Two-factor sign-in: each account's sealed TOTP secret, its recovery codes, and the
//! organizations' "Require two-factor authentication".

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{
    memberships, organizations, project_members, recovery_codes, two_factor_secrets,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = two_factor_secrets)]
pub struct TwoFactorSecret {
    pub user_id: Uuid,
    /// Sealed with `SECRETS_KEY` (see `domain::sealed`), bound to the user id.
    pub secret_encrypted: Vec<u8>,
    /// `None`: set up but not confirmed, so not active.
    pub enabled_at: Option<DateTime<Utc>>,
    pub last_used_step: Option<i64>,
}

pub fn find(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Option<TwoFactorSecret>> {
    two_factor_secrets::table
        .find(user_id)
        .select(TwoFactorSecret::as_select())
        .first(conn)
        .optional()
}

/// Whether the account signs in with a second factor (a confirmed setup).
pub fn is_enabled(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        two_factor_secrets::table
            .filter(two_factor_secrets::user_id.eq(user_id))
            .filter(two_factor_secrets::enabled_at.is_not_null()),
    ))
    .get_result(conn)
}

/// Starts (or restarts) a setup with a new sealed secret, not active until [`enable`].
/// Returns false, changing nothing, when two-factor sign-in is already on.
pub fn put_pending(conn: &mut PgConnection, user_id: Uuid, sealed: &[u8]) -> QueryResult<bool> {
    use diesel::sql_types::{Bytea, Uuid as SqlUuid};
    diesel::sql_query(
        "INSERT INTO two_factor_secrets AS t (user_id, secret_encrypted) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET secret_encrypted = excluded.secret_encrypted, \
           last_used_step = NULL, created_at = now() \
         WHERE t.enabled_at IS NULL",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Bytea, _>(sealed)
    .execute(conn)
    .map(|n| n == 1)
}

/// Activates a pending setup; false when there is none (already on, or never started).
pub fn enable(conn: &mut PgConnection, user_id: Uuid, at: DateTime<Utc>) -> QueryResult<bool> {
    diesel::update(
        two_factor_secrets::table
            .find(user_id)
            .filter(two_factor_secrets::enabled_at.is_null()),
    )
    .set(two_factor_secrets::enabled_at.eq(at))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records that the code of `step` was used. False when that step or a later one was
/// used already: one conditional update, so two requests with one code cannot both pass.
pub fn use_step(conn: &mut PgConnection, user_id: Uuid, step: i64) -> QueryResult<bool> {
    diesel::update(
        two_factor_secrets::table.find(user_id).filter(
            two_factor_secrets::last_used_step
                .is_null()
                .or(two_factor_secrets::last_used_step.lt(step)),
        ),
    )
    .set(two_factor_secrets::last_used_step.eq(step))
    .execute(conn)
    .map(|n| n == 1)
}

/// Turns two-factor sign-in off: the secret and every recovery code go.
pub fn delete(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(two_factor_secrets::table.find(user_id))
        .execute(conn)
        .map(drop)
}

/// Replaces the account's recovery codes with these hashes.
pub fn replace_recovery_codes(
    conn: &mut PgConnection,
    user_id: Uuid,
    hashes: &[Vec<u8>],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|hash| {
            (
                recovery_codes::id.eq(Uuid::now_v7()),
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
            )
        })
        .collect();
    diesel::insert_into(recovery_codes::table)
        .values(rows)
        .execute(conn)
        .map(drop)
}

/// Uses one recovery code: true once per code (a conditional update).
pub fn use_recovery_code(
    conn: &mut PgConnection,
    user_id: Uuid,
    hash: &[u8],
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(at))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn recovery_codes_left(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// The live organizations the account belongs to (as a member or with project-only
/// access), in id order: entries written in all of them take their chains in one order.
/// A deleted organization's log stays as it was, for its restore.
pub fn org_ids_of_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<Uuid>> {
    let member_of = memberships::table
        .filter(memberships::user_id.eq(user_id))
        .select(memberships::org_id);
    let project_of = project_members::table
        .filter(project_members::user_id.eq(user_id))
        .select(project_members::org_id);
    organizations::table
        .filter(
            organizations::id
                .eq_any(member_of)
                .or(organizations::id.eq_any(project_of)),
        )
        .filter(organizations::deleted_at.is_null())
        .select(organizations::id)
        .order(organizations::id)
        .load(conn)
}

pub fn set_org_requirement(
    conn: &mut PgConnection,
    org_id: Uuid,
    required: bool,
) -> QueryResult<()> {
    diesel::update(organizations::table.find(org_id))
        .set((
            organizations::require_two_factor.eq(required),
            organizations::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(drop)
}
