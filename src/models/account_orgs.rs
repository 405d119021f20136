//! The organizations of one account and how it reaches each, for its Account page.

use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::{ProjectRole, Role};
use crate::schema::{memberships, organizations, project_members, projects};

/// An organization of the account: its role there, or its project-only access.
#[derive(Debug, Clone)]
pub struct AccountOrg {
    pub name: String,
    pub slug: String,
    /// "Administrator", or "Developer of the project Website".
    pub role: String,
}

/// Every live (not deleted) organization the account belongs to, by name; two statements.
pub fn of_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<AccountOrg>> {
    let members: Vec<(String, String, Role)> = memberships::table
        .inner_join(organizations::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(organizations::deleted_at.is_null())
        .select((organizations::name, organizations::slug, memberships::role))
        .load(conn)?;
    let project_only: Vec<(String, String, String, ProjectRole)> = project_members::table
        .inner_join(projects::table)
        .inner_join(organizations::table.on(organizations::id.eq(project_members::org_id)))
        .filter(project_members::user_id.eq(user_id))
        .filter(organizations::deleted_at.is_null())
        .select((
            organizations::name,
            organizations::slug,
            projects::name,
            project_members::role,
        ))
        .load(conn)?;
    let mut orgs: Vec<AccountOrg> = members
        .into_iter()
        .map(|(name, slug, role)| AccountOrg {
            name,
            slug,
            role: role.label().to_owned(),
        })
        .chain(
            project_only
                .into_iter()
                .map(|(name, slug, project, role)| AccountOrg {
                    name,
                    slug,
                    role: format!("{} of the project {project}", role.label()),
                }),
        )
        .collect();
    orgs.sort_by(|a, b| (a.name.to_lowercase(), &a.slug).cmp(&(b.name.to_lowercase(), &b.slug)));
    Ok(orgs)
}
