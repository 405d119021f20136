//! The provider's users (`scim_users`), each linked to one account.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::scim::filter::Filter;
use crate::models::lower;
use crate::schema::{scim_group_members, scim_groups, scim_users, users};

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

/// Account names of SCIM users, for activity entries.
pub fn names_of(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String)>> {
    scim_users::table
        .inner_join(users::table)
        .filter(scim_users::id.eq_any(ids))
        .select((scim_users::id, users::name))
        .load(conn)
}
