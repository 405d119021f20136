//! Failed log-ins: the log of auth failures and the slow-down across addresses. The
//! throttle itself counts attempts in `throttle_counters` before checking (R41).

use diesel::prelude::*;

use super::lower;
use crate::domain::EmailAddress;
use crate::schema::login_failures;

/// Failures on this account from any address since `since`.
pub fn recent_for_account(
    conn: &mut PgConnection,
    email: &EmailAddress,
    since: chrono::DateTime<chrono::Utc>,
) -> QueryResult<i64> {
    login_failures::table
        .filter(lower(login_failures::email).eq(email.normalized()))
        .filter(login_failures::created_at.gt(since))
        .count()
        .get_result(conn)
}

pub fn record(conn: &mut PgConnection, email: &EmailAddress, ip: &str) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email.normalized()),
            login_failures::ip.eq(ip),
        ))
        .execute(conn)
        .map(drop)
}

/// A successful login forgives the account's earlier typos (not the IP's).
pub fn clear_for(conn: &mut PgConnection, email: &EmailAddress) -> QueryResult<()> {
    diesel::delete(login_failures::table)
        .filter(lower(login_failures::email).eq(email.normalized()))
        .execute(conn)
        .map(drop)
}

pub fn delete_before(
    conn: &mut PgConnection,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::created_at.lt(cutoff)))
        .execute(conn)
}
