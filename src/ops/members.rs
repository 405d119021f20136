//! Role changes, removals and leaving: membership changes under the organization lock.

use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck};
use crate::domain::activity::{Actor, Event, Held, Person};
use crate::domain::{Permission, Role, membership};
use crate::models::activity;
use crate::models::member_list::{self, MemberRow};
use crate::models::memberships::Membership;
use crate::models::organizations::{MemberCounts, Organization};
use crate::models::project_members;

/// Gives `target` the organization role `role`. Nothing changes (and nothing is logged)
/// when they already have it. Returns their row and the new counts per role.
pub fn change_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    target: Uuid,
    role: Role,
) -> OpResult<(MemberRow, MemberCounts)> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let before = member_list::find(conn, org_id, target)?.ok_or(OpError::NotFound)?;
        // The kept counts, read with the lock: exact until this transaction ends.
        let admins = org.counts.of(Role::Administrator);
        membership::check_role_change(actor.user_id, target, before.role, role, admins)
            .map_err(|refusal| OpError::refused(refusal.message()))?;
        if before.role != role {
            Membership::set_role(conn, org_id, target, before.role, role)?;
            let event = Event::MemberRoleChanged {
                member: Person {
                    id: target,
                    name: before.name.clone(),
                },
                from: before.role,
                to: role,
            };
            activity::record(conn, org_id, actor, &event)?;
            super::alerts::raise(conn, org_id, actor, &event)?;
        }
        let counts = Organization::find(conn, org_id)?.counts;
        Ok((MemberRow { role, ..before }, counts))
    })
}

/// Removes `target` from the organization. Their API keys stay active (the product
/// promise); the last administrator stays.
pub fn remove(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    target: Uuid,
) -> OpResult<MemberRow> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let row = member_list::find(conn, org_id, target)?.ok_or(OpError::NotFound)?;
        let admins = org.counts.of(Role::Administrator);
        membership::check_removal(actor.user_id, target, row.role, admins)
            .map_err(|refusal| OpError::refused(refusal.message()))?;
        Membership::delete(conn, org_id, target)?;
        let event = Event::MemberRemoved {
            member: Person {
                id: target,
                name: row.name.clone(),
            },
            role: row.role,
            email: row.email.clone(),
        };
        activity::record(conn, org_id, actor, &event)?;
        super::alerts::raise(conn, org_id, actor, &event)?;
        Ok(row)
    })
}

/// Why the actor cannot leave right now, read without locking (for the confirmation
/// page; [`leave`] checks again under the lock).
pub fn leave_refusal(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> OpResult<Option<membership::Refusal>> {
    // Project-only members hold no role the organization depends on.
    let Some(current) = Membership::find(conn, org_id, user_id)? else {
        return Ok(None);
    };
    let admins = Membership::count_admins(conn, org_id)?;
    Ok(membership::check_departure(current.role, admins).err())
}

/// The actor leaves the organization (or their project). The last administrator stays.
pub fn leave(conn: &mut PgConnection, org_id: Uuid, actor: &Actor) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        let me = Person {
            id: actor.user_id,
            name: actor.name.clone(),
        };
        let held = match Membership::find(conn, org_id, actor.user_id)? {
            Some(current) => {
                let admins = org.counts.of(Role::Administrator);
                membership::check_departure(current.role, admins)
                    .map_err(|refusal| OpError::refused(refusal.message()))?;
                Membership::delete(conn, org_id, actor.user_id)?;
                Held::Org(current.role)
            }
            None => {
                let access =
                    project_members::find(conn, org_id, actor.user_id)?.ok_or(OpError::NotFound)?;
                project_members::delete(conn, org_id, actor.user_id)?;
                Held::Project {
                    role: access.role,
                    project: access.project_name,
                }
            }
        };
        activity::record(conn, org_id, actor, &Event::MemberLeft { member: me, held })?;
        Ok(())
    })
}
