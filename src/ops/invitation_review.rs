//! The bulk invite preview: what will happen to each address before anything is sent,
//! from the same rules the invite op applies ([`invitations::assess`]), and the send of
//! the reviewed list, which checks every address again under the organization lock.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::invitations::{
    self, AddressResult, Context, Grant, Outcome, Sent, address_limit_reached, check_daily_limits,
    daily_limits,
};
use super::{OpResult, locked, recheck, tx};
use crate::domain::activity::Actor;
use crate::domain::invite::Entry;
use crate::domain::{EmailAddress, Permission, Plan, Role};
use crate::models::billing;
use crate::models::invitations::{self as store, State};

/// What will happen to one address: the invite op's outcome, then the per-address limit
/// of a resend and the daily sendings left (`left`), each invitation or resend taking one.
fn will(
    conn: &mut PgConnection,
    org_id: Uuid,
    email: &EmailAddress,
    plan: Plan,
    seats: &mut i64,
    left: &mut i64,
    now: DateTime<Utc>,
) -> OpResult<Outcome> {
    let outcome = match invitations::assess(conn, org_id, email, plan, seats, now)? {
        Outcome::AlreadyInvited(_) if address_limit_reached(conn, org_id, email, now)? => {
            Outcome::AddressLimit
        }
        other => other,
    };
    Ok(match outcome {
        Outcome::Invited | Outcome::AlreadyInvited(_) if *left <= 0 => {
            if outcome == Outcome::Invited {
                *seats -= 1;
            }
            Outcome::DailyLimit
        }
        Outcome::Invited | Outcome::AlreadyInvited(_) => {
            *left -= 1;
            outcome
        }
        other => other,
    })
}

/// The outcome of every entry if the list were sent now; writes nothing.
pub fn preview(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    entries: &[Entry],
    ctx: &Context,
) -> OpResult<Vec<AddressResult>> {
    tx(conn, |conn| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let plan = billing::find(conn, org_id)?.plan;
        let mut seats = billing::seats_used(conn, org_id)?;
        let mut left = daily_limits(conn, org_id, actor.user_id, ctx)?
            .into_iter()
            .map(|(left, _)| left)
            .min()
            .unwrap_or(0);
        let mut results = Vec::with_capacity(entries.len());
        for entry in entries {
            let (email, outcome) = match entry {
                Entry::Invalid { input, reason } => (input.clone(), Outcome::Invalid(reason.0)),
                Entry::Valid(email) => (
                    email.as_str().to_owned(),
                    will(conn, org_id, email, plan, &mut seats, &mut left, ctx.now)?,
                ),
            };
            results.push(AddressResult { email, outcome });
        }
        Ok(results)
    })
}

/// Sends the reviewed list: invites the addresses that will be invited, each with its
/// role, and resends the pending invitations, after checking each address again under
/// the lock (a change since the preview wins). Passing a daily limit meanwhile refuses
/// the whole list (429) and writes nothing.
pub fn send_reviewed(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    rows: &[(EmailAddress, Role)],
    ctx: &Context,
) -> OpResult<Sent> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let plan = billing::find(conn, org_id)?.plan;
        let mut seats = billing::seats_used(conn, org_id)?;
        // The daily limits are checked on the whole list below, with their refusal.
        let mut unlimited = i64::MAX;
        let mut seen = std::collections::HashSet::new();
        let (mut results, mut to_invite, mut to_resend) = (Vec::new(), Vec::new(), Vec::new());
        for (email, role) in rows {
            if !seen.insert(email.normalized()) {
                continue;
            }
            let outcome = will(
                conn,
                org_id,
                email,
                plan,
                &mut seats,
                &mut unlimited,
                ctx.now,
            )?;
            let outcome = match outcome {
                Outcome::Invited => {
                    to_invite.push((email, *role));
                    outcome
                }
                Outcome::AlreadyInvited(id) => {
                    to_resend.push(id);
                    Outcome::Resent
                }
                other => other,
            };
            results.push(AddressResult {
                email: email.as_str().to_owned(),
                outcome,
            });
        }
        let adding = (to_invite.len() + to_resend.len()) as i64;
        check_daily_limits(conn, org_id, actor.user_id, adding, ctx)?;
        let mut links = Vec::new();
        for (email, role) in to_invite {
            let grant = Grant::Org(role);
            links.push(invitations::invite(
                conn, org, actor, email, grant, None, ctx,
            )?);
        }
        for id in to_resend {
            let Some(before) = store::find(conn, org_id, id)? else {
                continue;
            };
            if matches!(before.state(ctx.now), State::Pending | State::Expired) {
                let (after, link) = invitations::reissue(conn, org, actor, &before, ctx)?;
                links.push((after.email, link));
            }
        }
        Ok(Sent { results, links })
    })
}
