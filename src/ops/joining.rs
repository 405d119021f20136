//! The invitee's side: what a join link leads to, and accepting it as an existing or a
//! new account, re-checked under the organization lock (R12, R14, R15).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{OpError, OpResult, tx};
use crate::domain::activity::{Actor, Event, Person};
use crate::domain::{EmailAddress, ProjectRole, Role, TokenHash};
use crate::mail::invitations as emails;
use crate::mail::{Context, outbox};
use crate::models::activity;
use crate::models::invitations::{self as store, Invitation, State};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;
use crate::models::project_members;
use crate::models::projects::Project;
use crate::models::two_factor;
use crate::models::users::User;

/// Why a join link cannot be used right now; each case gets its own page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Expired,
    Cancelled,
    Used,
    /// Signed in as another address than the invited one.
    WrongAccount,
    AlreadyMember,
    /// "Create account and join" for an address that already has an account.
    AccountExists,
    /// The organization requires two-factor sign-in and the account has none: set it
    /// up, then accept. `new_account` is the account "Create account and join" just
    /// made (it stays, verified by the link, and is signed in to do that).
    TwoFactorRequired {
        new_account: Option<Uuid>,
    },
}

/// Where an accepted invitation leads.
#[derive(Debug, Clone)]
pub struct Joined {
    pub org_slug: String,
    pub org_name: String,
    pub role: Role,
    /// Set for project-only access: the organization's pages are not theirs to open.
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
}

impl Joined {
    /// The confirmation on the first page.
    pub fn welcome(&self) -> String {
        match &self.project_name {
            Some(project) => format!(
                "Welcome! You joined the project {project} in {} as {}.",
                self.org_name,
                self.role.with_article()
            ),
            None => format!(
                "Welcome to {}! You joined as {}.",
                self.org_name,
                self.role.with_article()
            ),
        }
    }

    /// The first page of the new member: the Members page, or their project.
    pub fn landing(&self) -> String {
        match self.project_id {
            Some(project) => format!("/orgs/{}/projects/{project}", self.org_slug),
            None => format!("/orgs/{}/members", self.org_slug),
        }
    }
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

/// The token's invitation, re-read under its organization's lock, if it can still be
/// used; else why not.
fn pending_under_lock(
    conn: &mut PgConnection,
    token: &TokenHash,
    ctx: &Context,
) -> OpResult<Result<(Organization, Invitation), Refusal>> {
    let Some((invitation, _)) = store::find_by_token(conn, token)? else {
        return Ok(Err(Refusal::Unknown));
    };
    // A deleted organization's invitations were cancelled with it.
    let Some(org) = Organization::lock(conn, invitation.org_id).optional()? else {
        return Ok(Err(Refusal::Cancelled));
    };
    let invitation = store::find(conn, org.id, invitation.id)?.ok_or(OpError::NotFound)?;
    Ok(match refusal_for(invitation.state(ctx.now)) {
        Some(refusal) => Err(refusal),
        None => Ok((org, invitation)),
    })
}

/// Accepts for `user`, re-checking everything under the organization lock (R15). The
/// link was mailed to the invited address, so opening it proves that mailbox: an account
/// with that address whose address was not confirmed yet is confirmed by accepting,
/// as "Create account and join" does (R14). Whoever signed up with someone else's
/// address never receives the link; the owner takes the address back with a password
/// reset, which ends every other session (R43).
pub fn accept(
    conn: &mut PgConnection,
    token: &TokenHash,
    user: &User,
    meta: &Actor,
    ctx: &Context,
) -> OpResult<Result<Joined, Refusal>> {
    tx(conn, |conn| {
        let (org, invitation) = match pending_under_lock(conn, token, ctx)? {
            Ok(found) => found,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if invitation.email.to_lowercase() != user.email.to_lowercase() {
            return Ok(Err(Refusal::WrongAccount));
        }
        let member = Membership::find(conn, org.id, user.id)?.is_some();
        if member || project_members::find(conn, org.id, user.id)?.is_some() {
            return Ok(Err(Refusal::AlreadyMember));
        }
        let joined = join(conn, &org, &invitation, user, meta, ctx)?;
        if joined.is_ok() {
            User::mark_verified(conn, user.id, ctx.now)?;
        }
        Ok(joined)
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
) -> OpResult<Result<(User, Joined), Refusal>> {
    tx(conn, |conn| {
        let (org, invitation) = match pending_under_lock(conn, token, ctx)? {
            Ok(found) => found,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let email =
            EmailAddress::parse(&invitation.email).map_err(|e| OpError::Internal(e.to_string()))?;
        if User::find_by_email(conn, &email)?.is_some() {
            return Ok(Err(Refusal::AccountExists));
        }
        let user = User::create(conn, &email, name, password_hash)?;
        User::mark_verified(conn, user.id, ctx.now)?;
        if org.require_two_factor {
            return Ok(Err(Refusal::TwoFactorRequired {
                new_account: Some(user.id),
            }));
        }
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
) -> OpResult<Result<Joined, Refusal>> {
    if org.require_two_factor && !two_factor::is_enabled(conn, user.id)? {
        return Ok(Err(Refusal::TwoFactorRequired { new_account: None }));
    }
    if !store::mark_accepted(conn, invitation.id, user.id, ctx.now)? {
        return Ok(Err(Refusal::Used));
    }
    let project_name = match invitation.project_id {
        None => {
            Membership::create(conn, org.id, user.id, invitation.role)?;
            let event = Event::InvitationAccepted {
                invitation: invitation.id,
                email: invitation.email.clone(),
                member: user.name.clone(),
                role: invitation.role,
            };
            activity::record(conn, org.id, actor, &event)?;
            None
        }
        Some(project_id) => {
            let role = ProjectRole::parse(invitation.role.as_str()).map_err(|_| {
                OpError::Internal("project invitation with an organization role".into())
            })?;
            let project = Project::find(conn, org.id, project_id)?.ok_or(OpError::NotFound)?;
            project_members::create(
                conn,
                org.id,
                project_id,
                user.id,
                role,
                invitation.access_until,
            )?;
            let event = Event::ProjectAccessGranted {
                member: Person {
                    id: user.id,
                    name: user.name.clone(),
                },
                project: project.name.clone(),
                role,
                invitation: Some(invitation.id),
            };
            activity::record(conn, org.id, actor, &event)?;
            Some(project.name)
        }
    };
    let inviter = invitation
        .invited_by
        .map(|id| User::find(conn, id))
        .transpose()?
        .flatten();
    // Not about security: the inviter may have turned such emails off.
    let inviter = match inviter {
        Some(inviter) if super::alerts::wants_non_security_email(conn, inviter.id)? => {
            Some(inviter)
        }
        _ => None,
    };
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
        project_id: invitation.project_id,
        project_name,
    }))
}
