//! The provider's groups (`scim_groups`) and who is in them (`scim_group_members`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::scim::filter::Filter;
use crate::models::lower;
use crate::schema::{scim_group_members, scim_groups, scim_users};

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
