//! Periodic clean-up that the server runs by itself.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;

use super::OpResult;
use crate::models::{
    activity, admin_api_requests, login_failures, org_deletion, sessions, throttle, usage_charges,
    usage_storage,
};

/// Deletes expired sessions, login failures and throttle windows older than a day (no
/// window is longer), and usage request ids older than 7 days (how long a retry is
/// recognized). Returns how many sessions and failures were deleted.
pub fn purge_expired(conn: &mut PgConnection, now: DateTime<Utc>) -> OpResult<(usize, usize)> {
    let sessions = sessions::delete_expired(conn, now)?;
    let failures = login_failures::delete_before(conn, now - Duration::days(1))?;
    throttle::delete_before(conn, now - Duration::days(1))?;
    usage_charges::forget_request_ids(conn, now - Duration::days(7))?;
    admin_api_requests::delete_before(conn, now - Duration::hours(admin_api_requests::KEPT_HOURS))?;
    Ok((sessions, failures))
}

/// Entries redacted per transaction: short transactions, so that the row locks never
/// hold up the log for long.
const REDACT_BATCH: i64 = 5_000;

/// Blanks IP addresses and user agents of activity entries older than their
/// organization's "Keep IP addresses and user agents for N days". Returns how many
/// entries were redacted.
pub fn redact_personal(conn: &mut PgConnection, now: DateTime<Utc>) -> OpResult<usize> {
    let mut total = 0;
    loop {
        let done = activity::redact_personal(conn, now, REDACT_BATCH)?;
        total += done;
        if done < REDACT_BATCH as usize {
            return Ok(total);
        }
    }
}

/// Organizations purged per pass; the next pass takes the rest.
const PURGE_BATCH: i64 = 100;

/// Drops the rows of organizations deleted more than `RESTORE_DAYS` days ago, each in
/// its own transaction through the database function `purge_organization` (the only
/// path that may delete activity and ledger entries). Returns how many were purged.
pub fn purge_deleted_orgs(conn: &mut PgConnection) -> OpResult<usize> {
    let mut purged = 0;
    for org_id in org_deletion::purgeable(conn, PURGE_BATCH)? {
        if org_deletion::purge(conn, org_id)? {
            tracing::info!(%org_id, "deleted organization purged");
            purged += 1;
        }
    }
    Ok(purged)
}

/// Months of raw usage partitions kept ready after the current one.
const PARTITIONS_AHEAD: u32 = 2;

/// Creates the raw usage partitions of this month and the next ones, and drops those
/// older than `retention_days`. Returns how many were created and dropped.
pub fn usage_partitions(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    retention_days: u32,
) -> OpResult<(usize, usize)> {
    let added = usage_storage::add_partitions(conn, now, PARTITIONS_AHEAD)?;
    let dropped = usage_storage::drop_partitions_before(
        conn,
        now - Duration::days(i64::from(retention_days)),
    )?;
    Ok((added, dropped))
}
