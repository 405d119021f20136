//! Links mailed to an account: confirming its email address and resetting its password.
//! Like join links, the token is mailed once and stored only as a hash.

use chrono::Duration;
use diesel::prelude::*;

use super::{OpError, OpResult, tx};
use crate::domain::{EmailAddress, PlainToken, TokenHash};
use crate::mail::account_notices::Notice;
use crate::mail::{Context, outbox};
use crate::models::sessions;
use crate::models::user_tokens::{self, Purpose};
use crate::models::users::User;

/// At most this many links of one kind per account and hour; more requests send nothing.
pub const PER_HOUR: i64 = 5;

pub(super) fn path(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::VerifyEmail => "/verify-email/",
        Purpose::ResetPassword => "/password/reset/",
        Purpose::ChangeEmail => "/account/email/",
    }
}

/// Issues a link and queues its email, inside the caller's transaction. Returns the link
/// (for the development log only), or `None` past [`PER_HOUR`] links of this kind: then
/// nothing is sent.
pub(super) fn send(
    conn: &mut PgConnection,
    user: &User,
    purpose: Purpose,
    ctx: &Context,
) -> OpResult<Option<String>> {
    if user_tokens::issued_since(conn, user.id, purpose, ctx.now - Duration::hours(1))? >= PER_HOUR
    {
        return Ok(None);
    }
    let token = PlainToken::generate(purpose.prefix());
    user_tokens::issue(conn, user.id, purpose, &token.hash(), None, ctx.now)?;
    let link = ctx.link(&format!("{}{}", path(purpose), token.expose()));
    let kind = match purpose {
        Purpose::VerifyEmail => "email_verification",
        Purpose::ResetPassword => "password_reset",
        Purpose::ChangeEmail => "email_change",
    };
    let recipient = EmailAddress::parse(&user.email)
        .map_err(|e| OpError::Internal(format!("stored email: {e}")))?;
    let email = crate::mail::account_links::account_link(user, recipient, purpose, &link)?;
    outbox::enqueue(conn, None, kind, &email, &ctx.base_url)?;
    Ok(Some(link))
}

/// Sends the signed-in `user` a new confirmation link; `None` past the hourly limit.
pub fn request_email_confirmation(
    conn: &mut PgConnection,
    user: &User,
    ctx: &Context,
) -> OpResult<Option<String>> {
    tx(conn, |conn| send(conn, user, Purpose::VerifyEmail, ctx))
}

/// Mails a reset link to the account of `email`, if there is one. The answer to the
/// person is the same either way (R24); the link is returned for the development log.
pub fn request_password_reset(
    conn: &mut PgConnection,
    email: &EmailAddress,
    ctx: &Context,
) -> OpResult<Option<String>> {
    tx(conn, |conn| match User::find_by_email(conn, email)? {
        Some(user) => send(conn, &user, Purpose::ResetPassword, ctx),
        None => Ok(None),
    })
}

/// The hash of a link's token, if it has the shape of one of this kind.
pub fn parse(purpose: Purpose, raw: &str) -> Option<TokenHash> {
    PlainToken::parse(purpose.prefix(), raw).map(|t| t.hash())
}

/// What a confirmation link did.
#[derive(Debug)]
pub enum Confirmation {
    Confirmed(User),
    /// Used, expired or unknown.
    Invalid,
    /// The link is live but belongs to another account than the one signed in: nothing
    /// was used up.
    OtherAccount,
}

/// Confirms the address of the link's account, only for a session of that account
/// (R43): whoever signed up with someone else's address would otherwise have it
/// confirmed by its unsuspecting owner clicking the mailed button, and could then take
/// invitations meant for them (pre-account takeover). A signed-out owner proves the
/// mailbox by resetting the password instead, which ends every other session.
pub fn verify(
    conn: &mut PgConnection,
    hash: &TokenHash,
    signed_in: uuid::Uuid,
    ctx: &Context,
) -> OpResult<Confirmation> {
    tx(conn, |conn| {
        match user_tokens::holder(conn, Purpose::VerifyEmail, hash, ctx.now)? {
            None => return Ok(Confirmation::Invalid),
            Some(holder) if holder != signed_in => return Ok(Confirmation::OtherAccount),
            Some(_) => {}
        }
        let Some(user_id) = user_tokens::consume(conn, Purpose::VerifyEmail, hash, ctx.now)? else {
            return Ok(Confirmation::Invalid);
        };
        User::mark_verified(conn, user_id, ctx.now)?;
        Ok(User::find(conn, user_id)?.map_or(Confirmation::Invalid, Confirmation::Confirmed))
    })
}

/// Sets the new password, ends every session of the account (R24) and tells the account
/// (a security notice); the link also proves the mailbox. `None` for a used, expired or
/// unknown link.
pub fn reset_password(
    conn: &mut PgConnection,
    hash: &TokenHash,
    password_hash: &str,
    ctx: &Context,
) -> OpResult<Option<User>> {
    tx(conn, |conn| {
        let Some(user_id) = user_tokens::consume(conn, Purpose::ResetPassword, hash, ctx.now)?
        else {
            return Ok(None);
        };
        User::set_password_hash(conn, user_id, password_hash)?;
        User::mark_verified(conn, user_id, ctx.now)?;
        let ended = sessions::delete_all_for_user(conn, user_id)?;
        let Some(user) = User::find(conn, user_id)? else {
            return Ok(None);
        };
        let changed = Notice::PasswordChanged {
            other_sessions_ended: ended,
        };
        super::sessions::send_notice(conn, &user, &user.email, &changed, ctx)?;
        Ok(Some(user))
    })
}
