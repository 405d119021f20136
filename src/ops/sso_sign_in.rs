//! Signing in through an organization's identity provider: the just-in-time account
//! and membership, and the administrators' break-glass past "Require SSO".

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked};
use crate::domain::activity::{Actor, Event, Person};
use crate::domain::sso::DomainName;
use crate::domain::{EmailAddress, PersonName, Role};
use crate::models::memberships::{self, Membership};
use crate::models::users::User;
use crate::models::{activity, sso, two_factor};

/// No password hash can match this: an account created by single sign-on signs in
/// through its provider (or sets a password with "Forgot your password?").
pub(crate) const NO_PASSWORD: &str = "!sso";

/// What the provider vouched for, checked by `sso::oidc`.
pub struct Vouched {
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// The provider vouched for this person: find or create their account and make them a
/// member with the default role if they are not one. Returns the account to sign in.
/// Refused: an address the provider has not verified, an address outside the
/// organization's verified domains, or an existing account whose address is not
/// confirmed (it could belong to someone else who typed it).
pub fn sign_in(
    conn: &mut PgConnection,
    org_id: Uuid,
    vouched: &Vouched,
    meta: &Actor,
    now: DateTime<Utc>,
) -> OpResult<Uuid> {
    if !vouched.email_verified {
        return Err(OpError::refused(
            "Your identity provider has not verified your email address, so it cannot be used to sign in here. Ask your administrator.",
        ));
    }
    let email = EmailAddress::parse(&vouched.email).map_err(|_| {
        OpError::refused("Your identity provider sent an address this console cannot use.")
    })?;
    let domain = DomainName::of_email(email.as_str()).ok_or_else(|| {
        OpError::refused("Your identity provider sent an address without a domain.")
    })?;
    locked(conn, org_id, |conn, org| {
        let connection = sso::lock(conn, org_id)?
            .filter(|c| c.active)
            .ok_or_else(|| {
                OpError::refused("Single sign-on is not turned on for this organization.")
            })?;
        if !sso::is_verified_by(conn, org_id, domain.as_str())? {
            return Err(OpError::refused(format!(
                "{} is not a verified domain of {}: sign in with your password, or ask your administrator.",
                domain.as_str(),
                org.name
            )));
        }
        let (user, linked) = match User::find_by_email(conn, &email)? {
            Some(user) if user.email_verified_at.is_none() => {
                return Err(OpError::refused(
                    "An account with this address exists but its address was never confirmed. Log in with its password and confirm the address first.",
                ));
            }
            Some(user) => (user, true),
            None => {
                let name = vouched
                    .name
                    .as_deref()
                    .and_then(|n| PersonName::parse(n).ok())
                    .or_else(|| {
                        let local = email.as_str().split('@').next().unwrap_or_default();
                        PersonName::parse(local).ok()
                    })
                    .ok_or_else(|| OpError::Internal("no usable name".into()))?;
                let user = User::create(conn, &email, &name, NO_PASSWORD)
                    .map_err(|e| OpError::taken(e, "An account with this address exists."))?;
                User::mark_verified(conn, user.id, now)?;
                (user, false)
            }
        };
        if memberships::current_access(conn, org_id, user.id)?.is_none() {
            let role = connection.default_role;
            Membership::create(conn, org_id, user.id, role)?;
            let actor = Actor {
                user_id: user.id,
                name: user.name.clone(),
                ..meta.clone()
            };
            let event = Event::JoinedViaSso {
                member: Person {
                    id: user.id,
                    name: user.name.clone(),
                },
                email: user.email.clone(),
                role,
                linked,
            };
            activity::record(conn, org_id, &actor, &event)?;
        }
        Ok(user.id)
    })
}

/// Break-glass: an administrator with two-factor sign-in, signed in with password and
/// code, reaches an organization that requires single sign-on. Recorded every time.
pub fn bypass(conn: &mut PgConnection, org_id: Uuid, actor: &Actor) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        let role = Membership::find(conn, org_id, actor.user_id)?
            .ok_or(OpError::NotFound)?
            .role;
        if role != Role::Administrator || !two_factor::is_enabled(conn, actor.user_id)? {
            return Err(OpError::refused(
                "Only administrators who signed in with a password and a two-factor code can continue without single sign-on.",
            ));
        }
        let event = Event::SsoBypassed {
            org: org_id,
            org_name: org.name.clone(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}
