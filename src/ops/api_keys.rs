//! Creating, rotating and revoking a project's API keys. A key's secret is returned once,
//! by the operation that mints it, and only its hash is stored.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, recheck_in_project, tx};
use crate::domain::activity::{Actor, Event, KeyFacts};
use crate::domain::{API_KEY_PREFIX, API_KEY_SHOWN_CHARS, KeyName, Permission, PlainToken};
use crate::models::activity;
use crate::models::api_keys::{self, ApiKey, NewKey, Status};
use crate::models::projects::Project;

/// How long a rotated key keeps working beside its replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    None,
    OneHour,
    OneDay,
    OneWeek,
}

impl Overlap {
    /// The form value: hours as text.
    pub fn parse(value: &str) -> Result<Self, OpError> {
        match value {
            "0" => Ok(Overlap::None),
            "1" => Ok(Overlap::OneHour),
            "24" => Ok(Overlap::OneDay),
            "168" => Ok(Overlap::OneWeek),
            _ => Err(OpError::Invalid(
                "Choose when the old key stops: now, in 1 hour, in 24 hours or in 7 days.".into(),
            )),
        }
    }

    /// How long, in words: "1 hour", "24 hours", "7 days" (empty for none).
    pub fn label(self) -> &'static str {
        match self {
            Overlap::None => "",
            Overlap::OneHour => "1 hour",
            Overlap::OneDay => "24 hours",
            Overlap::OneWeek => "7 days",
        }
    }

    pub fn hours(self) -> i64 {
        match self {
            Overlap::None => 0,
            Overlap::OneHour => 1,
            Overlap::OneDay => 24,
            Overlap::OneWeek => 168,
        }
    }
}

/// A key and the only copy of its secret.
pub struct Minted {
    pub key: ApiKey,
    pub secret: PlainToken,
}

/// A rotation: the old key (now expiring or revoked) and its replacement.
pub struct Rotated {
    pub old: ApiKey,
    pub new: Minted,
}

fn facts(key: &ApiKey, project: &Project) -> KeyFacts {
    KeyFacts {
        id: key.id,
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        project: project.name.clone(),
    }
}

/// The live project `project_id`, with the actor's right to change its keys re-read.
pub(super) fn live_project(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
) -> OpResult<Project> {
    recheck_in_project(conn, org_id, actor, Permission::ManageApiKeys, project_id)?;
    let project = Project::find(conn, org_id, project_id)?.ok_or(OpError::NotFound)?;
    if project.archived_at.is_some() {
        return Err(OpError::refused(
            "This project is archived: its keys cannot change.",
        ));
    }
    Ok(project)
}

fn mint(
    conn: &mut PgConnection,
    project: &Project,
    name: &KeyName,
    actor: &Actor,
) -> OpResult<Minted> {
    let secret = PlainToken::generate(API_KEY_PREFIX);
    let key = api_keys::create(
        conn,
        NewKey {
            org_id: project.org_id,
            project_id: project.id,
            name,
            prefix: &secret.expose()[..API_KEY_SHOWN_CHARS],
            secret: &secret.hash(),
            created_by: actor.user_id,
            created_by_name: &actor.name,
        },
    )?;
    Ok(Minted { key, secret })
}

/// The project's key `key_id`, locked for the rest of the transaction.
fn locked_key(conn: &mut PgConnection, project: &Project, key_id: Uuid) -> OpResult<ApiKey> {
    api_keys::find_for_update(conn, project.org_id, key_id)?
        .filter(|k| k.project_id == project.id)
        .ok_or(OpError::NotFound)
}

pub fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    name: &KeyName,
) -> OpResult<Minted> {
    tx(conn, |conn| {
        let project = live_project(conn, org_id, actor, project_id)?;
        let minted = mint(conn, &project, name, actor)?;
        let event = Event::ApiKeyCreated(facts(&minted.key, &project));
        activity::record(conn, org_id, actor, &event)?;
        Ok(minted)
    })
}

/// A new key with the same name; the old one stops at once or after `overlap`. The old
/// key's row is locked, so of concurrent rotations one succeeds and the others are
/// refused: a key has at most one replacement.
pub fn rotate(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    key_id: Uuid,
    overlap: Overlap,
    now: DateTime<Utc>,
) -> OpResult<Rotated> {
    tx(conn, |conn| {
        let project = live_project(conn, org_id, actor, project_id)?;
        rotate_in(conn, actor, &project, key_id, overlap, now)
    })
}

/// [`rotate`] inside the caller's transaction, for a project the caller has checked
/// (live, and the actor may change its keys): the removal of a member rotates their
/// keys in its own transaction.
pub(super) fn rotate_in(
    conn: &mut PgConnection,
    actor: &Actor,
    project: &Project,
    key_id: Uuid,
    overlap: Overlap,
    now: DateTime<Utc>,
) -> OpResult<Rotated> {
    let old = locked_key(conn, project, key_id)?;
    if matches!(old.status(now), Status::Revoked | Status::Expired) || old.replaced_by.is_some() {
        return Err(OpError::refused("This key was already revoked or rotated."));
    }
    let name = KeyName::parse(&old.name).map_err(|e| OpError::Internal(e.to_string()))?;
    let new = mint(conn, project, &name, actor)?;
    if overlap == Overlap::None {
        api_keys::revoke(conn, old.id, now)?;
    }
    api_keys::retire(
        conn,
        old.id,
        new.key.id,
        now + Duration::hours(overlap.hours()),
    )?;
    let event = Event::ApiKeyRotated {
        old: facts(&old, project),
        new_prefix: new.key.prefix.clone(),
        overlap_hours: overlap.hours(),
    };
    activity::record(conn, project.org_id, actor, &event)?;
    Ok(Rotated { old, new })
}

/// The key stops working at once.
pub fn revoke(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    project_id: Uuid,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> OpResult<ApiKey> {
    tx(conn, |conn| {
        let project = live_project(conn, org_id, actor, project_id)?;
        let key = locked_key(conn, &project, key_id)?;
        if !api_keys::revoke(conn, key.id, now)? {
            return Err(OpError::refused("This key was already revoked."));
        }
        activity::record(
            conn,
            org_id,
            actor,
            &Event::ApiKeyRevoked(facts(&key, &project)),
        )?;
        Ok(key)
    })
}
