//! Deleting an organization (a soft delete with a restore window) and restoring it.
//!
//! A deletion keeps every row: members, projects, keys, balance, ledger and activity
//! stay as they are, hidden (every page 404, keys unknown to the API, gone from the
//! switcher), so that a restore gives back exactly what was there. Pending invitations
//! are the exception: they are cancelled, and a restore does not revive them, because a
//! join link is a secret that may have travelled while the organization was gone; the
//! administrator invites again. After the window `maintenance::purge_deleted_orgs`
//! drops the rows.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck, tx};
use crate::domain::activity::{Actor, Event};
use crate::domain::org_deletion::{Deletion, RestoreRefusal, name_confirms};
use crate::domain::{EmailAddress, Permission};
use crate::mail::org_deletion::{DeletedMail, deleted, restored};
use crate::mail::{Context, outbox};
use crate::models::organizations::Organization;
use crate::models::{activity, invitations, org_deletion};

/// What a deletion did.
#[derive(Debug, Clone)]
pub struct Deleted {
    pub name: String,
    pub restore_until: DateTime<Utc>,
}

/// The message for a confirmation that is not the organization's name.
pub fn wrong_name(name: &str) -> String {
    format!("That is not the name of this organization. Type {name} exactly as it is written.")
}

/// Deletes the organization if `typed_name` is its name: administrators only,
/// re-checked under the organization lock. Every member and project-only member is
/// told by email; the deleter's email has the "Restore" link.
pub fn delete(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    typed_name: &str,
    ctx: &Context,
) -> OpResult<Deleted> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        // Checked against the locked row: a rename that committed first wins.
        if !name_confirms(typed_name, &org.name) {
            return Err(OpError::Invalid(wrong_name(&org.name)));
        }
        let cancelled = invitations::cancel_all_pending(conn, org_id, ctx.now)?;
        let deletion = Deletion {
            deleted_at: org_deletion::mark_deleted(conn, org_id, actor.user_id)?,
            deleted_by: Some(actor.user_id),
        };
        let event = Event::OrganizationDeleted {
            org: org_id,
            name: org.name.clone(),
            restore_until: deletion.restore_until(),
            invitations_cancelled: cancelled,
        };
        activity::record(conn, org_id, actor, &event)?;
        super::alerts::raise(conn, org_id, actor, &event)?;
        let restore_url = ctx.link(&format!("/orgs/{}/restore", org.slug));
        for (user_id, name, email) in org_deletion::people(conn, org_id)? {
            let Ok(to) = EmailAddress::parse(&email) else {
                continue;
            };
            let is_deleter = user_id == actor.user_id;
            let mail = deleted(DeletedMail {
                to: &to,
                to_name: &name,
                actor: &actor.name,
                org: &org.name,
                restore_url: is_deleter.then_some(restore_url.as_str()),
                restore_until: deletion.restore_until(),
            })?;
            outbox::enqueue(conn, Some(org_id), "org_deleted", &mail, &ctx.base_url)?;
        }
        Ok(Deleted {
            name: org.name.clone(),
            restore_until: deletion.restore_until(),
        })
    })
}

/// The deleted organization with this slug, for the restore page: `None` (a 404) unless
/// `user_id` deleted it; a refusal when the window is over.
pub fn restorable(
    conn: &mut PgConnection,
    slug: &str,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> OpResult<(Organization, Deletion)> {
    let (org, deletion) =
        org_deletion::find_deleted(conn, slug, false)?.ok_or(OpError::NotFound)?;
    check(&org, &deletion, user_id, now)?;
    Ok((org, deletion))
}

fn check(org: &Organization, deletion: &Deletion, user: Uuid, now: DateTime<Utc>) -> OpResult<()> {
    match deletion.may_restore(user, now) {
        Ok(()) => Ok(()),
        // Like every page of a deleted organization: nothing to see for anyone else.
        Err(RestoreRefusal::NotTheDeleter) => Err(OpError::NotFound),
        Err(RestoreRefusal::WindowOver) => Err(OpError::refused(format!(
            "{} can no longer be restored: the {} days to restore it ended on {}. It is being deleted for good.",
            org.name,
            crate::domain::org_deletion::RESTORE_DAYS,
            deletion.restore_until().format("%B %-d, %Y at %H:%M UTC"),
        ))),
    }
}

/// Restores the organization with this slug as it was when deleted: only the
/// administrator who deleted it, within the window. Takes the organization's row lock
/// (the organization lock) and re-checks the actor's role under it. Members are told.
pub fn restore(
    conn: &mut PgConnection,
    slug: &str,
    actor: &Actor,
    ctx: &Context,
) -> OpResult<Organization> {
    tx(conn, |conn| {
        let (org, deletion) =
            org_deletion::find_deleted(conn, slug, true)?.ok_or(OpError::NotFound)?;
        check(&org, &deletion, actor.user_id, ctx.now)?;
        recheck(conn, org.id, actor, Permission::ManageOrganization)?;
        org_deletion::mark_restored(conn, org.id)?;
        let event = Event::OrganizationRestored {
            org: org.id,
            name: org.name.clone(),
        };
        activity::record(conn, org.id, actor, &event)?;
        let org_url = ctx.link(&format!("/orgs/{}", org.slug));
        for (user_id, name, email) in org_deletion::people(conn, org.id)? {
            let Ok(to) = EmailAddress::parse(&email) else {
                continue;
            };
            if user_id == actor.user_id {
                continue;
            }
            let mail = restored(&to, &name, &actor.name, &org.name, &org_url)?;
            outbox::enqueue(conn, Some(org.id), "org_restored", &mail, &ctx.base_url)?;
        }
        Ok(org)
    })
}
