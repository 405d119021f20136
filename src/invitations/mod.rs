//! Invitations as transactions: each operation locks the organization, checks, writes
//! the change, its activity entry and its email (outbox) together, or nothing (R10, R36).

pub mod emails;
mod join;

pub use join::{Joined, Refusal, accept, inspect, sign_up_and_accept};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::domain::invite::Entry;
use crate::domain::{EmailAddress, PlainToken, Plan, ProjectRole, Role};
use crate::error::AppError;
use crate::mail::outbox;
use crate::models::activity::{self, Action, Actor, Target};
use crate::models::billing;
use crate::models::invitations::{self as store, Invitation, NewInvitation, State};
use crate::models::organizations::Organization;
use crate::models::projects::Project;

/// Daily limits on sendings (first or resent), per SECURITY.md R25.
pub const PER_INVITER_PER_DAY: i64 = 100;
pub const PER_ORG_PER_DAY: i64 = 100;
pub const PER_ADDRESS_PER_DAY: i64 = 10;

pub const TOKEN_PREFIX: &str = "inv_";

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

fn entry(
    action: Action,
    invitation: &Invitation,
    before: Option<serde_json::Value>,
) -> activity::Entry {
    activity::Entry {
        action,
        target: Target::invitation(invitation.id, &invitation.email),
        before,
        after: Some(
            json!({ "email": invitation.email, "role": invitation.role.as_str(), "expires_at": invitation.expires_at }),
        ),
    }
}

/// Refuses the whole request when it would pass the inviter's or the organization's
/// daily limit: a refused request writes nothing and queues no email.
fn check_daily_limits(
    conn: &mut PgConnection,
    org_id: Uuid,
    inviter: Uuid,
    adding: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let counts = store::sends_since(conn, org_id, inviter, now - Duration::days(1))?;
    if counts.by_inviter + adding > PER_INVITER_PER_DAY {
        return Err(AppError::TooManyRequests(format!(
            "You can send at most {PER_INVITER_PER_DAY} invitations a day; {} left today.",
            (PER_INVITER_PER_DAY - counts.by_inviter).max(0)
        )));
    }
    if counts.by_org + adding > PER_ORG_PER_DAY {
        return Err(AppError::TooManyRequests(format!(
            "This organization can send at most {PER_ORG_PER_DAY} invitations a day; {} left today.",
            (PER_ORG_PER_DAY - counts.by_org).max(0)
        )));
    }
    Ok(())
}

/// Issues a token for `invitation`, queues its email and records the sending.
fn send_email(
    conn: &mut PgConnection,
    org: &Organization,
    actor: &Actor,
    invitation: &Invitation,
    token: &PlainToken,
    ctx: &Context,
) -> Result<String, AppError> {
    let email = EmailAddress::parse(&invitation.email)
        .map_err(|e| AppError::Internal(format!("stored invitation email: {e}")))?;
    let join_url = join_url(ctx, token);
    let project = match invitation.project_id {
        Some(id) => Project::find(conn, org.id, id)?.map(|p| p.name),
        None => None,
    };
    let message = emails::invitation(emails::InvitationMail {
        to: &email,
        inviter: &actor.name,
        org: &org.name,
        project: project.as_deref(),
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
    Project { project_id: Uuid, role: ProjectRole },
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

    fn project_id(self) -> Option<Uuid> {
        match self {
            Grant::Org(_) => None,
            Grant::Project { project_id, .. } => Some(project_id),
        }
    }
}

/// Invites every valid address that has a seat, in one transaction.
pub fn send(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    entries: &[Entry],
    grant: Grant,
    ctx: &Context,
) -> Result<Sent, AppError> {
    conn.transaction(|conn| {
        let org = Organization::lock(conn, org_id)?;
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
            let outcome = if store::has_access(conn, org_id, email)? {
                Outcome::AlreadyMember
            } else if let Some(existing) = store::find_pending_for(conn, org_id, email)? {
                Outcome::AlreadyInvited(existing.id)
            } else if store::sends_to_address_since(
                conn,
                org_id,
                email,
                ctx.now - Duration::days(1),
            )? >= PER_ADDRESS_PER_DAY
            {
                Outcome::AddressLimit
            } else if !plan.has_room(seats) {
                Outcome::SeatLimit(plan)
            } else {
                seats += 1;
                to_invite.push(email.clone());
                Outcome::Invited
            };
            results.push(AddressResult {
                email: email.as_str().to_owned(),
                outcome,
            });
        }
        check_daily_limits(conn, org_id, actor.user_id, to_invite.len() as i64, ctx.now)?;
        let mut links = Vec::new();
        for email in &to_invite {
            let token = PlainToken::generate(TOKEN_PREFIX);
            let invitation = store::create(
                conn,
                NewInvitation {
                    org_id,
                    email,
                    role: grant.role(),
                    token: &token.hash(),
                    inviter_id: actor.user_id,
                    inviter_name: &actor.name,
                    project_id: grant.project_id(),
                    now: ctx.now,
                },
            )?;
            let link = send_email(conn, &org, actor, &invitation, &token, ctx)?;
            activity::record(
                conn,
                org_id,
                actor,
                entry(Action::InvitationSent, &invitation, None),
            )?;
            links.push((invitation.email.clone(), link));
        }
        Ok(Sent { results, links })
    })
}

/// A new link and 7 more days; the old link dies. Works on expired invitations too.
pub fn resend(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
    ctx: &Context,
) -> Result<(Invitation, String), AppError> {
    conn.transaction(|conn| {
        let org = Organization::lock(conn, org_id)?;
        let before = store::find(conn, org_id, id)?.ok_or(AppError::NotFound)?;
        if matches!(before.state(ctx.now), State::Accepted | State::Cancelled) {
            return Err(AppError::Conflict(
                "This invitation was already accepted or cancelled.".into(),
            ));
        }
        let email =
            EmailAddress::parse(&before.email).map_err(|e| AppError::Internal(e.to_string()))?;
        if store::sends_to_address_since(conn, org_id, &email, ctx.now - Duration::days(1))?
            >= PER_ADDRESS_PER_DAY
        {
            return Err(AppError::TooManyRequests(format!(
                "{} was already sent {PER_ADDRESS_PER_DAY} invitations today. Try again tomorrow.",
                before.email
            )));
        }
        check_daily_limits(conn, org_id, actor.user_id, 1, ctx.now)?;
        let token = PlainToken::generate(TOKEN_PREFIX);
        store::reissue(conn, id, &token.hash(), ctx.now)?;
        let after = store::find(conn, org_id, id)?.ok_or(AppError::NotFound)?;
        let link = send_email(conn, &org, actor, &after, &token, ctx)?;
        let previous = json!({ "expires_at": before.expires_at, "send_count": before.send_count });
        activity::record(
            conn,
            org_id,
            actor,
            entry(Action::InvitationResent, &after, Some(previous)),
        )?;
        Ok((after, link))
    })
}

/// Kills the link at once.
pub fn cancel(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Invitation, AppError> {
    conn.transaction(|conn| {
        Organization::lock(conn, org_id)?;
        let invitation = store::find(conn, org_id, id)?.ok_or(AppError::NotFound)?;
        if !store::cancel(conn, id, now)? {
            return Err(AppError::Conflict(
                "This invitation was already accepted or cancelled.".into(),
            ));
        }
        let mut entry = entry(Action::InvitationCancelled, &invitation, None);
        entry.before = entry.after.take();
        activity::record(conn, org_id, actor, entry)?;
        Ok(invitation)
    })
}
