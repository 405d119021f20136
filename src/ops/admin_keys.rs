//! Creating and revoking organization admin keys. The secret is returned once, by the
//! operation that mints it; only its hash is stored.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, recheck, tx};
use crate::domain::activity::{Actor, AdminKeyFacts, Event};
use crate::domain::admin_scope::{ADMIN_KEY_PREFIX, ADMIN_KEY_SHOWN_CHARS, AdminScope};
use crate::domain::{KeyName, Permission, PlainToken};
use crate::models::activity;
use crate::models::admin_keys::{self, AdminKey, NewAdminKey};

/// A new admin key and the only copy of its secret.
pub struct MintedAdminKey {
    pub key: AdminKey,
    pub secret: PlainToken,
}

fn facts(key: &AdminKey) -> AdminKeyFacts {
    AdminKeyFacts {
        id: key.id,
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        scopes: key.scopes.clone(),
    }
}

/// Creates an admin key. Only people may: an admin key never mints another one.
pub fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    name: &KeyName,
    scopes: &[AdminScope],
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> OpResult<MintedAdminKey> {
    if actor.admin_key.is_some() {
        return Err(OpError::refused(
            "Admin keys are created by people, in Settings.",
        ));
    }
    if scopes.is_empty() {
        return Err(OpError::Invalid("Choose at least one scope.".into()));
    }
    if expires_at.is_some_and(|at| at <= now) {
        return Err(OpError::Invalid(
            "Choose an expiry date in the future.".into(),
        ));
    }
    tx(conn, |conn| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let secret = PlainToken::generate(ADMIN_KEY_PREFIX);
        let key = admin_keys::create(
            conn,
            NewAdminKey {
                org_id,
                name: name.as_str(),
                prefix: &secret.expose()[..ADMIN_KEY_SHOWN_CHARS],
                secret: &secret.hash(),
                scopes,
                created_by: actor.user_id,
                created_by_name: &actor.name,
                expires_at,
            },
        )?;
        activity::record(conn, org_id, actor, &Event::AdminKeyCreated(facts(&key)))?;
        Ok(MintedAdminKey { key, secret })
    })
}

/// The key stops working at once; a request it is making finishes first.
pub fn revoke(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> OpResult<AdminKey> {
    if actor.admin_key.is_some() {
        return Err(OpError::refused(
            "Admin keys are revoked by people, in Settings.",
        ));
    }
    tx(conn, |conn| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let key = admin_keys::find(conn, org_id, key_id)?.ok_or(OpError::NotFound)?;
        if !admin_keys::revoke(conn, key.id, now)? {
            return Err(OpError::refused("This admin key was already revoked."));
        }
        activity::record(conn, org_id, actor, &Event::AdminKeyRevoked(facts(&key)))?;
        Ok(key)
    })
}
