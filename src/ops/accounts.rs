//! Accounts: signing up, and operator-created accounts.

use diesel::PgConnection;

use super::{OpError, OpResult, account_links, orgs, tx};
use crate::config::Limits;
use crate::domain::activity::Actor;
use crate::domain::{EmailAddress, OrgName, PersonName};
use crate::mail::Context;
use crate::models::user_tokens::Purpose;
use crate::models::users::User;
use crate::models::{login_failures, throttle};

const EMAIL_TAKEN: &str = "An account with this email already exists. Log in instead.";

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

/// After a sign-up with an address that has an account: tells its holder, at most once
/// an hour (anyone can trigger it), and queues nothing otherwise.
pub fn notify_signup_attempt(
    conn: &mut PgConnection,
    email: &EmailAddress,
    ctx: &Context,
) -> OpResult<()> {
    tx(conn, |conn| {
        let Some(user) = User::find_by_email(conn, email)? else {
            return Ok(());
        };
        let key = format!("signup-notice:{}", user.id);
        if throttle::hit(conn, &key, chrono::Duration::hours(1), ctx.now)?.hits > 1 {
            return Ok(());
        }
        let recipient = EmailAddress::parse(&user.email)
            .map_err(|e| OpError::Internal(format!("stored email: {e}")))?;
        let notice = crate::mail::account_links::signup_attempt(&user, recipient, &ctx.base_url)?;
        crate::mail::outbox::enqueue(conn, None, "signup_attempt", &notice, &ctx.base_url)?;
        Ok(())
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
            admin_key: None,
            scim: None,
        };
        let slug = match org {
            Some(name) => Some(orgs::found_in(conn, name, &founder, now)?.slug),
            None => None,
        };
        Ok((user, slug))
    })
}

fn limited(
    window: &throttle::Window,
    length: chrono::Duration,
    now: chrono::DateTime<chrono::Utc>,
    message: &str,
) -> OpError {
    let wait = (window.ends_at(length) - now).to_std().unwrap_or_default();
    OpError::Limit {
        message: message.to_owned(),
        retry_after: Some(wait.max(std::time::Duration::from_secs(1))),
    }
}

/// Counts a sign-up attempt from `ip` before any password is hashed; refuses past the
/// hourly limit (R40, R42).
pub fn count_signup_attempt(
    conn: &mut PgConnection,
    ip: &str,
    limits: &Limits,
    now: chrono::DateTime<chrono::Utc>,
) -> OpResult<()> {
    let hour = chrono::Duration::hours(1);
    let window = throttle::hit(conn, &format!("signup:ip:{ip}"), hour, now)?;
    if window.hits > limits.signups_per_ip_per_hour as i32 {
        return Err(limited(
            &window,
            hour,
            now,
            "Too many sign-ups from your network. Try again later.",
        ));
    }
    Ok(())
}

/// What a log-in attempt may do after it was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    Proceed,
    /// The account had many failures from other addresses: wait before checking.
    SlowDown,
}

const LOGIN_THROTTLED: &str = "Too many failed attempts. Wait 15 minutes and try again.";

fn account_key(email: &EmailAddress, ip: &str) -> String {
    format!("login:account:{}:ip:{ip}", email.normalized())
}

fn ip_key(ip: &str) -> String {
    format!("login:ip:{ip}")
}

/// Counts a log-in attempt before the password is checked, so parallel guesses cannot
/// all pass the check before any failure is written (R41): per account and IP (failures
/// from elsewhere never lock the owner out) and per IP (a larger limit, for addresses
/// many people share). A success gives its attempts back ([`login_succeeded`]).
pub fn count_login_attempt(
    conn: &mut PgConnection,
    email: &EmailAddress,
    ip: &str,
    limits: &Limits,
    now: chrono::DateTime<chrono::Utc>,
) -> OpResult<LoginGate> {
    let length = limits.login_window;
    let by_account = throttle::hit(conn, &account_key(email, ip), length, now)?;
    let by_ip = throttle::hit(conn, &ip_key(ip), length, now)?;
    if by_account.hits > limits.logins_per_account_and_ip as i32 {
        return Err(limited(&by_account, length, now, LOGIN_THROTTLED));
    }
    if by_ip.hits > limits.logins_per_ip as i32 {
        return Err(limited(&by_ip, length, now, LOGIN_THROTTLED));
    }
    let failures = login_failures::recent_for_account(conn, email, now - length)?;
    Ok(if failures >= i64::from(limits.login_slowdown_after) {
        LoginGate::SlowDown
    } else {
        LoginGate::Proceed
    })
}

/// A wrong password: kept for the slow-down across addresses and the log (R33).
pub fn login_failed(conn: &mut PgConnection, email: &EmailAddress, ip: &str) -> OpResult<()> {
    Ok(login_failures::record(conn, email, ip)?)
}

/// A right password forgives the account's earlier typos from this address and gives
/// this attempt back to the address.
pub fn login_succeeded(conn: &mut PgConnection, email: &EmailAddress, ip: &str) -> OpResult<()> {
    tx(conn, |conn| {
        throttle::clear(conn, &account_key(email, ip))?;
        throttle::forgive(conn, &ip_key(ip))?;
        login_failures::clear_for(conn, email)?;
        Ok(())
    })
}
