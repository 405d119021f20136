//! SCIM provisioning rows: the organization's token (`scim_tokens`, only its SHA-256),
//! the provider's users and groups (`scim_users`, `scim_groups`, `scim_group_members`),
//! the roles mapped to group names (`scim_group_roles`), and the memberships the
//! provider manages (`memberships.scim_managed`).

mod group_records;
mod group_roles;
mod user_records;

pub use group_records::*;
pub use group_roles::*;
pub use user_records::*;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::TokenHash;
use crate::schema::{organizations, scim_tokens};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scim_tokens)]
pub struct ScimToken {
    pub id: Uuid,
    pub org_id: Uuid,
    pub prefix: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub fn token_of(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<ScimToken>> {
    scim_tokens::table
        .filter(scim_tokens::org_id.eq(org_id))
        .select(ScimToken::as_select())
        .first(conn)
        .optional()
}

pub fn token_is_current(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        scim_tokens::table
            .filter(scim_tokens::id.eq(id))
            .filter(scim_tokens::org_id.eq(org_id)),
    ))
    .get_result(conn)
}

/// The token with this secret, if its organization is not deleted.
pub fn by_secret(conn: &mut PgConnection, secret: &TokenHash) -> QueryResult<Option<ScimToken>> {
    scim_tokens::table
        .inner_join(organizations::table)
        .filter(scim_tokens::secret_hash.eq(&secret.0))
        .filter(organizations::deleted_at.is_null())
        .select(ScimToken::as_select())
        .first(conn)
        .optional()
}

/// Stores a new token for the organization in place of its current one (if any),
/// returning the replaced token.
pub fn replace_token(
    conn: &mut PgConnection,
    org_id: Uuid,
    secret: &TokenHash,
    prefix: &str,
    created_by: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<(ScimToken, Option<ScimToken>)> {
    let old = delete_token(conn, org_id)?;
    let token = diesel::insert_into(scim_tokens::table)
        .values((
            scim_tokens::id.eq(Uuid::now_v7()),
            scim_tokens::org_id.eq(org_id),
            scim_tokens::secret_hash.eq(&secret.0),
            scim_tokens::prefix.eq(prefix),
            scim_tokens::created_by.eq(created_by),
            scim_tokens::created_at.eq(now),
        ))
        .returning(ScimToken::as_returning())
        .get_result(conn)?;
    Ok((token, old))
}

pub fn delete_token(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<ScimToken>> {
    diesel::delete(scim_tokens::table.filter(scim_tokens::org_id.eq(org_id)))
        .returning(ScimToken::as_returning())
        .get_result(conn)
        .optional()
}

/// Records a use, at most once a minute, so that a busy provider does not write a row
/// per request.
pub fn touch(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        scim_tokens::table.filter(scim_tokens::id.eq(id)).filter(
            scim_tokens::last_used_at
                .is_null()
                .or(scim_tokens::last_used_at.lt(now - chrono::Duration::minutes(1))),
        ),
    )
    .set(scim_tokens::last_used_at.eq(now))
    .execute(conn)
    .map(drop)
}
