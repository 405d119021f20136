//! Audit log streaming settings: turning it on (or changing the endpoint or secret),
//! turning it off, and "Send test event". Delivery itself is the stream worker's.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck};
use crate::domain::Permission;
use crate::domain::activity::{Actor, Event};
use crate::domain::audit_stream::{StreamEndpoint, StreamSecret, endpoint_label};
use crate::domain::sealed::SecretsKey;
use crate::models::activity;
use crate::models::audit_streams::{self, Target};

/// Streams the organization's log to `endpoint`, signed with `secret` (`None`: keep the
/// one saved before; a first setup must give one). A new stream starts with the entry
/// that records this change; a stream turned on again resumes where it stopped.
pub fn save(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    endpoint: &StreamEndpoint,
    secret: Option<&StreamSecret>,
    key: &SecretsKey,
    now: DateTime<Utc>,
) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let before = audit_streams::lock(conn, org_id)?;
        if before.is_none() && secret.is_none() {
            return Err(OpError::Invalid(
                "Enter a secret: the endpoint checks each delivery's signature with it.".into(),
            ));
        }
        let was_on = before.as_ref().filter(|b| b.enabled);
        if was_on.is_some_and(|b| b.url == endpoint.as_str()) && secret.is_none() {
            return Ok(());
        }
        let head = audit_streams::head_seq(conn, org_id)?;
        let sealed = secret.map(|s| s.sealed(key, org_id));
        audit_streams::save(
            conn,
            org_id,
            endpoint.as_str(),
            sealed.as_deref(),
            head,
            now,
        )?;
        let event = Event::AuditStreamUpdated {
            org: org_id,
            org_name: org.name.clone(),
            was: was_on.map(|b| endpoint_label(&b.url)),
            endpoint: endpoint_label(endpoint.as_str()),
            secret_replaced: secret.is_some(),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}

/// Stops delivering; the cursor stays, so turning it on again misses nothing.
pub fn disable(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    now: DateTime<Utc>,
) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let Some(stream) = audit_streams::lock(conn, org_id)?.filter(|s| s.enabled) else {
            return Err(OpError::refused("Audit log streaming is already off."));
        };
        audit_streams::disable(conn, org_id, now)?;
        let event = Event::AuditStreamDisabled {
            org: org_id,
            org_name: org.name.clone(),
            endpoint: endpoint_label(&stream.url),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}

/// Records "Send test event" and returns where to send it; the caller sends it after
/// the commit. The test event itself is not an entry of the chain (this record is).
pub fn record_test(conn: &mut PgConnection, org_id: Uuid, actor: &Actor) -> OpResult<Target> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let Some(target) = audit_streams::target(conn, org_id)? else {
            return Err(OpError::refused(
                "Turn on audit log streaming first: save an endpoint and a secret.",
            ));
        };
        let event = Event::AuditStreamTested {
            org: org_id,
            org_name: org.name.clone(),
            endpoint: endpoint_label(&target.url),
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(target)
    })
}
