//! Keeping the activity chains verified: each pass checks only what was written since
//! the last one, and records where each organization's chain stands.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::OpResult;
use crate::domain::audit_chain::Break;
use crate::models::activity_chain::{self, ChainPoint, Verification};

/// Verifies every organization's new entries, from the point verified last. A chain
/// found broken stays marked broken (the evidence must not vanish when someone puts the
/// rows back) and is not checked again; an operator runs `teamwork activity verify`.
/// Returns the chains found broken in this pass.
///
/// Entries before the verified point are not re-read here: a rewrite of old entries is
/// found by the full `activity verify` and by the signed checkpoints an auditor holds.
pub fn verify_incrementally(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> OpResult<Vec<(Uuid, Break)>> {
    let mut newly_broken = Vec::new();
    for (org_id, state) in activity_chain::chains(conn)? {
        if state.as_ref().is_some_and(|s| s.broken_seq.is_some()) {
            continue;
        }
        let from = state.map_or_else(ChainPoint::genesis, |s| ChainPoint {
            seq: s.seq,
            hash: s.hash,
        });
        match activity_chain::verify(conn, org_id, from.clone())? {
            Verification::Intact(at) => activity_chain::save_intact(conn, org_id, &at, now)?,
            Verification::Broken(broken) => {
                activity_chain::save_broken(conn, org_id, &from, &broken, now)?;
                newly_broken.push((org_id, broken));
            }
        }
    }
    Ok(newly_broken)
}
