//! What a person changes about their own account: name, email address, password.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::sessions::send_notice;
use super::{OpError, OpResult, account_links, tx};
use crate::config::Limits;
use crate::domain::{EmailAddress, PersonName, PlainToken, TokenHash};
use crate::mail::account_notices::Notice;
use crate::mail::{Context, outbox};
use crate::models::user_tokens::{self, Purpose};
use crate::models::users::User;
use crate::models::{sessions, throttle};

/// At most this many change-of-address links per account and hour.
pub const EMAIL_CHANGES_PER_HOUR: i64 = 5;

const EMAIL_TAKEN: &str =
    "Another account already uses this address. Choose another one, or sign in to that account.";

pub fn rename(conn: &mut PgConnection, user_id: Uuid, name: &PersonName) -> OpResult<User> {
    Ok(User::rename(conn, user_id, name)?)
}

/// Counts a check of the current password (changing the password or the address) before
/// it is hashed: a stolen session must not become a way to guess the password (R41).
pub fn count_password_check(
    conn: &mut PgConnection,
    user_id: Uuid,
    limits: &Limits,
    now: DateTime<Utc>,
) -> OpResult<()> {
    let window = limits.login_window;
    let hits = throttle::hit(conn, &format!("password-check:{user_id}"), window, now)?;
    if hits.hits > limits.logins_per_account_and_ip as i32 {
        let wait = (hits.ends_at(window) - now).to_std().unwrap_or_default();
        return Err(OpError::Limit {
            message: "Too many wrong passwords. Wait 15 minutes and try again.".into(),
            retry_after: Some(wait.max(std::time::Duration::from_secs(1))),
        });
    }
    Ok(())
}

/// Mails a link to `new_email` that makes it the account's address once opened; nothing
/// changes before. Returns the link (for the development log only).
pub fn request_email_change(
    conn: &mut PgConnection,
    user: &User,
    new_email: &EmailAddress,
    ctx: &Context,
) -> OpResult<String> {
    tx(conn, |conn| {
        if user.email.to_lowercase() == new_email.normalized() {
            return Err(OpError::Invalid("This is already your address.".into()));
        }
        // Saying that the address is taken is the point of the answer; which account
        // holds it is not said.
        if User::find_by_email(conn, new_email)?.is_some() {
            return Err(OpError::Conflict(EMAIL_TAKEN.into()));
        }
        let since = ctx.now - Duration::hours(1);
        if user_tokens::issued_since(conn, user.id, Purpose::ChangeEmail, since)?
            >= EMAIL_CHANGES_PER_HOUR
        {
            return Err(OpError::Limit {
                message: "You asked for several address changes in the last hour. Try again later."
                    .into(),
                retry_after: Some(std::time::Duration::from_secs(3600)),
            });
        }
        let token = PlainToken::generate(Purpose::ChangeEmail.prefix());
        let hash = token.hash();
        let new = Some(new_email.as_str());
        user_tokens::issue(conn, user.id, Purpose::ChangeEmail, &hash, new, ctx.now)?;
        let path = account_links::path(Purpose::ChangeEmail);
        let link = ctx.link(&format!("{path}{}", token.expose()));
        let email = crate::mail::account_links::account_link(
            user,
            new_email.clone(),
            Purpose::ChangeEmail,
            &link,
        )?;
        outbox::enqueue(conn, None, "email_change", &email, &ctx.base_url)?;
        Ok(link)
    })
}

/// What opening a change-of-address link did.
#[derive(Debug)]
pub enum EmailChange {
    Changed {
        old_email: String,
        user: User,
    },
    /// Used, expired or unknown.
    Invalid,
    /// The link is live but belongs to another account than the one signed in: nothing
    /// was used up.
    OtherAccount,
}

/// Makes the link's address the account's, only for a session of that account (as for
/// confirming an address, R43), and tells the old address, without a link. Pending
/// invitations stay with the address they were sent to.
pub fn confirm_email_change(
    conn: &mut PgConnection,
    hash: &TokenHash,
    signed_in: Uuid,
    ctx: &Context,
) -> OpResult<EmailChange> {
    tx(conn, |conn| {
        match user_tokens::holder(conn, Purpose::ChangeEmail, hash, ctx.now)? {
            None => return Ok(EmailChange::Invalid),
            Some(holder) if holder != signed_in => return Ok(EmailChange::OtherAccount),
            Some(_) => {}
        }
        let Some((user_id, Some(new_email))) = user_tokens::consume_change(conn, hash, ctx.now)?
        else {
            return Ok(EmailChange::Invalid);
        };
        let new_email = EmailAddress::parse(&new_email)
            .map_err(|e| OpError::Internal(format!("stored email: {e}")))?;
        let before = User::find(conn, user_id)?.ok_or(OpError::NotFound)?;
        let user = User::change_email(conn, user_id, &new_email, ctx.now)
            .map_err(|e| OpError::taken(e, EMAIL_TAKEN))?;
        let changed = Notice::EmailChanged {
            new_email: user.email.clone(),
        };
        // The notice names the account by its old address, which is where it goes.
        send_notice(conn, &before, &before.email, &changed, ctx)?;
        Ok(EmailChange::Changed {
            old_email: before.email,
            user,
        })
    })
}

/// Sets a new password (the caller checked the current one), ends every other session
/// of the account, and tells the account. Returns how many sessions ended.
pub fn change_password(
    conn: &mut PgConnection,
    user_id: Uuid,
    current_session: Uuid,
    password_hash: &str,
    ctx: &Context,
) -> OpResult<usize> {
    tx(conn, |conn| {
        let user = User::find(conn, user_id)?.ok_or(OpError::NotFound)?;
        User::set_password_hash(conn, user_id, password_hash)?;
        let ended = sessions::delete_others_of_user(conn, user_id, current_session)?;
        let changed = Notice::PasswordChanged {
            other_sessions_ended: ended,
        };
        send_notice(conn, &user, &user.email, &changed, ctx)?;
        Ok(ended)
    })
}
