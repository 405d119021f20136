//! Changing and taking away project-only access (giving it is an invitation).

use chrono::NaiveDate;
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck};
use crate::domain::activity::{Actor, Event, Person};
use crate::domain::{Permission, ProjectRole};
use crate::models::activity;
use crate::models::project_members::{self, ProjectMemberRow};

/// The project-only member `user_id` of `project_id`, read under the organization lock.
fn access_of(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    user_id: Uuid,
) -> OpResult<ProjectMemberRow> {
    recheck(conn, org_id, actor, Permission::ManageProjectAccess)?;
    project_members::find(conn, org_id, user_id)?
        .filter(|row| row.project_id == project_id)
        .ok_or(OpError::NotFound)
}

fn person(row: &ProjectMemberRow) -> Person {
    Person {
        id: row.user_id,
        name: row.name.clone(),
    }
}

/// Gives `user_id` the project role `role`; returns their access as it is now and the
/// role they had (for Undo). Nothing changes, nor is logged, when they have it already.
pub fn change_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
) -> OpResult<(ProjectMemberRow, ProjectRole)> {
    locked(conn, org_id, |conn, _| {
        let row = access_of(conn, org_id, actor, project_id, user_id)?;
        if row.role != role {
            project_members::set_role(conn, org_id, user_id, role)?;
            let event = Event::ProjectAccessChanged {
                member: person(&row),
                project: row.project_name.clone(),
                from: row.role,
                to: role,
            };
            activity::record(conn, org_id, actor, &event)?;
        }
        let previous = row.role;
        Ok((ProjectMemberRow { role, ..row }, previous))
    })
}

/// Access ends at once; keys they created stay active.
pub fn revoke(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    user_id: Uuid,
) -> OpResult<ProjectMemberRow> {
    locked(conn, org_id, |conn, _| {
        let row = access_of(conn, org_id, actor, project_id, user_id)?;
        project_members::delete(conn, org_id, user_id)?;
        let event = Event::ProjectAccessRevoked {
            member: person(&row),
            project: row.project_name.clone(),
            role: row.role,
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(row)
    })
}

/// Sets, moves or clears "Access until" of `user_id`'s access to `project_id` ("Extend").
/// Nothing changes, nor is logged, when the date is the same. A new date earns new
/// reminders. Returns the access as it is now.
pub fn set_access_until(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    user_id: Uuid,
    until: Option<NaiveDate>,
) -> OpResult<ProjectMemberRow> {
    locked(conn, org_id, |conn, _| {
        let row = access_of(conn, org_id, actor, project_id, user_id)?;
        if row.access_until != until {
            project_members::set_access_until(conn, org_id, user_id, until)?;
            let event = Event::ProjectAccessUntilChanged {
                member: person(&row),
                project: row.project_name.clone(),
                from: row.access_until,
                to: until,
            };
            activity::record(conn, org_id, actor, &event)?;
        }
        Ok(ProjectMemberRow {
            access_until: until,
            ..row
        })
    })
}

/// Changes the role, "Access until", or both, of `user_id`'s access to `project_id` in
/// one transaction: both change, or neither. `None` leaves that part as it is.
pub fn update(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    user_id: Uuid,
    role: Option<ProjectRole>,
    until: Option<Option<NaiveDate>>,
) -> OpResult<ProjectMemberRow> {
    locked(conn, org_id, |conn, _| {
        let mut row = access_of(conn, org_id, actor, project_id, user_id)?;
        if let Some(role) = role {
            row = change_role(conn, org_id, actor, project_id, user_id, role)?.0;
        }
        if let Some(until) = until {
            row = set_access_until(conn, org_id, actor, project_id, user_id, until)?;
        }
        Ok(row)
    })
}
