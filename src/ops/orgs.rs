//! Founding, renaming and the retention setting of organizations.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpResult, locked, recheck, tx};
use crate::domain::activity::{Actor, Event};
use crate::domain::retention::KeepDays;
use crate::domain::{OrgName, Permission, Role};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;
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
    billing::open(conn, org.id, now)?;
    let event = Event::OrganizationCreated {
        org: org.id,
        name: org.name.clone(),
        slug: org.slug.clone(),
    };
    activity::record(conn, org.id, founder, &event)?;
    Ok(org)
}

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
