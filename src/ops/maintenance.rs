//! Periodic clean-up that the server runs by itself.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;

use super::OpResult;
use crate::models::{login_failures, sessions};

/// Deletes expired sessions and login failures older than a day. Returns how many of
/// each were deleted.
pub fn purge_expired(conn: &mut PgConnection, now: DateTime<Utc>) -> OpResult<(usize, usize)> {
    let sessions = sessions::delete_expired(conn, now)?;
    let failures = login_failures::delete_before(conn, now - Duration::days(1))?;
    Ok((sessions, failures))
}
