//! Roles from groups (`scim_group_roles`) and the memberships the provider manages
//! (`memberships.scim_managed`).

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::Role;
use crate::models::lower;
use crate::schema::{memberships, scim_group_members, scim_group_roles, scim_groups};

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
