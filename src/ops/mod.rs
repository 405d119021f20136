//! Every state change of the console. An operation is a plain function taking a
//! connection, the acting person and already-parsed domain values. It runs in one
//! transaction; takes the organization lock when membership, invitations or billing
//! change; re-reads the actor's access under it; checks the invariants; writes; records
//! its activity event and queues its mail. The pages and the JSON API call the same ops.

pub mod access_expiry;
pub mod account_links;
pub mod account_settings;
pub mod accounts;
pub mod admin_keys;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod audit_stream;
pub mod billing;
pub mod invitation_requests;
pub mod invitation_review;
pub mod invitations;
pub mod joining;
pub mod maintenance;
pub mod members;
pub mod notices;
pub mod org_deletion;
pub mod orgs;
pub mod project_access;
pub mod projects;
pub mod scim;
pub mod sessions;
pub mod sso;
pub mod sso_sign_in;
pub mod two_factor;
pub mod two_factor_policy;
pub mod usage;
pub mod usage_queue;

use std::time::Duration;

use diesel::{Connection, PgConnection};
use uuid::Uuid;

use crate::domain::activity::Actor;
use crate::domain::{Access, Grant, Permission};
use crate::models::memberships;
use crate::models::organizations::Organization;

/// Why an operation did not happen. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The thing does not exist, or belongs to another organization.
    #[error("not found")]
    NotFound,
    /// A rule of the product refused the change; the message says why and what to do.
    #[error("{0}")]
    Refused(String),
    /// A unique value is already taken (a name, an email address); forms show it next
    /// to the field.
    #[error("{0}")]
    Conflict(String),
    /// A value the person gave is not acceptable; the message says which and why.
    #[error("{0}")]
    Invalid(String),
    /// A rate or daily limit; try again after `retry_after` when known.
    #[error("{message}")]
    Limit {
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    /// No database connection could be had in time.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
    /// A SCIM request the protocol refuses, with its status and `scimType`.
    #[error("{}", .0.detail)]
    Scim(crate::domain::scim::Refusal),
}

impl OpError {
    pub fn refused(message: impl Into<String>) -> Self {
        OpError::Refused(message.into())
    }

    pub fn limit(message: impl Into<String>) -> Self {
        OpError::Limit {
            message: message.into(),
            retry_after: None,
        }
    }

    /// A unique violation means the value is already taken: a refusal the person can
    /// fix (`message` says how); any other database error stays what it is.
    pub fn taken(error: diesel::result::Error, message: &str) -> Self {
        if crate::models::is_unique_violation(&error) {
            OpError::Conflict(message.to_owned())
        } else {
            OpError::Db(error)
        }
    }
}

impl From<diesel::r2d2::PoolError> for OpError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        OpError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for OpError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        OpError::Internal(e.to_string())
    }
}

impl From<askama::Error> for OpError {
    fn from(e: askama::Error) -> Self {
        OpError::Internal(format!("template: {e}"))
    }
}

pub type OpResult<T> = Result<T, OpError>;

/// Shown when the actor lost the right to act between loading the page and the change.
const STALE_ACTOR: &str = "You can no longer do this: your access to this organization changed a moment ago. Reload the page.";

/// Runs `f` in one transaction.
pub fn tx<T>(
    conn: &mut PgConnection,
    f: impl FnOnce(&mut PgConnection) -> OpResult<T>,
) -> OpResult<T> {
    conn.transaction(f)
}

/// Runs `f` in one transaction that holds the organization's row lock (R10): every
/// change of memberships, invitations or billing takes it first, so their invariant
/// checks (last administrator, seats, balance) cannot race.
pub fn locked<T>(
    conn: &mut PgConnection,
    org_id: Uuid,
    f: impl FnOnce(&mut PgConnection, &Organization) -> OpResult<T>,
) -> OpResult<T> {
    use diesel::OptionalExtension;
    conn.transaction(|conn| {
        // None for a deleted organization: a change that waited on the lock while it
        // was being deleted must not write into it.
        let org = Organization::lock(conn, org_id)
            .optional()?
            .ok_or(OpError::NotFound)?;
        f(conn, &org)
    })
}

/// Re-reads the actor's access inside the operation's transaction and refuses when it
/// no longer grants `permission` organization-wide: a concurrent removal or demotion of
/// the actor wins over the actor's own change (R39).
pub fn recheck(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    permission: Permission,
) -> OpResult<Access> {
    let (access, _) = current(conn, org_id, actor, permission)?;
    match access.grant(permission) {
        Grant::Organization => Ok(access),
        _ => Err(OpError::refused(STALE_ACTOR)),
    }
}

/// Like [`recheck`], for a change inside one project: project-only members may act in
/// their own project.
pub fn recheck_in_project(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    permission: Permission,
    project_id: Uuid,
) -> OpResult<Access> {
    let (access, own_project) = current(conn, org_id, actor, permission)?;
    match access.grant(permission) {
        Grant::Organization => Ok(access),
        Grant::OwnProject if own_project == Some(project_id) => Ok(access),
        _ => Err(OpError::refused(STALE_ACTOR)),
    }
}

fn current(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    permission: Permission,
) -> OpResult<(Access, Option<Uuid>)> {
    if let Some(key_id) = actor.admin_key {
        return admin_key_access(conn, org_id, key_id, permission);
    }
    if let Some(token_id) = actor.scim {
        return scim_access(conn, org_id, token_id, permission);
    }
    memberships::current_access(conn, org_id, actor.user_id)?
        .ok_or_else(|| OpError::refused(STALE_ACTOR))
}

/// An admin key acts as an Administrator for what its scopes open, while it is live. Its
/// row is read without a lock: a share lock here, the org lock some ops hold and the
/// key's "last used" update would wait on each other in a cycle (a deadlock).
fn admin_key_access(
    conn: &mut PgConnection,
    org_id: Uuid,
    key_id: Uuid,
    permission: Permission,
) -> OpResult<(Access, Option<Uuid>)> {
    use crate::domain::Role;
    use crate::domain::admin_scope::AdminScope;
    let key = crate::models::admin_keys::find(conn, org_id, key_id)?
        .ok_or_else(|| OpError::refused(STALE_KEY))?;
    if key.revoked_at.is_some() || key.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
        return Err(OpError::refused(STALE_KEY));
    }
    if !AdminScope::allows(&key.scope_list(), permission) {
        return Err(OpError::refused(STALE_KEY));
    }
    Ok((Access::Org(Role::Administrator), None))
}

/// The SCIM token manages members, and nothing else, while it is the organization's
/// token (a rotation or revocation ends the old one's rights at once).
fn scim_access(
    conn: &mut PgConnection,
    org_id: Uuid,
    token_id: Uuid,
    permission: Permission,
) -> OpResult<(Access, Option<Uuid>)> {
    use crate::domain::Role;
    let live = crate::models::scim::token_is_current(conn, org_id, token_id)?;
    if !live || permission != Permission::ManageMembers {
        return Err(OpError::refused(STALE_SCIM_TOKEN));
    }
    Ok((Access::Org(Role::Administrator), None))
}

pub const STALE_SCIM_TOKEN: &str = "This SCIM token was rotated or revoked.";

const STALE_KEY: &str =
    "This admin key can no longer do this: it was revoked, expired, or its scopes do not cover it.";
