//! Usage reported by the platform's gateway with a project key.

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use super::OpResult;
use crate::models::api_keys;
use crate::models::billing::{self, NewUsage};

/// Records the report and charges the key's organization. `None`: the balance is used
/// up, or the charge would take it below `-overdraft_micro`; nothing was recorded. The charge is one statement (its own transaction): the
/// organization's balance row stays locked only while it runs and commits, since every
/// report of the organization queues on that row. The key's last-used time is best
/// effort, written at most once a minute, after the charge.
pub fn report(
    conn: &mut PgConnection,
    usage: NewUsage<'_>,
    overdraft_micro: i64,
    now: DateTime<Utc>,
) -> OpResult<Option<i64>> {
    let key_id = usage.api_key_id;
    let Some(id) = billing::record_usage(conn, usage, overdraft_micro, now)? else {
        return Ok(None);
    };
    if let Err(e) = api_keys::touch(conn, key_id, now) {
        tracing::warn!(error = %e, "could not record when the API key was last used");
    }
    Ok(Some(id))
}
