use diesel::prelude::*;

use super::lower;
use crate::domain::EmailAddress;
use crate::schema::login_failures;

/// Failed logins allowed per account and per client IP within [`WINDOW_MINUTES`] (R25).
pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MINUTES: i32 = 15;

/// True when this account or this IP has had too many recent failures.
pub fn is_throttled(conn: &mut PgConnection, email: &EmailAddress, ip: &str) -> QueryResult<bool> {
    let since = chrono::Utc::now() - chrono::Duration::minutes(WINDOW_MINUTES.into());
    let by_email: i64 = login_failures::table
        .filter(lower(login_failures::email).eq(email.normalized()))
        .filter(login_failures::created_at.gt(since))
        .count()
        .get_result(conn)?;
    if by_email >= MAX_FAILURES {
        return Ok(true);
    }
    let by_ip: i64 = login_failures::table
        .filter(login_failures::ip.eq(ip))
        .filter(login_failures::created_at.gt(since))
        .count()
        .get_result(conn)?;
    Ok(by_ip >= MAX_FAILURES)
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
