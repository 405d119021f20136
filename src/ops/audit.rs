//! Keeping the activity chains verified: each pass checks only what was written since
//! the last one, and records where each organization's chain stands; signed checkpoints.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::PgConnection;
use ed25519_dalek::{Signer, SigningKey};
use uuid::Uuid;

use super::{OpResult, tx};
use crate::domain::EmailAddress;
use crate::domain::audit_chain::{self, Break};
use crate::mail::integrity::integrity_alert;
use crate::mail::outbox;
use crate::models::activity_chain::{self, ChainPoint, Verification};
use crate::models::activity_checkpoints::{self, Checkpoint};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;

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
    base_url: &str,
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
                tx(conn, |conn| {
                    activity_chain::save_broken(conn, org_id, &from, &broken, now)?;
                    alert_administrators(conn, org_id, &broken, base_url)
                })?;
                newly_broken.push((org_id, broken));
            }
        }
    }
    Ok(newly_broken)
}

/// Mails every administrator of `org_id` that its log stopped verifying at `broken`;
/// queued in the transaction that records the break, so it is sent once.
fn alert_administrators(
    conn: &mut PgConnection,
    org_id: Uuid,
    broken: &Break,
    base_url: &str,
) -> OpResult<()> {
    let org = Organization::find(conn, org_id)?;
    let link = format!("{base_url}/orgs/{}/activity", org.slug);
    for (name, email) in Membership::administrators(conn, org_id)? {
        let Ok(recipient) = EmailAddress::parse(&email) else {
            continue;
        };
        let alert = integrity_alert(
            &name,
            recipient,
            &org.name,
            broken.seq,
            broken.reason,
            &link,
        )?;
        outbox::enqueue(conn, Some(org_id), "integrity_alert", &alert, base_url)?;
    }
    Ok(())
}

/// Signs a checkpoint of every chain that grew since its last one. Returns how many.
pub fn checkpoint(
    conn: &mut PgConnection,
    key: &SigningKey,
    now: DateTime<Utc>,
) -> OpResult<usize> {
    let now = now.trunc_subsecs(6);
    let mut signed = 0;
    for (org_id, _) in activity_chain::chains(conn)? {
        let head = activity_chain::head(conn, org_id)?;
        if head.seq == 0 || activity_checkpoints::latest_seq(conn, org_id)? == Some(head.seq) {
            continue;
        }
        let message = audit_chain::checkpoint_message(org_id, head.seq, &head.hash, now);
        activity_checkpoints::insert(
            conn,
            &Checkpoint {
                id: Uuid::now_v7(),
                org_id,
                seq: head.seq,
                hash: head.hash,
                created_at: now,
                public_key: key.verifying_key().to_bytes().to_vec(),
                signature: key.sign(message.as_bytes()).to_bytes().to_vec(),
            },
        )?;
        signed += 1;
    }
    Ok(signed)
}

/// Checks every checkpoint of `org_id`: its signature, and that the entry it names still
/// has the hash it signed. The first one that fails, if any.
pub fn check_checkpoints(conn: &mut PgConnection, org_id: Uuid) -> OpResult<Option<Break>> {
    for c in activity_checkpoints::of_org(conn, org_id)? {
        let message = audit_chain::checkpoint_message(org_id, c.seq, &c.hash, c.created_at);
        if !audit_chain::signature_valid(&c.public_key, &message, &c.signature) {
            return Ok(Some(Break {
                seq: c.seq,
                reason: "checkpoint signature invalid",
                expected: "a valid signature".to_owned(),
                found: audit_chain::hex(&c.signature),
            }));
        }
        let found = activity_checkpoints::entry_hash(conn, org_id, c.seq)?;
        if found.as_deref() != Some(c.hash.as_slice()) {
            return Ok(Some(Break {
                seq: c.seq,
                reason: "entry differs from its signed checkpoint",
                expected: audit_chain::hex(&c.hash),
                found: found.map_or_else(|| "no entry".to_owned(), |h| audit_chain::hex(&h)),
            }));
        }
    }
    Ok(None)
}
