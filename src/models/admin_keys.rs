//! Organization admin keys (`admin_keys`): only the secret's SHA-256 is stored.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::TokenHash;
use crate::domain::admin_scope::{AdminScope, parse_scopes};
use crate::schema::{admin_keys, organizations};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = admin_keys)]
pub struct AdminKey {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_by: Option<Uuid>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl AdminKey {
    /// The stored scopes; a name this version does not know grants nothing.
    pub fn scope_list(&self) -> Vec<AdminScope> {
        self.scopes
            .iter()
            .filter_map(|s| AdminScope::parse(s))
            .collect()
    }

    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

pub struct NewAdminKey<'a> {
    pub org_id: Uuid,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret: &'a TokenHash,
    pub scopes: &'a [AdminScope],
    pub created_by: Uuid,
    pub created_by_name: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn create(conn: &mut PgConnection, new: NewAdminKey<'_>) -> QueryResult<AdminKey> {
    let scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    diesel::insert_into(admin_keys::table)
        .values((
            admin_keys::id.eq(Uuid::now_v7()),
            admin_keys::org_id.eq(new.org_id),
            admin_keys::name.eq(new.name),
            admin_keys::prefix.eq(new.prefix),
            admin_keys::secret_hash.eq(&new.secret.0),
            admin_keys::scopes.eq(scopes),
            admin_keys::created_by.eq(new.created_by),
            admin_keys::created_by_name.eq(new.created_by_name),
            admin_keys::expires_at.eq(new.expires_at),
        ))
        .returning(AdminKey::as_returning())
        .get_result(conn)
}

/// The organization's admin keys, newest first (revoked ones too: the list says so).
pub fn list(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<AdminKey>> {
    admin_keys::table
        .filter(admin_keys::org_id.eq(org_id))
        .order(admin_keys::created_at.desc())
        .limit(200)
        .select(AdminKey::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> QueryResult<Option<AdminKey>> {
    admin_keys::table
        .filter(admin_keys::org_id.eq(org_id))
        .filter(admin_keys::id.eq(id))
        .select(AdminKey::as_select())
        .first(conn)
        .optional()
}

pub fn revoke(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::update(
        admin_keys::table
            .find(id)
            .filter(admin_keys::revoked_at.is_null()),
    )
    .set(admin_keys::revoked_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// The key with this secret, whatever its state; none when its organization is deleted.
pub fn by_secret(conn: &mut PgConnection, secret: &TokenHash) -> QueryResult<Option<AdminKey>> {
    admin_keys::table
        .inner_join(organizations::table)
        .filter(admin_keys::secret_hash.eq(&secret.0))
        .filter(organizations::deleted_at.is_null())
        .select(AdminKey::as_select())
        .first(conn)
        .optional()
}

/// Records use at most once a minute per key.
pub fn touch(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        admin_keys::table.find(id).filter(
            admin_keys::last_used_at
                .is_null()
                .or(admin_keys::last_used_at.lt(now - chrono::Duration::minutes(1))),
        ),
    )
    .set(admin_keys::last_used_at.eq(now))
    .execute(conn)
    .map(drop)
}

/// Parses stored scope names (for callers that need them checked).
pub fn scopes_of(key: &AdminKey) -> Result<Vec<AdminScope>, String> {
    parse_scopes(key.scopes.iter().map(String::as_str))
}
