//! actix-session storage in the `sessions` table: revocable, shared by every instance (R19).

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::db::Db;
use crate::domain::{PlainToken, TokenHash};
use crate::models::sessions;

type SessionState = HashMap<String, String>;

/// Touching `last_seen_at` at most this often keeps most requests read-only.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// The key under which the session state keeps the user id; mirrored into a column so
/// that all of a user's sessions can be revoked at once.
pub const USER_ID_KEY: &str = "user_id";

/// The session's opaque id (the `id` column, for URLs of the Sessions page): put into
/// the state by `load`, never stored in it.
pub const SESSION_ID_KEY: &str = "sid";

/// The device a sign-in came from: set in the state by the sign-in, moved into the
/// `user_agent` and `ip` columns when the new session is saved, never kept in the state.
pub const SIGN_IN_USER_AGENT_KEY: &str = "signin_user_agent";
pub const SIGN_IN_IP_KEY: &str = "signin_ip";

/// Sessions end after `idle` without a request or `lifetime` after they began,
/// whichever is first, judged from server-side timestamps (R22).
#[derive(Clone)]
pub struct PgSessionStore {
    db: Db,
    idle: chrono::Duration,
    lifetime: chrono::Duration,
}

impl PgSessionStore {
    pub fn new(db: Db, idle: Duration, lifetime: Duration) -> Self {
        let to_chrono =
            |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(7));
        PgSessionStore {
            db,
            idle: to_chrono(idle),
            lifetime: to_chrono(lifetime),
        }
    }

    fn expires_at(&self, created_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        (created_at + self.lifetime).min(now + self.idle)
    }
}

fn key_hash(key: &SessionKey) -> TokenHash {
    match PlainToken::parse("", key.as_ref()) {
        Some(token) => token.hash(),
        // A malformed cookie value can never match a stored hash.
        None => TokenHash(Vec::new()),
    }
}

fn user_id_of(state: &SessionState) -> Option<Uuid> {
    state
        .get(USER_ID_KEY)
        .and_then(|raw| serde_json::from_str::<Uuid>(raw).ok())
}

/// The state as stored: without the keys that live in columns.
fn to_json(state: &SessionState) -> Value {
    let mut kept = state.clone();
    for key in [SESSION_ID_KEY, SIGN_IN_USER_AGENT_KEY, SIGN_IN_IP_KEY] {
        kept.remove(key);
    }
    serde_json::to_value(kept).unwrap_or(Value::Null)
}

/// A string value of the state (values are JSON-encoded by actix-session).
fn string_of(state: &SessionState, key: &str) -> Option<String> {
    state
        .get(key)
        .and_then(|raw| serde_json::from_str::<String>(raw).ok())
}

fn other(e: crate::error::AppError) -> anyhow::Error {
    anyhow::Error::msg(e.to_string())
}

impl SessionStore for PgSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let hash = key_hash(key);
        let store = self.clone();
        let row = self
            .db
            .run(move |conn| {
                let now = Utc::now();
                let Some(row) = sessions::find_live(conn, &hash, now)? else {
                    return Ok(None);
                };
                if now - row.last_seen_at
                    > chrono::Duration::from_std(TOUCH_EVERY).unwrap_or_default()
                {
                    sessions::touch(conn, &hash, now, store.expires_at(row.created_at, now))?;
                }
                Ok(Some((row.id, row.state)))
            })
            .await
            .map_err(|e| LoadError::Other(other(e)))?;
        row.map(|(id, state)| {
            let mut state: SessionState =
                serde_json::from_value(state).map_err(|e| LoadError::Deserialization(e.into()))?;
            state.insert(SESSION_ID_KEY.to_owned(), format!("\"{id}\""));
            Ok(state)
        })
        .transpose()
    }

    async fn save(
        &self,
        state: SessionState,
        _ttl: &actix_web::cookie::time::Duration,
    ) -> Result<SessionKey, SaveError> {
        let token = PlainToken::generate("");
        let hash = token.hash();
        let (user_id, json) = (user_id_of(&state), to_json(&state));
        let user_agent = string_of(&state, SIGN_IN_USER_AGENT_KEY);
        let ip = string_of(&state, SIGN_IN_IP_KEY);
        let store = self.clone();
        self.db
            .run(move |conn| {
                let now = Utc::now();
                let new = sessions::NewSession {
                    id: Uuid::new_v4(),
                    user_agent: user_agent.as_deref(),
                    ip: ip.as_deref(),
                };
                Ok(sessions::insert(
                    conn,
                    &hash,
                    new,
                    user_id,
                    &json,
                    now,
                    store.expires_at(now, now),
                )?)
            })
            .await
            .map_err(|e| SaveError::Other(other(e)))?;
        SessionKey::try_from(token.expose().to_owned()).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        key: SessionKey,
        state: SessionState,
        ttl: &actix_web::cookie::time::Duration,
    ) -> Result<SessionKey, UpdateError> {
        let hash = key_hash(&key);
        let (user_id, json) = (user_id_of(&state), to_json(&state));
        let updated = self
            .db
            .run(move |conn| {
                Ok(sessions::update_state(
                    conn,
                    &hash,
                    user_id,
                    &json,
                    Utc::now(),
                )?)
            })
            .await
            .map_err(|e| UpdateError::Other(other(e)))?;
        if updated {
            Ok(key)
        } else {
            // Expired between load and update: start a fresh session instead.
            self.save(state, ttl)
                .await
                .map_err(|e| UpdateError::Other(e.into()))
        }
    }

    async fn update_ttl(
        &self,
        _key: &SessionKey,
        _ttl: &actix_web::cookie::time::Duration,
    ) -> Result<(), anyhow::Error> {
        // Expiry is kept server-side by `load`; the cookie's own lifetime does not matter.
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = key_hash(key);
        self.db
            .run(move |conn| Ok(sessions::delete(conn, &hash)?))
            .await
            .map_err(other)
    }
}

/// actix-session turns any store failure into a bare 500 error. The store fails when the
/// database does, so the answer is the one of every other database failure: the generic
/// 503 page (R37). Wrapped around the session middleware; errors of our own pass as they are.
pub async fn unavailable_on_store_error(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    next.call(req).await.map_err(|e| {
        let ours = e.as_error::<crate::error::AppError>().is_some();
        let status = e.as_response_error().status_code();
        if !ours && status == actix_web::http::StatusCode::INTERNAL_SERVER_ERROR {
            crate::error::AppError::Unavailable(format!("session store: {e:?}")).into()
        } else {
            e
        }
    })
}
