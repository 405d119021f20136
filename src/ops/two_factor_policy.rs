//! An organization's "Require two-factor authentication" (administrators).

use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck};
use crate::domain::Permission;
use crate::domain::activity::{Actor, Event};
use crate::models::{activity, two_factor};

const ACTOR_WITHOUT_TWO_FACTOR: &str = "Set up two-factor authentication for your own account first (Account security): requiring it without it would lock you out of this organization.";

/// Turns the requirement on or off; returns whether it changed. Turning it on is refused
/// while the acting administrator has no two-factor sign-in, re-checked under the lock.
pub fn set_required(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    required: bool,
) -> OpResult<bool> {
    locked(conn, org_id, |conn, before| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        if before.require_two_factor == required {
            return Ok(false);
        }
        if required && !two_factor::is_enabled(conn, actor.user_id)? {
            return Err(OpError::refused(ACTOR_WITHOUT_TWO_FACTOR));
        }
        two_factor::set_org_requirement(conn, org_id, required)?;
        let (org, org_name) = (org_id, before.name.clone());
        let event = if required {
            Event::TwoFactorRequired { org, org_name }
        } else {
            Event::TwoFactorOptional { org, org_name }
        };
        activity::record(conn, org_id, actor, &event)?;
        super::alerts::raise(conn, org_id, actor, &event)?;
        Ok(true)
    })
}
