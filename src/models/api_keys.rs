use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::{KeyName, TokenHash};
use crate::schema::{api_keys, memberships, organizations, project_members, projects};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: Uuid,
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_by: Option<Uuid>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<Uuid>,
}

/// Where a key stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Rotated: works until `expires_at`.
    Expiring,
    Expired,
    Revoked,
}

impl ApiKey {
    /// "3 hours ago", or "never".
    pub fn last_used_label(&self, now: &DateTime<Utc>) -> String {
        self.last_used_at
            .map(|at| crate::domain::time::ago(at, *now))
            .unwrap_or_else(|| "never".into())
    }

    /// "in 23 hours" for a rotated key still in its overlap window.
    pub fn expires_label(&self, now: &DateTime<Utc>) -> String {
        self.expires_at
            .map(|at| crate::domain::time::until(at, *now))
            .unwrap_or_default()
    }

    pub fn status(&self, now: DateTime<Utc>) -> Status {
        match (self.revoked_at, self.expires_at) {
            (Some(_), _) => Status::Revoked,
            (None, Some(at)) if at <= now => Status::Expired,
            (None, Some(_)) => Status::Expiring,
            (None, None) => Status::Active,
        }
    }
}

/// A key as lists show it: with its project, and whether its creator still belongs to
/// the organization (a removed member's keys stay active and are flagged for rotation).
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub key: ApiKey,
    pub project_name: String,
    pub creator_removed: bool,
}

pub struct NewKey<'a> {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub name: &'a KeyName,
    pub prefix: &'a str,
    pub secret: &'a TokenHash,
    pub created_by: Uuid,
    pub created_by_name: &'a str,
}

pub fn create(conn: &mut PgConnection, new: NewKey<'_>) -> QueryResult<ApiKey> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(Uuid::now_v7()),
            api_keys::org_id.eq(new.org_id),
            api_keys::project_id.eq(new.project_id),
            api_keys::name.eq(new.name.as_str()),
            api_keys::prefix.eq(new.prefix),
            api_keys::secret_hash.eq(&new.secret.0),
            api_keys::created_by.eq(new.created_by),
            api_keys::created_by_name.eq(new.created_by_name),
        ))
        .returning(ApiKey::as_returning())
        .get_result(conn)
}

/// The organization's key with this id.
pub fn find(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::org_id.eq(org_id))
        .filter(api_keys::id.eq(id))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// [`find`], locking the key's row until the transaction ends, so that two changes of
/// one key (two rotations, a rotation and a revocation) run one after the other.
pub fn find_for_update(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::org_id.eq(org_id))
        .filter(api_keys::id.eq(id))
        .select(ApiKey::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Keys of live projects, newest first: of one project, of the projects a creator made
/// keys in, or all of the organization's.
pub struct KeyFilter {
    pub project: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub include_revoked: bool,
}

pub fn list(conn: &mut PgConnection, org_id: Uuid, filter: &KeyFilter) -> QueryResult<Vec<KeyRow>> {
    let mut query = api_keys::table
        .inner_join(projects::table)
        .filter(api_keys::org_id.eq(org_id))
        .filter(projects::archived_at.is_null())
        .select((ApiKey::as_select(), projects::name))
        .order(api_keys::created_at.desc())
        .limit(500)
        .into_boxed();
    if let Some(project_id) = filter.project {
        query = query.filter(api_keys::project_id.eq(project_id));
    }
    if let Some(user_id) = filter.created_by {
        query = query.filter(api_keys::created_by.eq(user_id));
    }
    if !filter.include_revoked {
        query = query.filter(api_keys::revoked_at.is_null());
    }
    let keys: Vec<(ApiKey, String)> = query.load(conn)?;
    let creators: Vec<Uuid> = keys.iter().filter_map(|(k, _)| k.created_by).collect();
    let still_here = members_among(conn, org_id, &creators)?;
    Ok(keys
        .into_iter()
        .map(|(key, project_name)| KeyRow {
            creator_removed: key.created_by.is_none_or(|id| !still_here.contains(&id)),
            key,
            project_name,
        })
        .collect())
}

/// Which of `users` are members (or project-only members) of the organization.
fn members_among(
    conn: &mut PgConnection,
    org_id: Uuid,
    users: &[Uuid],
) -> QueryResult<HashSet<Uuid>> {
    if users.is_empty() {
        return Ok(HashSet::new());
    }
    let mut found: HashSet<Uuid> = memberships::table
        .filter(memberships::org_id.eq(org_id))
        .filter(memberships::user_id.eq_any(users))
        .select(memberships::user_id)
        .load::<Uuid>(conn)?
        .into_iter()
        .collect();
    found.extend(
        project_members::table
            .filter(project_members::org_id.eq(org_id))
            .filter(project_members::user_id.eq_any(users))
            .select(project_members::user_id)
            .load::<Uuid>(conn)?,
    );
    Ok(found)
}

pub fn revoke(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Marks a rotated key: replaced by `by`, working until `until`.
pub fn retire(
    conn: &mut PgConnection,
    id: Uuid,
    by: Uuid,
    until: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id))
        .set((api_keys::replaced_by.eq(by), api_keys::expires_at.eq(until)))
        .execute(conn)
        .map(drop)
}

/// What the usage API needs to know about the key in a request.
#[derive(Debug, Clone, Queryable)]
pub struct Caller {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub project_archived_at: Option<DateTime<Utc>>,
}

/// The key with this secret (one indexed lookup), whatever its state; none when its
/// organization is deleted, so that a deleted organization's keys authenticate nothing
/// (restoring the organization brings them back as they were).
pub fn caller(conn: &mut PgConnection, secret: &TokenHash) -> QueryResult<Option<Caller>> {
    api_keys::table
        .inner_join(projects::table.inner_join(organizations::table))
        .filter(api_keys::secret_hash.eq(&secret.0))
        .filter(organizations::deleted_at.is_null())
        .select((
            api_keys::id,
            api_keys::org_id,
            api_keys::project_id,
            api_keys::revoked_at,
            api_keys::expires_at,
            projects::archived_at,
        ))
        .first(conn)
        .optional()
}

/// Records use at most once a minute per key, so that busy keys do not serialize every
/// request on one row.
pub fn touch(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        api_keys::table.find(id).filter(
            api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.lt(now - chrono::Duration::minutes(1))),
        ),
    )
    .set(api_keys::last_used_at.eq(now))
    .execute(conn)
    .map(drop)
}

/// The organization's unrevoked keys among these secrets' hashes, as (hash, project
/// name, key name): a download names only keys the organization really holds.
pub fn named_by_secrets(
    conn: &mut PgConnection,
    org_id: Uuid,
    hashes: &[Vec<u8>],
) -> QueryResult<Vec<(Vec<u8>, String, String)>> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    api_keys::table
        .inner_join(projects::table)
        .filter(api_keys::org_id.eq(org_id))
        .filter(api_keys::secret_hash.eq_any(hashes))
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::secret_hash, projects::name, api_keys::name))
        .load(conn)
}
