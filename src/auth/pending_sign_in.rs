//! The state between the two steps of a sign-in with two-factor authentication: the
//! password of account X was right a moment ago. The session is not signed in (no user
//! id in it, so no page opens); only a valid code turns it into a signed-in session.

use actix_session::{Session, SessionExt};
use actix_web::HttpRequest;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

const KEY: &str = "password_verified";
/// How long the code step waits after the password.
const LIFETIME_MINUTES: i64 = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordVerified {
    pub user_id: Uuid,
    /// The address typed at the first step (its password throttle is cleared at the end).
    pub email: String,
    /// Where to go once signed in (already checked by `safe_next`).
    pub next: String,
    pub until: DateTime<Utc>,
}

fn session(req: &HttpRequest) -> Session {
    req.get_session()
}

/// After the password: a new session id holding only this state (R20).
pub fn start(
    req: &HttpRequest,
    user_id: Uuid,
    email: &str,
    next: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let session = session(req);
    session.clear();
    session.renew();
    let state = PasswordVerified {
        user_id,
        email: email.to_owned(),
        next: next.to_owned(),
        until: now + Duration::minutes(LIFETIME_MINUTES),
    };
    session
        .insert(KEY, state)
        .map_err(|_| AppError::Internal("session state".into()))
}

/// The state, when there is one that has not expired.
pub fn current(req: &HttpRequest, now: DateTime<Utc>) -> Option<PasswordVerified> {
    let session = session(req);
    if !session.contains_key(KEY) {
        return None;
    }
    session
        .get::<PasswordVerified>(KEY)
        .ok()
        .flatten()
        .filter(|state| state.until > now)
}

/// Ends the state (signing in replaces the whole session anyway).
pub fn end(req: &HttpRequest) {
    session(req).remove(KEY);
}
