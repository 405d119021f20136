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

/// A row of the Members page.
#[derive(Debug, Clone, Queryable)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

impl Membership {
    /// The organization's members by name. Paging and search come with the members issue.
    pub fn list_for_org(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<MemberRow>> {
        memberships::table
            .inner_join(users::table)
            .filter(memberships::org_id.eq(org_id))
            .select((
                users::id,
                users::name,
                users::email,
                memberships::role,
                memberships::created_at,
            ))
            .order((users::name, users::id))
            .limit(500)
            .load(conn)
    }
}
