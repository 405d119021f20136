use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::memberships::{OrgLink, org_links, switcher};
use super::organizations::{CountChange, Organization};
use super::users::User;
use crate::domain::ProjectRole;
use crate::schema::{organizations, project_members, projects, users};

/// A person with project-only access, as lists show them.
#[derive(Debug, Clone, Queryable)]
pub struct ProjectMemberRow {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: ProjectRole,
    pub project_id: Uuid,
    pub project_name: String,
    pub created_at: DateTime<Utc>,
}

/// What [`load_access`] finds.
pub struct LoadedAccess {
    pub user: User,
    pub org: Organization,
    pub role: ProjectRole,
    pub project_id: Uuid,
    pub orgs: Vec<OrgLink>,
}

/// The user, the organization with this slug, and the user's project-only access in it
/// (role and project); `None` when the user has none (live projects only).
pub fn load_access(
    conn: &mut PgConnection,
    user_id: Uuid,
    slug: &str,
) -> QueryResult<Option<LoadedAccess>> {
    let row = project_members::table
        .inner_join(users::table)
        .inner_join(projects::table.inner_join(organizations::table))
        .filter(project_members::user_id.eq(user_id))
        .filter(organizations::slug.eq(slug))
        .filter(organizations::deleted_at.is_null())
        .filter(projects::archived_at.is_null())
        .select((
            User::as_select(),
            Organization::as_select(),
            project_members::role,
            project_members::project_id,
            switcher(),
        ))
        .first::<(User, Organization, ProjectRole, Uuid, serde_json::Value)>(conn)
        .optional()?;
    row.map(|(user, org, role, project_id, orgs)| {
        Ok(LoadedAccess {
            user,
            org,
            role,
            project_id,
            orgs: org_links(orgs)?,
        })
    })
    .transpose()
}

/// The project-only members of the organization, or of one of its projects.
pub fn list(
    conn: &mut PgConnection,
    org_id: Uuid,
    project: Option<Uuid>,
) -> QueryResult<Vec<ProjectMemberRow>> {
    let mut query = project_members::table
        .inner_join(users::table)
        .inner_join(projects::table)
        .filter(project_members::org_id.eq(org_id))
        .select((
            users::id,
            users::name,
            users::email,
            project_members::role,
            projects::id,
            projects::name,
            project_members::created_at,
        ))
        .order((projects::name, users::name))
        .into_boxed();
    if let Some(project_id) = project {
        query = query.filter(project_members::project_id.eq(project_id));
    }
    query.load(conn)
}

/// One person's project-only access in the organization.
pub fn find(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<ProjectMemberRow>> {
    project_members::table
        .inner_join(users::table)
        .inner_join(projects::table)
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id))
        .select((
            users::id,
            users::name,
            users::email,
            project_members::role,
            projects::id,
            projects::name,
            project_members::created_at,
        ))
        .first(conn)
        .optional()
}

/// Call under the organization lock; keeps the organization's counts.
pub fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    project_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
) -> QueryResult<()> {
    diesel::insert_into(project_members::table)
        .values((
            project_members::id.eq(Uuid::now_v7()),
            project_members::org_id.eq(org_id),
            project_members::project_id.eq(project_id),
            project_members::user_id.eq(user_id),
            project_members::role.eq(role),
        ))
        .execute(conn)?;
    let change = CountChange {
        project_only_members: 1,
        ..Default::default()
    };
    Organization::count(conn, org_id, change)
}

pub fn set_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
) -> QueryResult<()> {
    diesel::update(project_members::table)
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id))
        .set(project_members::role.eq(role))
        .execute(conn)
        .map(drop)
}

/// Call under the organization lock; keeps the organization's counts.
pub fn delete(conn: &mut PgConnection, org_id: Uuid, user_id: Uuid) -> QueryResult<()> {
    let gone = diesel::delete(project_members::table)
        .filter(project_members::org_id.eq(org_id))
        .filter(project_members::user_id.eq(user_id))
        .execute(conn)?;
    let change = CountChange {
        project_only_members: -i32::try_from(gone).unwrap_or(i32::MAX),
        ..Default::default()
    };
    Organization::count(conn, org_id, change)
}
