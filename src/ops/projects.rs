//! Creating, renaming and archiving projects.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck, tx};
use crate::domain::activity::{Actor, Event};
use crate::domain::{Permission, ProjectName};
use crate::models::activity;
use crate::models::projects::Project;

pub const NAME_TAKEN: &str = "A project with this name already exists in this organization.";

pub fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    name: &ProjectName,
) -> OpResult<Project> {
    tx(conn, |conn| {
        recheck(conn, org_id, actor, Permission::CreateProjects)?;
        let project = Project::create(conn, org_id, name, actor.user_id)
            .map_err(|e| OpError::taken(e, NAME_TAKEN))?;
        let event = Event::ProjectCreated {
            project: project.id,
            name: project.name.clone(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(project)
    })
}

/// The organization's project `project_id`, for an administrator's change.
fn managed(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
) -> OpResult<Project> {
    recheck(conn, org_id, actor, Permission::ManageOrganization)?;
    Project::find(conn, org_id, project_id)?.ok_or(OpError::NotFound)
}

pub fn rename(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    name: &ProjectName,
) -> OpResult<()> {
    // The organization lock first, as every membership and invitation change takes it:
    // renaming locks the project row (its name is in a unique index), and a project
    // invitation, holding the organization lock, waits on that row; taking them in the
    // other order deadlocked.
    locked(conn, org_id, |conn, _| {
        let project = managed(conn, org_id, actor, project_id)?;
        if project.name == name.as_str() {
            return Ok(());
        }
        Project::rename(conn, project_id, name).map_err(|e| OpError::taken(e, NAME_TAKEN))?;
        let event = Event::ProjectRenamed {
            project: project_id,
            from: project.name,
            to: name.as_str().to_owned(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}

/// Archives the project: its keys stop working at once. Archiving twice is harmless.
pub fn archive(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    now: DateTime<Utc>,
) -> OpResult<Project> {
    // The organization lock first, for the same reason as `rename`.
    locked(conn, org_id, |conn, _| {
        let project = managed(conn, org_id, actor, project_id)?;
        if Project::archive(conn, project.id, now)? {
            let event = Event::ProjectArchived {
                project: project.id,
                name: project.name.clone(),
            };
            activity::record(conn, org_id, actor, &event)?;
        }
        Ok(project)
    })
}
