//! Role changes, removals and leaving: membership changes under the organization lock.

use diesel::PgConnection;
use uuid::Uuid;

use super::api_keys::{Overlap, Rotated, live_project, rotate_in};
use super::{OpError, OpResult, locked, recheck};
use crate::domain::activity::{Actor, Event, Held, Person};
use crate::domain::{EmailAddress, Permission, Role, membership};
use crate::mail::{Context, outbox, removal};
use crate::models::member_list::{self, MemberRow};
use crate::models::memberships::Membership;
use crate::models::organizations::{MemberCounts, Organization};
use crate::models::project_members;
use crate::models::{activity, api_keys, scim};

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
        if before.scim_managed && actor.scim.is_none() {
            return Err(OpError::refused(format!(
                "{}'s role follows their groups in your identity provider (SCIM): change their groups there.",
                before.name
            )));
        }
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

/// What removing a member also does: which of the keys they created get a new secret,
/// and how long each old secret keeps working beside it.
#[derive(Debug, Clone)]
pub struct RemovalPlan {
    pub rotate: Vec<Uuid>,
    pub overlap: Overlap,
}

impl RemovalPlan {
    /// Removal alone: every key they created stays as it is.
    pub fn keep_keys() -> Self {
        RemovalPlan {
            rotate: Vec::new(),
            overlap: Overlap::OneDay,
        }
    }
}

/// A removal done: the member as they were, and each rotated key with its new secret
/// (shown once, by the caller).
pub struct Removed {
    pub row: MemberRow,
    pub rotated: Vec<(Rotated, String)>,
}

/// Removes `target` from the organization and rotates the keys of `plan` in the same
/// transaction: all of it happens, or none. Keys not rotated stay active (the product
/// promise); the last administrator stays. The removed person is told by email.
pub fn remove_member(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    target: Uuid,
    plan: &RemovalPlan,
    ctx: &Context,
) -> OpResult<Removed> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let row = member_list::find(conn, org_id, target)?.ok_or(OpError::NotFound)?;
        let admins = org.counts.of(Role::Administrator);
        membership::check_removal(actor.user_id, target, row.role, admins)
            .map_err(|refusal| OpError::refused(refusal.message()))?;
        Membership::delete(conn, org_id, target)?;
        // The identity provider reads the truth: this user is no longer active here.
        scim::deactivate_account(conn, org_id, target, ctx.now)?;
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
        let mut wanted = plan.rotate.clone();
        wanted.sort_unstable();
        wanted.dedup();
        let mut rotated = Vec::with_capacity(wanted.len());
        for key_id in wanted {
            // Only keys this member created: the plan comes from a form.
            let key = api_keys::find(conn, org_id, key_id)?
                .filter(|k| k.created_by == Some(target))
                .ok_or(OpError::NotFound)?;
            let project = live_project(conn, org_id, actor, key.project_id)?;
            let done = rotate_in(conn, actor, &project, key.id, plan.overlap, ctx.now)?;
            rotated.push((done, project.name));
        }
        if let Ok(to) = EmailAddress::parse(&row.email) {
            let mail = removal::removed(to, &row.name, &org.name, &actor.name)?;
            outbox::enqueue(conn, Some(org_id), "member_removed", &mail, &ctx.base_url)?;
        }
        Ok(Removed { row, rotated })
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
                scim::deactivate_account(conn, org_id, actor.user_id, chrono::Utc::now())?;
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
