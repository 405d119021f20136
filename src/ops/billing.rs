//! Recording credit purchases and changing the plan.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpResult, locked, recheck};
use crate::domain::activity::{Actor, Event};
use crate::domain::billing::PaymentReference;
use crate::domain::{Credits, Permission, Plan};
use crate::models::{activity, billing};

/// Records a purchase made outside the console; returns the new balance.
pub fn add_credits(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    amount: Credits,
    reference: &PaymentReference,
    now: DateTime<Utc>,
) -> OpResult<Credits> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageBilling)?;
        let balance = billing::add_credits(conn, org_id, amount, reference.as_str(), actor, now)?;
        let event = Event::CreditsAdded {
            org: org_id,
            org_name: org.name.clone(),
            amount,
            reference: reference.as_str().to_owned(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(balance)
    })
}

/// Moves to `plan`; refused when the seats in use exceed the new plan's. Seats change
/// only under the organization lock (invitations, joins, removals), so the count cannot
/// move between the check and the change (R10).
pub fn change_plan(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    plan: Plan,
    now: DateTime<Utc>,
) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageBilling)?;
        let before = billing::find(conn, org_id)?.plan;
        if before == plan {
            return Ok(());
        }
        plan.check_change(billing::seats_used(conn, org_id)?)
            .map_err(super::OpError::Refused)?;
        billing::set_plan(conn, org_id, plan, now)?;
        let event = Event::PlanChanged {
            org: org_id,
            org_name: org.name.clone(),
            from: before,
            to: plan,
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}
