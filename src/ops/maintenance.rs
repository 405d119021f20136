//! Periodic clean-up that the server runs by itself.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;

use super::OpResult;
use crate::models::{login_failures, sessions, throttle};

/// Deletes expired sessions, and login failures and throttle windows older than a day
/// (no window is longer). Returns how many sessions and failures were deleted.
pub fn purge_expired(conn: &mut PgConnection, now: DateTime<Utc>) -> OpResult<(usize, usize)> {
    let sessions = sessions::delete_expired(conn, now)?;
    let failures = login_failures::delete_before(conn, now - Duration::days(1))?;
    throttle::delete_before(conn, now - Duration::days(1))?;
    Ok((sessions, failures))
}
