//! Links mailed to an account: confirming its email address and resetting its password.
//! Like join links, the token is mailed once and stored only as a hash.

use askama::Template;
use chrono::Duration;
use diesel::prelude::*;

use crate::domain::{EmailAddress, PlainToken, TokenHash};
use crate::error::AppError;
use crate::mail::{Context, Email, outbox};
use crate::models::sessions;
use crate::models::user_tokens::{self, Purpose};
use crate::models::users::User;

/// At most this many links of one kind per account and hour; more requests send nothing.
pub const PER_HOUR: i64 = 5;

#[derive(Template)]
#[template(path = "mail/verify_email.txt")]
struct VerifyText<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/verify_email.html")]
struct VerifyHtml<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct ResetText<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct ResetHtml<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
}

fn email_for(user: &User, purpose: Purpose, link: &str) -> Result<Email, AppError> {
    let (name, email) = (user.name.as_str(), user.email.as_str());
    let (subject, text, html) = match purpose {
        Purpose::VerifyEmail => (
            "Confirm your email address for Teamwork",
            VerifyText { name, email, link }.render()?,
            VerifyHtml { name, email, link }.render()?,
        ),
        Purpose::ResetPassword => (
            "Reset your Teamwork password",
            ResetText { name, email, link }.render()?,
            ResetHtml { name, email, link }.render()?,
        ),
    };
    Ok(Email {
        recipient: EmailAddress::parse(email)
            .map_err(|e| AppError::Internal(format!("stored email: {e}")))?,
        name: Some(user.name.clone()),
        subject: subject.to_owned(),
        text,
        html,
    })
}

fn path(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::VerifyEmail => "/verify-email/",
        Purpose::ResetPassword => "/password/reset/",
    }
}

/// Issues a link and queues its email, inside the caller's transaction. Returns the link
/// (for the development log only), or `None` past [`PER_HOUR`] links of this kind: then
/// nothing is sent.
pub fn send(
    conn: &mut PgConnection,
    user: &User,
    purpose: Purpose,
    ctx: &Context,
) -> Result<Option<String>, AppError> {
    if user_tokens::issued_since(conn, user.id, purpose, ctx.now - Duration::hours(1))? >= PER_HOUR
    {
        return Ok(None);
    }
    let token = PlainToken::generate(purpose.prefix());
    user_tokens::issue(conn, user.id, purpose, &token.hash(), ctx.now)?;
    let link = ctx.link(&format!("{}{}", path(purpose), token.expose()));
    let kind = match purpose {
        Purpose::VerifyEmail => "email_verification",
        Purpose::ResetPassword => "password_reset",
    };
    outbox::enqueue(
        conn,
        None,
        kind,
        &email_for(user, purpose, &link)?,
        &ctx.base_url,
    )?;
    Ok(Some(link))
}

/// The hash of a link's token, if it has the shape of one of this kind.
pub fn parse(purpose: Purpose, raw: &str) -> Option<TokenHash> {
    PlainToken::parse(purpose.prefix(), raw).map(|t| t.hash())
}

/// Confirms the address of the link's account; `None` for a used, expired or unknown link.
pub fn verify(
    conn: &mut PgConnection,
    hash: &TokenHash,
    ctx: &Context,
) -> Result<Option<User>, AppError> {
    conn.transaction(|conn| {
        let Some(user_id) = user_tokens::consume(conn, Purpose::VerifyEmail, hash, ctx.now)? else {
            return Ok(None);
        };
        User::mark_verified(conn, user_id, ctx.now)?;
        Ok(User::find(conn, user_id)?)
    })
}

/// Sets the new password and ends every session of the account (R24); the link also
/// proves the mailbox. `None` for a used, expired or unknown link.
pub fn reset_password(
    conn: &mut PgConnection,
    hash: &TokenHash,
    password_hash: &str,
    ctx: &Context,
) -> Result<Option<User>, AppError> {
    conn.transaction(|conn| {
        let Some(user_id) = user_tokens::consume(conn, Purpose::ResetPassword, hash, ctx.now)?
        else {
            return Ok(None);
        };
        User::set_password_hash(conn, user_id, password_hash)?;
        User::mark_verified(conn, user_id, ctx.now)?;
        sessions::delete_all_for_user(conn, user_id)?;
        Ok(User::find(conn, user_id)?)
    })
}
