use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::organizations::Organization;
use super::users::User;
use crate::domain::Role;
use crate::schema::{memberships, organizations, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// An organization the user belongs to, for the header's switcher.
#[derive(Debug, Clone, Queryable)]
pub struct OrgLink {
    pub name: String,
    pub slug: String,
}

impl Membership {
    pub fn create(
        conn: &mut PgConnection,
        org_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> QueryResult<Membership> {
        diesel::insert_into(memberships::table)
            .values((
                memberships::id.eq(Uuid::now_v7()),
                memberships::org_id.eq(org_id),
                memberships::user_id.eq(user_id),
                memberships::role.eq(role),
            ))
            .returning(Membership::as_returning())
            .get_result(conn)
    }

    /// The user, the organization with this slug, and the user's membership in it,
    /// in one query; `None` when the user is not a member (or the org does not exist).
    pub fn load_member(
        conn: &mut PgConnection,
        user_id: Uuid,
        slug: &str,
    ) -> QueryResult<Option<(User, Organization, Membership)>> {
        memberships::table
            .inner_join(users::table)
            .inner_join(organizations::table)
            .filter(memberships::user_id.eq(user_id))
            .filter(organizations::slug.eq(slug))
            .select((
                User::as_select(),
                Organization::as_select(),
                Membership::as_select(),
            ))
            .first(conn)
            .optional()
    }

    pub fn orgs_of_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<OrgLink>> {
        memberships::table
            .inner_join(organizations::table)
            .filter(memberships::user_id.eq(user_id))
            .select((organizations::name, organizations::slug))
            .order((organizations::name, organizations::slug))
            .load(conn)
    }
}

impl Membership {
    /// The membership of `user_id` in the organization, if any.
    pub fn find(
        conn: &mut PgConnection,
        org_id: Uuid,
        user_id: Uuid,
    ) -> QueryResult<Option<Membership>> {
        memberships::table
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::user_id.eq(user_id))
            .select(Membership::as_select())
            .first(conn)
            .optional()
    }

    /// Call under the organization lock when the answer guards a change (R10).
    pub fn count_admins(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<i64> {
        memberships::table
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::role.eq(Role::Administrator))
            .count()
            .get_result(conn)
    }

    pub fn set_role(
        conn: &mut PgConnection,
        org_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> QueryResult<()> {
        diesel::update(memberships::table)
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::user_id.eq(user_id))
            .set(memberships::role.eq(role))
            .execute(conn)
            .map(drop)
    }

    pub fn delete(conn: &mut PgConnection, org_id: Uuid, user_id: Uuid) -> QueryResult<()> {
        diesel::delete(memberships::table)
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::user_id.eq(user_id))
            .execute(conn)
            .map(drop)
    }
}
