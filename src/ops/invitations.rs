//! Sending, resending and cancelling invitations: each locks the organization, re-checks
//! the actor, and writes the change, its activity entry and its email (outbox) together,
//! or nothing (R10, R36, R39).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck};
use crate::domain::activity::{Actor, Event, InvitationFacts};
use crate::domain::invite::Entry;
use crate::domain::{
    EmailAddress, INVITATION_PREFIX, Permission, PlainToken, Plan, ProjectRole, Role,
};
use crate::mail::invitations as emails;
use crate::mail::outbox;
use crate::models::invitations::{self as store, Invitation, NewInvitation, State};
use crate::models::organizations::Organization;
use crate::models::projects::Project;
use crate::models::{activity, billing};

/// Daily limits on sendings (first or resent), per SECURITY.md R25.
pub const PER_INVITER_PER_DAY: i64 = 100;
pub const PER_ORG_PER_DAY: i64 = 100;
pub const PER_ADDRESS_PER_DAY: i64 = 10;

pub use crate::mail::Context;

fn join_url(ctx: &Context, token: &PlainToken) -> String {
    ctx.link(&format!("/invitations/{}", token.expose()))
}

/// What happened to one address of an invitation form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Invited,
    Invalid(&'static str),
    AlreadyMember,
    /// A pending invitation exists; the page offers to resend it.
    AlreadyInvited(Uuid),
    /// This address got [`PER_ADDRESS_PER_DAY`] invitations today.
    AddressLimit,
    /// Every seat of the plan is taken (members, project-only members, pending invitations).
    SeatLimit(Plan),
    /// The inviter's or the organization's daily number of sendings is used up.
    DailyLimit,
    /// The pending invitation was sent again (from the reviewed list).
    Resent,
}

#[derive(Debug, Clone)]
pub struct AddressResult {
    pub email: String,
    pub outcome: Outcome,
}

/// The results per address, and the join links of the new invitations: logged by the
/// caller when mail goes to files (development), never otherwise (R35).
pub struct Sent {
    pub results: Vec<AddressResult>,
    pub links: Vec<(String, String)>,
}

/// What the log records of `invitation` (`project`: its project's name, if any).
pub(super) fn facts(invitation: &Invitation, project: Option<&str>) -> InvitationFacts {
    InvitationFacts {
        id: invitation.id,
        email: invitation.email.clone(),
        role: invitation.role,
        expires_at: invitation.expires_at,
        project: project.map(str::to_owned),
    }
}

/// The daily limits on sendings that apply to `inviter` in the organization, in the
/// order they are checked: how many sendings each leaves today, and its refusal. The
/// smaller limit of an inviter whose address is not confirmed comes first.
pub(super) fn daily_limits(
    conn: &mut PgConnection,
    org_id: Uuid,
    inviter: Uuid,
    ctx: &Context,
) -> OpResult<Vec<(i64, String)>> {
    let counts = store::sends_since(conn, org_id, inviter, ctx.now - Duration::days(1))?;
    let verified = crate::models::users::User::find(conn, inviter)?
        .is_some_and(|u| u.email_verified_at.is_some());
    let unverified_limit = ctx.unverified_sends_per_day;
    let mut limits = Vec::with_capacity(3);
    if !verified {
        let left = (unverified_limit - counts.by_inviter).max(0);
        limits.push((left, format!(
            "Until you confirm your email address you can send {unverified_limit} invitation emails a day ({left} left today). Use \"Send the link again\" at the top of the page to get a new confirmation link."
        )));
    }
    let left = (PER_INVITER_PER_DAY - counts.by_inviter).max(0);
    limits.push((
        left,
        format!("You can send at most {PER_INVITER_PER_DAY} invitations a day; {left} left today."),
    ));
    let left = (PER_ORG_PER_DAY - counts.by_org).max(0);
    limits.push((left, format!(
        "This organization can send at most {PER_ORG_PER_DAY} invitations a day; {left} left today."
    )));
    Ok(limits)
}

/// Refuses the whole request when it would pass the inviter's or the organization's
/// daily limit, or the smaller one of an inviter whose address is not confirmed: a
/// refused request writes nothing and queues no email.
pub(super) fn check_daily_limits(
    conn: &mut PgConnection,
    org_id: Uuid,
    inviter: Uuid,
    adding: i64,
    ctx: &Context,
) -> OpResult<()> {
    // The inviter's count spans organizations, whose locks do not serialize each other:
    // a per-inviter lock does, so parallel sends from two organizations cannot both pass.
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('invitations-by:' || $1::text))")
        .bind::<diesel::sql_types::Uuid, _>(inviter)
        .execute(conn)?;
    for (left, refusal) in daily_limits(conn, org_id, inviter, ctx)? {
        if adding > left {
            return Err(OpError::limit(refusal));
        }
    }
    Ok(())
}

/// Issues a token for `invitation`, queues its email and records the sending. Returns
/// the join link.
fn send_email(
    conn: &mut PgConnection,
    org: &Organization,
    actor: &Actor,
    invitation: &Invitation,
    project: Option<&str>,
    token: &PlainToken,
    ctx: &Context,
) -> OpResult<String> {
    let email = EmailAddress::parse(&invitation.email)
        .map_err(|e| OpError::Internal(format!("stored invitation email: {e}")))?;
    let join_url = join_url(ctx, token);
    let message = emails::invitation(emails::InvitationMail {
        to: &email,
        inviter: &actor.name,
        org: &org.name,
        project,
        role: invitation.role,
        join_url: &join_url,
        expires_at: invitation.expires_at,
    })?;
    let outbox_id = outbox::enqueue(conn, Some(org.id), "invitation", &message, &ctx.base_url)?;
    store::set_outbox(conn, invitation.id, outbox_id.0)?;
    store::record_send(conn, org.id, actor.user_id, &email, ctx.now)?;
    Ok(join_url)
}

/// What an invitation grants: an organization role, or project-only access.
#[derive(Debug, Clone, Copy)]
pub enum Grant {
    Org(Role),
    Project {
        project_id: Uuid,
        role: ProjectRole,
        /// "Access until": the last day of the access, when it has one.
        until: Option<chrono::NaiveDate>,
    },
}

impl Grant {
    /// The role column: project roles are stored by their organization-role names.
    fn role(self) -> Role {
        match self {
            Grant::Org(role) => role,
            Grant::Project {
                role: ProjectRole::Developer,
                ..
            } => Role::Developer,
            Grant::Project {
                role: ProjectRole::Viewer,
                ..
            } => Role::Viewer,
        }
    }

    fn access_until(self) -> Option<chrono::NaiveDate> {
        match self {
            Grant::Org(_) => None,
            Grant::Project { until, .. } => until,
        }
    }

    fn project_id(self) -> Option<Uuid> {
        match self {
            Grant::Org(_) => None,
            Grant::Project { project_id, .. } => Some(project_id),
        }
    }
}

/// Who may send, resend or cancel an invitation that grants `project_id`'s access (or
/// an organization role when `None`).
fn permission_for(project_id: Option<Uuid>) -> Permission {
    match project_id {
        None => Permission::ManageMembers,
        Some(_) => Permission::ManageProjectAccess,
    }
}

/// The name of the invitation's project, if it is a project invitation.
fn project_name(
    conn: &mut PgConnection,
    org_id: Uuid,
    project_id: Option<Uuid>,
) -> OpResult<Option<String>> {
    match project_id {
        Some(id) => Ok(Some(
            Project::find(conn, org_id, id)?
                .ok_or(OpError::NotFound)?
                .name,
        )),
        None => Ok(None),
    }
}

/// The rules an invitation of one valid address meets, in the order the invite op
/// applies them; the preview shows the same outcomes. `seats` counts the seats in use,
/// one more for each address that will be invited.
pub(super) fn assess(
    conn: &mut PgConnection,
    org_id: Uuid,
    email: &EmailAddress,
    plan: Plan,
    seats: &mut i64,
    now: DateTime<Utc>,
) -> OpResult<Outcome> {
    Ok(if store::has_access(conn, org_id, email)? {
        Outcome::AlreadyMember
    } else if let Some(existing) = store::find_pending_for(conn, org_id, email)? {
        Outcome::AlreadyInvited(existing.id)
    } else if address_limit_reached(conn, org_id, email, now)? {
        Outcome::AddressLimit
    } else if !plan.has_room(*seats) {
        Outcome::SeatLimit(plan)
    } else {
        *seats += 1;
        Outcome::Invited
    })
}

/// True when `email` got [`PER_ADDRESS_PER_DAY`] sendings from the organization today.
pub(super) fn address_limit_reached(
    conn: &mut PgConnection,
    org_id: Uuid,
    email: &EmailAddress,
    now: DateTime<Utc>,
) -> OpResult<bool> {
    Ok(
        store::sends_to_address_since(conn, org_id, email, now - Duration::days(1))?
            >= PER_ADDRESS_PER_DAY,
    )
}

/// Invites every valid address that has a seat, in one transaction.
pub fn send(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    entries: &[Entry],
    grant: Grant,
    ctx: &Context,
) -> OpResult<Sent> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, permission_for(grant.project_id()))?;
        let project = project_name(conn, org_id, grant.project_id())?;
        let plan = billing::find(conn, org_id)?.plan;
        let mut seats = billing::seats_used(conn, org_id)?;
        let mut results = Vec::with_capacity(entries.len());
        let mut to_invite = Vec::new();
        for entry in entries {
            let email = match entry {
                Entry::Invalid { input, reason } => {
                    results.push(AddressResult {
                        email: input.clone(),
                        outcome: Outcome::Invalid(reason.0),
                    });
                    continue;
                }
                Entry::Valid(email) => email,
            };
            let outcome = assess(conn, org_id, email, plan, &mut seats, ctx.now)?;
            if outcome == Outcome::Invited {
                to_invite.push(email.clone());
            }
            results.push(AddressResult {
                email: email.as_str().to_owned(),
                outcome,
            });
        }
        check_daily_limits(conn, org_id, actor.user_id, to_invite.len() as i64, ctx)?;
        let mut links = Vec::new();
        for email in &to_invite {
            links.push(invite(
                conn,
                org,
                actor,
                email,
                grant,
                project.as_deref(),
                ctx,
            )?);
        }
        Ok(Sent { results, links })
    })
}

/// Creates the invitation of `email`, queues its email and records it; returns the
/// address and its join link. Call under the organization lock, after [`assess`].
pub(super) fn invite(
    conn: &mut PgConnection,
    org: &Organization,
    actor: &Actor,
    email: &EmailAddress,
    grant: Grant,
    project: Option<&str>,
    ctx: &Context,
) -> OpResult<(String, String)> {
    let token = PlainToken::generate(INVITATION_PREFIX);
    let invitation = store::create(
        conn,
        NewInvitation {
            org_id: org.id,
            email,
            role: grant.role(),
            token: &token.hash(),
            inviter_id: actor.user_id,
            inviter_name: &actor.name,
            access_until: grant.access_until(),
            project_id: grant.project_id(),
            now: ctx.now,
        },
    )?;
    let link = send_email(conn, org, actor, &invitation, project, &token, ctx)?;
    let event = Event::InvitationSent(facts(&invitation, project));
    activity::record(conn, org.id, actor, &event)?;
    Ok((invitation.email, link))
}

const NOT_PENDING: &str = "This invitation was already accepted or cancelled.";

/// A new link and 7 more days; the old link dies. Works on expired invitations too.
pub fn resend(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
    ctx: &Context,
) -> OpResult<(Invitation, String)> {
    locked(conn, org_id, |conn, org| {
        let before = store::find(conn, org_id, id)?.ok_or(OpError::NotFound)?;
        recheck(conn, org_id, actor, permission_for(before.project_id))?;
        if matches!(before.state(ctx.now), State::Accepted | State::Cancelled) {
            return Err(OpError::refused(NOT_PENDING));
        }
        let email =
            EmailAddress::parse(&before.email).map_err(|e| OpError::Internal(e.to_string()))?;
        if address_limit_reached(conn, org_id, &email, ctx.now)? {
            return Err(OpError::limit(format!(
                "{} was already sent {PER_ADDRESS_PER_DAY} invitations today. Try again tomorrow.",
                before.email
            )));
        }
        check_daily_limits(conn, org_id, actor.user_id, 1, ctx)?;
        reissue(conn, org, actor, &before, ctx)
    })
}

/// A new link for `before` (pending, checked against the limits by the caller), its
/// email and its activity entry. Call under the organization lock.
pub(super) fn reissue(
    conn: &mut PgConnection,
    org: &Organization,
    actor: &Actor,
    before: &Invitation,
    ctx: &Context,
) -> OpResult<(Invitation, String)> {
    let project = project_name(conn, org.id, before.project_id)?;
    let token = PlainToken::generate(INVITATION_PREFIX);
    store::reissue(conn, before.id, &token.hash(), ctx.now)?;
    let after = store::find(conn, org.id, before.id)?.ok_or(OpError::NotFound)?;
    let link = send_email(conn, org, actor, &after, project.as_deref(), &token, ctx)?;
    let event = Event::InvitationResent {
        invitation: facts(&after, project.as_deref()),
        previous_expires_at: before.expires_at,
        previous_send_count: before.send_count,
    };
    activity::record(conn, org.id, actor, &event)?;
    Ok((after, link))
}

/// Kills the link at once.
pub fn cancel(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> OpResult<Invitation> {
    locked(conn, org_id, |conn, _| {
        let invitation = store::find(conn, org_id, id)?.ok_or(OpError::NotFound)?;
        recheck(conn, org_id, actor, permission_for(invitation.project_id))?;
        if !store::cancel(conn, id, now)? {
            return Err(OpError::refused(NOT_PENDING));
        }
        let project = project_name(conn, org_id, invitation.project_id)?;
        let event = Event::InvitationCancelled(facts(&invitation, project.as_deref()));
        activity::record(conn, org_id, actor, &event)?;
        Ok(invitation)
    })
}

/// Gives a pending invitation the role `role` without a new link: the token, the expiry
/// and the per-address sending count stay as they are. An invitation to a project takes
/// a project role only (Developer or Viewer). Nothing changes (and nothing is logged)
/// when it already grants `role`. Accepted or cancelled invitations are refused.
pub fn change_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
    role: Role,
) -> OpResult<Invitation> {
    locked(conn, org_id, |conn, _| {
        let before = store::find(conn, org_id, id)?.ok_or(OpError::NotFound)?;
        recheck(conn, org_id, actor, permission_for(before.project_id))?;
        if before.status != "pending" {
            return Err(OpError::refused(NOT_PENDING));
        }
        if before.project_id.is_some() && ProjectRole::parse(role.as_str()).is_err() {
            return Err(OpError::Invalid(
                "An invitation to a project grants Developer or Viewer access.".into(),
            ));
        }
        if before.role == role {
            return Ok(before);
        }
        if !store::set_role(conn, id, role)? {
            return Err(OpError::refused(NOT_PENDING));
        }
        let project = project_name(conn, org_id, before.project_id)?;
        let after = Invitation {
            role,
            ..before.clone()
        };
        let event = Event::InvitationRoleChanged {
            invitation: facts(&after, project.as_deref()),
            from: before.role,
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(after)
    })
}
