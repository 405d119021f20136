//! Accounts: signing up, and operator-created accounts.

use diesel::PgConnection;

use super::{OpError, OpResult, account_links, orgs, tx};
use crate::domain::activity::Actor;
use crate::domain::{EmailAddress, OrgName, PersonName};
use crate::mail::Context;
use crate::models::user_tokens::Purpose;
use crate::models::users::User;

pub const EMAIL_TAKEN: &str = "An account with this email already exists. Log in instead.";

/// A new account and its confirmation email, committed together. Returns the account
/// and the confirmation link (for the development log only).
pub fn sign_up(
    conn: &mut PgConnection,
    email: &EmailAddress,
    name: &PersonName,
    password_hash: &str,
    ctx: &Context,
) -> OpResult<(User, Option<String>)> {
    tx(conn, |conn| {
        let user = User::create(conn, email, name, password_hash)
            .map_err(|e| OpError::taken(e, EMAIL_TAKEN))?;
        let link = account_links::send(conn, &user, Purpose::VerifyEmail, ctx)?;
        Ok((user, link))
    })
}

/// `teamwork create-admin`: an account, and optionally an organization it administers.
/// Returns the account and the organization's slug.
pub fn create_admin(
    conn: &mut PgConnection,
    email: &EmailAddress,
    name: &PersonName,
    password_hash: &str,
    org: Option<&OrgName>,
    now: chrono::DateTime<chrono::Utc>,
) -> OpResult<(User, Option<String>)> {
    tx(conn, |conn| {
        let user = User::create(conn, email, name, password_hash)
            .map_err(|e| OpError::taken(e, EMAIL_TAKEN))?;
        let founder = Actor {
            user_id: user.id,
            name: user.name.clone(),
            ip: None,
            user_agent: Some("teamwork create-admin".into()),
        };
        let slug = match org {
            Some(name) => Some(orgs::found_in(conn, name, &founder, now)?.slug),
            None => None,
        };
        Ok((user, slug))
    })
}
