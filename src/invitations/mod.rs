//! Invitations as transactions: each operation locks the organization, checks, writes
//! the change, its activity entry and its email (outbox) together, or nothing (R10, R36).

pub mod emails;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::domain::invite::Entry;
use crate::domain::{EmailAddress, PlainToken, Plan, ProjectRole, Role, TokenHash};
use crate::error::AppError;
use crate::mail::outbox;
use crate::models::activity::{self, Action, Actor, Target};
use crate::models::billing;
use crate::models::invitations::{self as store, Invitation, NewInvitation, State};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;
use crate::models::project_members;
use crate::models::projects::Project;
use crate::models::users::User;

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

/// Why a join link cannot be used right now; each case gets its own page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Expired,
    Cancelled,
    Used,
    /// Signed in as another address than the invited one.
    WrongAccount,
    /// The account's address is not confirmed: an unconfirmed account could belong to
    /// someone who typed another person's address at sign-up.
    Unverified,
    AlreadyMember,
    /// "Create account and join" for an address that already has an account.
    AccountExists,
}

/// Where an accepted invitation leads.
#[derive(Debug, Clone)]
pub struct Joined {
    pub org_slug: String,
    pub org_name: String,
    pub role: Role,
}

/// The invitation behind a token and whether it can be used at `now` (no writes: a GET
/// of the join link must never change anything, R16).
pub fn inspect(
    conn: &mut PgConnection,
    token: &TokenHash,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Invitation, store::JoinTarget, State)>> {
    Ok(store::find_by_token(conn, token)?.map(|(inv, target)| {
        let state = inv.state(now);
        (inv, target, state)
    }))
}

fn refusal_for(state: State) -> Option<Refusal> {
    match state {
        State::Pending => None,
        State::Expired => Some(Refusal::Expired),
        State::Accepted => Some(Refusal::Used),
        State::Cancelled => Some(Refusal::Cancelled),
    }
}

/// Accepts for `user`, re-checking everything under the organization lock (R15).
pub fn accept(
    conn: &mut PgConnection,
    token: &TokenHash,
    user: &User,
    meta: &Actor,
    ctx: &Context,
) -> Result<Result<Joined, Refusal>, AppError> {
    conn.transaction(|conn| {
        let Some((invitation, _)) = store::find_by_token(conn, token)? else {
            return Ok(Err(Refusal::Unknown));
        };
        let org = Organization::lock(conn, invitation.org_id)?;
        let invitation = store::find(conn, org.id, invitation.id)?.ok_or(AppError::NotFound)?;
        if let Some(refusal) = refusal_for(invitation.state(ctx.now)) {
            return Ok(Err(refusal));
        }
        if invitation.email.to_lowercase() != user.email.to_lowercase() {
            return Ok(Err(Refusal::WrongAccount));
        }
        let member = Membership::find(conn, org.id, user.id)?.is_some();
        if member || project_members::find(conn, org.id, user.id)?.is_some() {
            return Ok(Err(Refusal::AlreadyMember));
        }
        if user.email_verified_at.is_none() {
            return Ok(Err(Refusal::Unverified));
        }
        join(conn, &org, &invitation, user, meta, ctx)
    })
}

/// Creates the invited account (its address proven by the link) and joins, in one go.
pub fn sign_up_and_accept(
    conn: &mut PgConnection,
    token: &TokenHash,
    name: &crate::domain::PersonName,
    password_hash: &str,
    meta: &Actor,
    ctx: &Context,
) -> Result<Result<(User, Joined), Refusal>, AppError> {
    conn.transaction(|conn| {
        let Some((invitation, _)) = store::find_by_token(conn, token)? else {
            return Ok(Err(Refusal::Unknown));
        };
        let org = Organization::lock(conn, invitation.org_id)?;
        let invitation = store::find(conn, org.id, invitation.id)?.ok_or(AppError::NotFound)?;
        if let Some(refusal) = refusal_for(invitation.state(ctx.now)) {
            return Ok(Err(refusal));
        }
        let email = EmailAddress::parse(&invitation.email)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if User::find_by_email(conn, &email)?.is_some() {
            return Ok(Err(Refusal::AccountExists));
        }
        let user = User::create(conn, &email, name, password_hash)?;
        User::mark_verified(conn, user.id, ctx.now)?;
        let actor = Actor {
            user_id: user.id,
            name: user.name.clone(),
            ..meta.clone()
        };
        Ok(join(conn, &org, &invitation, &user, &actor, ctx)?.map(|joined| (user, joined)))
    })
}

/// The shared end of both accept paths; runs inside their transaction.
fn join(
    conn: &mut PgConnection,
    org: &Organization,
    invitation: &Invitation,
    user: &User,
    actor: &Actor,
    ctx: &Context,
) -> Result<Result<Joined, Refusal>, AppError> {
    if !store::mark_accepted(conn, invitation.id, user.id, ctx.now)? {
        return Ok(Err(Refusal::Used));
    }
    match invitation.project_id {
        None => {
            Membership::create(conn, org.id, user.id, invitation.role)?;
            activity::record(
                conn,
                org.id,
                actor,
                activity::Entry {
                    action: Action::InvitationAccepted,
                    target: Target::invitation(invitation.id, &invitation.email),
                    before: None,
                    after: Some(json!({ "member": user.name, "role": invitation.role.as_str() })),
                },
            )?;
        }
        Some(project_id) => {
            let role = ProjectRole::parse(invitation.role.as_str()).map_err(|_| {
                AppError::Internal("project invitation with an organization role".into())
            })?;
            let project = Project::find(conn, org.id, project_id)?.ok_or(AppError::NotFound)?;
            project_members::create(conn, org.id, project_id, user.id, role)?;
            activity::record(
                conn,
                org.id,
                actor,
                activity::Entry {
                    action: Action::ProjectAccessGranted,
                    target: Target::member(user.id, &user.name),
                    before: None,
                    after: Some(
                        json!({ "project": project.name, "role": role.as_str(), "invitation": invitation.id }),
                    ),
                },
            )?;
        }
    }
    let inviter = invitation
        .invited_by
        .map(|id| User::find(conn, id))
        .transpose()?
        .flatten();
    if let Some(inviter) = inviter
        && let Ok(inviter_email) = EmailAddress::parse(&inviter.email)
    {
        let members_url = format!("{}/orgs/{}/members", ctx.base_url, org.slug);
        let message = emails::accepted(
            &inviter_email,
            &inviter.name,
            &user.name,
            &user.email,
            &org.name,
            invitation.role,
            &members_url,
        )?;
        outbox::enqueue(
            conn,
            Some(org.id),
            "invitation_accepted",
            &message,
            &ctx.base_url,
        )?;
    }
    Ok(Ok(Joined {
        org_slug: org.slug.clone(),
        org_name: org.name.clone(),
        role: invitation.role,
    }))
}
