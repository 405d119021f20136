//! SCIM provisioning rows: the organization's token (`scim_tokens`, only its SHA-256),
//! the provider's users and groups (`scim_users`, `scim_groups`, `scim_group_members`),
//! the roles mapped to group names (`scim_group_roles`), and the memberships the
//! provider manages (`memberships.scim_managed`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::lower;
use crate::domain::scim::filter::Filter;
use crate::domain::{Role, TokenHash};
use crate::schema::{
    memberships, organizations, scim_group_members, scim_group_roles, scim_groups, scim_tokens,
    scim_users, users,
};

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

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scim_users)]
pub struct ScimUser {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    pub attributes: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a user row is written with.
pub struct UserFields<'a> {
    pub user_name: &'a str,
    pub external_id: Option<&'a str>,
    pub active: bool,
    pub attributes: &'a serde_json::Value,
}

pub fn find_user(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> QueryResult<Option<ScimUser>> {
    scim_users::table
        .filter(scim_users::org_id.eq(org_id))
        .filter(scim_users::id.eq(id))
        .select(ScimUser::as_select())
        .first(conn)
        .optional()
}

pub fn user_of_account(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<ScimUser>> {
    scim_users::table
        .filter(scim_users::org_id.eq(org_id))
        .filter(scim_users::user_id.eq(user_id))
        .select(ScimUser::as_select())
        .first(conn)
        .optional()
}

/// Whether another user of the organization has this userName (in any case).
pub fn user_name_taken(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_name: &str,
    except: Option<Uuid>,
) -> QueryResult<bool> {
    let mut query = scim_users::table
        .filter(scim_users::org_id.eq(org_id))
        .filter(lower(scim_users::user_name).eq(user_name.to_lowercase()))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(scim_users::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(query)).get_result(conn)
}

pub fn insert_user(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    fields: &UserFields<'_>,
    now: DateTime<Utc>,
) -> QueryResult<ScimUser> {
    diesel::insert_into(scim_users::table)
        .values((
            scim_users::id.eq(Uuid::now_v7()),
            scim_users::org_id.eq(org_id),
            scim_users::user_id.eq(user_id),
            scim_users::user_name.eq(fields.user_name),
            scim_users::external_id.eq(fields.external_id),
            scim_users::active.eq(fields.active),
            scim_users::attributes.eq(fields.attributes),
            scim_users::created_at.eq(now),
            scim_users::updated_at.eq(now),
        ))
        .returning(ScimUser::as_returning())
        .get_result(conn)
}

pub fn update_user(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &UserFields<'_>,
    now: DateTime<Utc>,
) -> QueryResult<ScimUser> {
    diesel::update(scim_users::table.find(id))
        .set((
            scim_users::user_name.eq(fields.user_name),
            scim_users::external_id.eq(fields.external_id),
            scim_users::active.eq(fields.active),
            scim_users::attributes.eq(fields.attributes),
            scim_users::updated_at.eq(now),
        ))
        .returning(ScimUser::as_returning())
        .get_result(conn)
}

pub fn delete_user(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::delete(scim_users::table.find(id))
        .execute(conn)
        .map(drop)
}

/// Marks the provider's record of `user_id` inactive (the member was removed in the
/// console, or left), so that the provider reads what is true.
pub fn deactivate_account(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .filter(scim_users::user_id.eq(user_id)),
    )
    .set((scim_users::active.eq(false), scim_users::updated_at.eq(now)))
    .execute(conn)
    .map(drop)
}

/// A page of users (`start` is 0-based) matching the filter, oldest first, and how
/// many match in all.
pub fn list_users(
    conn: &mut PgConnection,
    org_id: Uuid,
    filter: Option<&Filter>,
    start: i64,
    count: i64,
) -> QueryResult<(Vec<ScimUser>, i64)> {
    let filtered = || {
        let mut query = scim_users::table
            .filter(scim_users::org_id.eq(org_id))
            .into_boxed();
        if let Some(f) = filter {
            query = match f.attribute {
                "userName" => query.filter(lower(scim_users::user_name).eq(f.value.to_lowercase())),
                "externalId" => query.filter(scim_users::external_id.eq(f.value.clone())),
                _ => match Uuid::parse_str(&f.value) {
                    Ok(id) => query.filter(scim_users::id.eq(id)),
                    Err(_) => query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("false")),
                },
            };
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = if count == 0 {
        Vec::new()
    } else {
        filtered()
            .order((scim_users::created_at, scim_users::id))
            .offset(start)
            .limit(count)
            .select(ScimUser::as_select())
            .load(conn)?
    };
    Ok((rows, total))
}

/// The groups of each of these users: (user, group id, group name).
pub fn groups_of_users(
    conn: &mut PgConnection,
    user_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, Uuid, String)>> {
    scim_group_members::table
        .inner_join(scim_groups::table)
        .filter(scim_group_members::scim_user_id.eq_any(user_ids))
        .select((
            scim_group_members::scim_user_id,
            scim_groups::id,
            scim_groups::display_name,
        ))
        .order(scim_groups::display_name)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scim_groups)]
pub struct ScimGroup {
    pub id: Uuid,
    pub org_id: Uuid,
    pub display_name: String,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn find_group(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<ScimGroup>> {
    scim_groups::table
        .filter(scim_groups::org_id.eq(org_id))
        .filter(scim_groups::id.eq(id))
        .select(ScimGroup::as_select())
        .first(conn)
        .optional()
}

pub fn group_name_taken(
    conn: &mut PgConnection,
    org_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> QueryResult<bool> {
    let mut query = scim_groups::table
        .filter(scim_groups::org_id.eq(org_id))
        .filter(lower(scim_groups::display_name).eq(name.to_lowercase()))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(scim_groups::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(query)).get_result(conn)
}

pub fn insert_group(
    conn: &mut PgConnection,
    org_id: Uuid,
    name: &str,
    external_id: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<ScimGroup> {
    diesel::insert_into(scim_groups::table)
        .values((
            scim_groups::id.eq(Uuid::now_v7()),
            scim_groups::org_id.eq(org_id),
            scim_groups::display_name.eq(name),
            scim_groups::external_id.eq(external_id),
            scim_groups::created_at.eq(now),
            scim_groups::updated_at.eq(now),
        ))
        .returning(ScimGroup::as_returning())
        .get_result(conn)
}

pub fn update_group(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
    external_id: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<ScimGroup> {
    diesel::update(scim_groups::table.find(id))
        .set((
            scim_groups::display_name.eq(name),
            scim_groups::external_id.eq(external_id),
            scim_groups::updated_at.eq(now),
        ))
        .returning(ScimGroup::as_returning())
        .get_result(conn)
}

pub fn delete_group(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::delete(scim_groups::table.find(id))
        .execute(conn)
        .map(drop)
}

pub fn list_groups(
    conn: &mut PgConnection,
    org_id: Uuid,
    filter: Option<&Filter>,
    start: i64,
    count: i64,
) -> QueryResult<(Vec<ScimGroup>, i64)> {
    let filtered = || {
        let mut query = scim_groups::table
            .filter(scim_groups::org_id.eq(org_id))
            .into_boxed();
        if let Some(f) = filter {
            query = match f.attribute {
                "displayName" => {
                    query.filter(lower(scim_groups::display_name).eq(f.value.to_lowercase()))
                }
                "externalId" => query.filter(scim_groups::external_id.eq(f.value.clone())),
                _ => match Uuid::parse_str(&f.value) {
                    Ok(id) => query.filter(scim_groups::id.eq(id)),
                    Err(_) => query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("false")),
                },
            };
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = if count == 0 {
        Vec::new()
    } else {
        filtered()
            .order((scim_groups::created_at, scim_groups::id))
            .offset(start)
            .limit(count)
            .select(ScimGroup::as_select())
            .load(conn)?
    };
    Ok((rows, total))
}

/// The members of these groups: (group, SCIM user).
pub fn members_of(conn: &mut PgConnection, group_ids: &[Uuid]) -> QueryResult<Vec<(Uuid, Uuid)>> {
    scim_group_members::table
        .filter(scim_group_members::group_id.eq_any(group_ids))
        .select((
            scim_group_members::group_id,
            scim_group_members::scim_user_id,
        ))
        .order((
            scim_group_members::group_id,
            scim_group_members::scim_user_id,
        ))
        .load(conn)
}

/// Of `ids`, those that are users of the organization.
pub fn users_among(conn: &mut PgConnection, org_id: Uuid, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    scim_users::table
        .filter(scim_users::org_id.eq(org_id))
        .filter(scim_users::id.eq_any(ids))
        .select(scim_users::id)
        .load(conn)
}

pub fn add_members(conn: &mut PgConnection, group_id: Uuid, ids: &[Uuid]) -> QueryResult<()> {
    let rows: Vec<_> = ids
        .iter()
        .map(|id| {
            (
                scim_group_members::group_id.eq(group_id),
                scim_group_members::scim_user_id.eq(*id),
            )
        })
        .collect();
    diesel::insert_into(scim_group_members::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .map(drop)
}

pub fn remove_members(conn: &mut PgConnection, group_id: Uuid, ids: &[Uuid]) -> QueryResult<()> {
    diesel::delete(
        scim_group_members::table
            .filter(scim_group_members::group_id.eq(group_id))
            .filter(scim_group_members::scim_user_id.eq_any(ids)),
    )
    .execute(conn)
    .map(drop)
}

/// The roles mapped to the groups `scim_user_id` is in.
pub fn mapped_roles(
    conn: &mut PgConnection,
    org_id: Uuid,
    scim_user_id: Uuid,
) -> QueryResult<Vec<Role>> {
    scim_group_members::table
        .inner_join(scim_groups::table)
        .inner_join(
            scim_group_roles::table.on(scim_group_roles::org_id
                .eq(scim_groups::org_id)
                .and(lower(scim_group_roles::group_name).eq(lower(scim_groups::display_name)))),
        )
        .filter(scim_groups::org_id.eq(org_id))
        .filter(scim_group_members::scim_user_id.eq(scim_user_id))
        .select(scim_group_roles::role)
        .load(conn)
}

/// The SCIM users in the groups named `name` (any case).
pub fn users_in_groups_named(
    conn: &mut PgConnection,
    org_id: Uuid,
    name: &str,
) -> QueryResult<Vec<Uuid>> {
    scim_group_members::table
        .inner_join(scim_groups::table)
        .filter(scim_groups::org_id.eq(org_id))
        .filter(lower(scim_groups::display_name).eq(name.to_lowercase()))
        .select(scim_group_members::scim_user_id)
        .load(conn)
}

/// The group roles, by name.
pub fn group_roles(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<(String, Role)>> {
    scim_group_roles::table
        .filter(scim_group_roles::org_id.eq(org_id))
        .select((scim_group_roles::group_name, scim_group_roles::role))
        .order(lower(scim_group_roles::group_name))
        .load(conn)
}

/// Sets the role of a group name, returning the one it replaced.
pub fn set_group_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    name: &str,
    role: Role,
) -> QueryResult<Option<Role>> {
    let old = remove_group_role(conn, org_id, name)?;
    diesel::insert_into(scim_group_roles::table)
        .values((
            scim_group_roles::org_id.eq(org_id),
            scim_group_roles::group_name.eq(name),
            scim_group_roles::role.eq(role),
        ))
        .execute(conn)?;
    Ok(old)
}

pub fn remove_group_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    name: &str,
) -> QueryResult<Option<Role>> {
    diesel::delete(
        scim_group_roles::table
            .filter(scim_group_roles::org_id.eq(org_id))
            .filter(lower(scim_group_roles::group_name).eq(name.to_lowercase())),
    )
    .returning(scim_group_roles::role)
    .get_result(conn)
    .optional()
}

/// The groups the provider pushed, with their member counts, for the settings page.
pub fn group_summaries(
    conn: &mut PgConnection,
    org_id: Uuid,
    limit: i64,
) -> QueryResult<Vec<(String, i64)>> {
    scim_groups::table
        .left_join(scim_group_members::table)
        .filter(scim_groups::org_id.eq(org_id))
        .group_by(scim_groups::id)
        .select((
            scim_groups::display_name,
            diesel::dsl::count(scim_group_members::scim_user_id.nullable()),
        ))
        .order(lower(scim_groups::display_name))
        .limit(limit)
        .load(conn)
}

pub fn set_managed(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    managed: bool,
) -> QueryResult<()> {
    diesel::update(
        memberships::table
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::user_id.eq(user_id)),
    )
    .set(memberships::scim_managed.eq(managed))
    .execute(conn)
    .map(drop)
}

/// Provisioning stopped: every member's role can be changed in the console again.
pub fn release_all(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<usize> {
    diesel::update(
        memberships::table
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::scim_managed),
    )
    .set(memberships::scim_managed.eq(false))
    .execute(conn)
}

/// Account names of SCIM users, for activity entries.
pub fn names_of(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String)>> {
    scim_users::table
        .inner_join(users::table)
        .filter(scim_users::id.eq_any(ids))
        .select((scim_users::id, users::name))
        .load(conn)
}
