//! Two-factor sign-in of one account: setting it up, checking codes when signing in,
//! turning it off. The secret is sealed with `SECRETS_KEY` and never leaves this module
//! in clear except to the setup page of its own account.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, tx};
use crate::domain::EmailAddress;
use crate::domain::activity::{Actor, Event, Person};
use crate::domain::sealed::SecretsKey;
use crate::domain::totp::{RECOVERY_CODE_COUNT, RecoveryCode, SubmittedCode, TotpSecret};
use crate::mail::{Context, outbox};
use crate::models::two_factor::{self as store, TwoFactorSecret};
use crate::models::users::User;
use crate::models::{activity, throttle};

/// Wrong codes accepted per account in [`CODE_WINDOW_MINUTES`]; the next attempt waits
/// for the window to end.
pub const CODE_ATTEMPTS: i32 = 5;
pub const CODE_WINDOW_MINUTES: i64 = 15;

const WRONG_CODE: &str =
    "That code is not right. Enter the code your authenticator app shows now, or a recovery code.";
const REUSED_CODE: &str =
    "That code was already used. Wait for your authenticator app to show the next one.";
const ALREADY_ON: &str = "Two-factor authentication is already on for your account.";
const NOT_STARTED: &str =
    "This setup has ended. Start again with \"Set up two-factor authentication\".";
const NOT_ON: &str = "Two-factor authentication is not on for your account.";

/// The account's two-factor state, for its security page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub recovery_codes_left: i64,
}

pub fn status(conn: &mut PgConnection, user_id: Uuid) -> OpResult<Status> {
    let enabled = store::is_enabled(conn, user_id)?;
    let recovery_codes_left = if enabled {
        store::recovery_codes_left(conn, user_id)?
    } else {
        0
    };
    Ok(Status {
        enabled,
        recovery_codes_left,
    })
}

/// What the setup page shows: the secret as text, and the URI its QR code carries.
pub struct PendingSetup {
    pub secret: TotpSecret,
    pub uri: String,
}

fn open(key: &SecretsKey, row: &TwoFactorSecret) -> OpResult<TotpSecret> {
    key.open(&row.secret_encrypted, row.user_id.as_bytes())
        .map(TotpSecret::from_bytes)
        .map_err(|e| OpError::Internal(e.to_string()))
}

/// "Set up two-factor authentication": a new secret, sealed, not active until a code
/// from it is confirmed. Starting again replaces an unconfirmed one.
pub fn begin_setup(conn: &mut PgConnection, user_id: Uuid, key: &SecretsKey) -> OpResult<()> {
    let secret = TotpSecret::generate();
    let sealed = key.seal(secret.as_bytes(), user_id.as_bytes());
    if !store::put_pending(conn, user_id, &sealed)? {
        return Err(OpError::refused(ALREADY_ON));
    }
    Ok(())
}

/// The unconfirmed setup of `user`, if there is one.
pub fn pending_setup(
    conn: &mut PgConnection,
    user: &User,
    key: &SecretsKey,
) -> OpResult<Option<PendingSetup>> {
    let Some(row) = store::find(conn, user.id)?.filter(|r| r.enabled_at.is_none()) else {
        return Ok(None);
    };
    let secret = open(key, &row)?;
    let uri = secret.otpauth_uri(&user.email);
    Ok(Some(PendingSetup { secret, uri }))
}

/// Confirms the setup with a code from the app: two-factor sign-in is on from now, the
/// code is used, and 10 new recovery codes are returned (shown once, stored hashed).
pub fn confirm_setup(
    conn: &mut PgConnection,
    actor: &Actor,
    code: &str,
    key: &SecretsKey,
    now: DateTime<Utc>,
) -> OpResult<Vec<RecoveryCode>> {
    tx(conn, |conn| {
        let row = match store::find(conn, actor.user_id)? {
            Some(row) if row.enabled_at.is_some() => return Err(OpError::refused(ALREADY_ON)),
            Some(row) => row,
            None => return Err(OpError::refused(NOT_STARTED)),
        };
        let secret = open(key, &row)?;
        let step = secret
            .matching_step(code, now, row.last_used_step)
            .ok_or_else(|| OpError::Invalid(WRONG_CODE.into()))?;
        if !store::use_step(conn, actor.user_id, step)? || !store::enable(conn, actor.user_id, now)?
        {
            return Err(OpError::refused(NOT_STARTED));
        }
        let codes: Vec<RecoveryCode> = (0..RECOVERY_CODE_COUNT)
            .map(|_| RecoveryCode::generate())
            .collect();
        let hashes: Vec<Vec<u8>> = codes.iter().map(RecoveryCode::hash).collect();
        store::replace_recovery_codes(conn, actor.user_id, &hashes)?;
        record_everywhere(
            conn,
            actor,
            &Event::TwoFactorEnabled {
                account: person(actor),
            },
        )?;
        Ok(codes)
    })
}

fn person(actor: &Actor) -> Person {
    Person {
        id: actor.user_id,
        name: actor.name.clone(),
    }
}

/// An account-wide change goes into the log of every organization the account is in.
fn record_everywhere(conn: &mut PgConnection, actor: &Actor, event: &Event) -> OpResult<()> {
    for org_id in store::org_ids_of_user(conn, actor.user_id)? {
        activity::record(conn, org_id, actor, event)?;
    }
    Ok(())
}

fn attempts_key(user_id: Uuid) -> String {
    format!("2fa:user:{user_id}")
}

/// Counts a code attempt of the account before the code is checked, so that parallel
/// guesses cannot all pass before a failure is written (R41); past [`CODE_ATTEMPTS`]
/// in the window, refuses and says until when. Not inside a transaction: a refused
/// code must still count.
pub fn count_code_attempt(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> OpResult<()> {
    let length = Duration::minutes(CODE_WINDOW_MINUTES);
    let window = throttle::hit(conn, &attempts_key(user_id), length, now)?;
    if window.hits <= CODE_ATTEMPTS {
        return Ok(());
    }
    let until = window.ends_at(length);
    Err(OpError::Limit {
        message: format!(
            "Too many wrong codes. Two-factor sign-in for this account is locked until {} UTC.",
            until.format("%H:%M")
        ),
        retry_after: Some(
            (until - now)
                .to_std()
                .unwrap_or_default()
                .max(std::time::Duration::from_secs(1)),
        ),
    })
}

/// Checks a code of an account with two-factor sign-in on: an app code of a step later
/// than the last used one, or an unused recovery code; either is used up by passing.
fn check_code(
    conn: &mut PgConnection,
    user_id: Uuid,
    code: &SubmittedCode,
    key: &SecretsKey,
    now: DateTime<Utc>,
) -> OpResult<()> {
    let row = store::find(conn, user_id)?
        .filter(|r| r.enabled_at.is_some())
        .ok_or_else(|| OpError::refused(NOT_ON))?;
    match code {
        SubmittedCode::Totp(code) => {
            let secret = open(key, &row)?;
            let Some(step) = secret.matching_step(code, now, row.last_used_step) else {
                let reused = secret.matching_step(code, now, None).is_some();
                return Err(OpError::Invalid(
                    if reused { REUSED_CODE } else { WRONG_CODE }.into(),
                ));
            };
            if !store::use_step(conn, user_id, step)? {
                return Err(OpError::Invalid(REUSED_CODE.into()));
            }
        }
        SubmittedCode::Recovery(code) => {
            if !store::use_recovery_code(conn, user_id, &code.hash(), now)? {
                return Err(OpError::Invalid(WRONG_CODE.into()));
            }
        }
    }
    // A right code gives its attempt back.
    throttle::forgive(conn, &attempts_key(user_id))?;
    Ok(())
}

/// The second step of signing in; the caller counted the attempt first
/// ([`count_code_attempt`]).
pub fn verify_sign_in(
    conn: &mut PgConnection,
    user_id: Uuid,
    code: &SubmittedCode,
    key: &SecretsKey,
    now: DateTime<Utc>,
) -> OpResult<()> {
    tx(conn, |conn| check_code(conn, user_id, code, key, now))
}

/// "Turn off two-factor authentication", after the caller checked the current password
/// and counted the attempt: needs a valid code, removes the secret and the recovery
/// codes, records it in every organization of the account and mails a security notice.
pub fn turn_off(
    conn: &mut PgConnection,
    actor: &Actor,
    user: &User,
    code: &SubmittedCode,
    key: &SecretsKey,
    ctx: &Context,
) -> OpResult<()> {
    tx(conn, |conn| {
        check_code(conn, user.id, code, key, ctx.now)?;
        store::delete(conn, user.id)?;
        record_everywhere(
            conn,
            actor,
            &Event::TwoFactorDisabled {
                account: person(actor),
            },
        )?;
        let recipient = EmailAddress::parse(&user.email)
            .map_err(|e| OpError::Internal(format!("stored email: {e}")))?;
        let notice = crate::mail::two_factor::disabled_notice(
            &user.name,
            recipient,
            &ctx.base_url,
            ctx.now,
        )?;
        outbox::enqueue(conn, None, "two_factor_disabled", &notice, &ctx.base_url)?;
        Ok(())
    })
}

/// Whether the account signs in with a second factor.
pub fn is_enabled(conn: &mut PgConnection, user_id: Uuid) -> OpResult<bool> {
    Ok(store::is_enabled(conn, user_id)?)
}
