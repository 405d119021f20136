//! Founding, renaming and the retention setting of organizations.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpResult, locked, recheck, tx};
use crate::domain::activity::{Actor, Event};
use crate::domain::billing::STARTING_CREDITS;
use crate::domain::retention::KeepDays;
use crate::domain::{OrgName, Permission, Role};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;
use crate::models::users::User;
use crate::models::{activity, billing};

/// A new organization with `founder` as its first Administrator and its billing account.
pub fn found(
    conn: &mut PgConnection,
    name: &OrgName,
    founder: &Actor,
    now: DateTime<Utc>,
) -> OpResult<Organization> {
    tx(conn, |conn| found_in(conn, name, founder, now))
}

/// [`found`], inside the caller's transaction.
pub(super) fn found_in(
    conn: &mut PgConnection,
    name: &OrgName,
    founder: &Actor,
    now: DateTime<Utc>,
) -> OpResult<Organization> {
    let org = Organization::create(conn, name)?;
    Membership::create(conn, org.id, founder.user_id, Role::Administrator)?;
    let granted = starting_credits_for(conn, founder.user_id, now)?;
    billing::open(conn, org.id, granted.then_some(STARTING_CREDITS), now)?;
    if granted {
        billing::record_starting_grant(conn, org.id, founder.user_id, now)?;
    }
    let event = Event::OrganizationCreated {
        org: org.id,
        name: org.name.clone(),
        slug: org.slug.clone(),
    };
    activity::record(conn, org.id, founder, &event)?;
    Ok(org)
}

/// Whether a new organization of `founder` gets starting credits: only when the founder's
/// address is confirmed, and once per founder in [`STARTING_CREDITS_EVERY_DAYS`] days.
/// Otherwise an unconfirmed account could found organizations in a loop and collect
/// credits for nothing. A per-founder lock makes two parallel foundings count as two.
fn starting_credits_for(
    conn: &mut PgConnection,
    founder: uuid::Uuid,
    now: DateTime<Utc>,
) -> OpResult<bool> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('starting-credits:' || $1::text))")
        .bind::<diesel::sql_types::Uuid, _>(founder)
        .execute(conn)?;
    let confirmed = User::find(conn, founder)?.is_some_and(|u| u.email_verified_at.is_some());
    if !confirmed {
        return Ok(false);
    }
    let since = now - chrono::Duration::days(STARTING_CREDITS_EVERY_DAYS);
    Ok(billing::starting_grants_since(conn, founder, since)? == 0)
}

pub const STARTING_CREDITS_EVERY_DAYS: i64 = 30;

/// Renames the organization; its slug (and so its URLs) stays.
pub fn rename(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    name: &OrgName,
) -> OpResult<()> {
    locked(conn, org_id, |conn, before| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        if before.name == name.as_str() {
            return Ok(());
        }
        Organization::rename(conn, org_id, name)?;
        let event = Event::OrganizationRenamed {
            org: org_id,
            from: before.name.clone(),
            to: name.as_str().to_owned(),
        };
        activity::record(conn, org_id, actor, &event)?;
        super::alerts::raise(conn, org_id, actor, &event)?;
        Ok(())
    })
}

/// Sets how long activity entries keep IP addresses and user agents; the maintenance
/// job blanks older ones (`maintenance::redact_personal`), 0 stops storing them.
pub fn set_keep_personal_days(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    days: KeepDays,
) -> OpResult<()> {
    locked(conn, org_id, |conn, before| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        if before.keep_personal_days == days.days() {
            return Ok(());
        }
        Organization::set_keep_personal_days(conn, org_id, days.days())?;
        let event = Event::RetentionChanged {
            org: org_id,
            org_name: before.name.clone(),
            from: before.keep_personal_days,
            to: days.days(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}
