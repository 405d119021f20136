//! What we keep in a session: the user id and the CSRF token, nothing else.

use actix_session::{Session, SessionExt};
use actix_web::HttpRequest;
use uuid::Uuid;

use super::session_store::USER_ID_KEY;
use crate::domain::PlainToken;
use crate::error::AppError;

const CSRF_KEY: &str = "csrf";

/// Typed access to the session; roles and memberships are never stored here (R7).
pub struct TypedSession(Session);

impl TypedSession {
    pub fn of(req: &HttpRequest) -> Self {
        TypedSession(req.get_session())
    }

    pub fn from_session(session: Session) -> Self {
        TypedSession(session)
    }

    pub fn user_id(&self) -> Result<Option<Uuid>, AppError> {
        self.0
            .get(USER_ID_KEY)
            .map_err(|_| AppError::Internal("session state".into()))
    }

    /// The session's CSRF token, created on first use (a visitor gets one before login).
    pub fn csrf_token(&self) -> Result<String, AppError> {
        if let Some(token) = self
            .0
            .get::<String>(CSRF_KEY)
            .map_err(|_| AppError::Internal("session state".into()))?
        {
            return Ok(token);
        }
        let token = PlainToken::generate("").expose().to_owned();
        self.0
            .insert(CSRF_KEY, &token)
            .map_err(|_| AppError::Internal("session state".into()))?;
        Ok(token)
    }

    pub fn stored_csrf_token(&self) -> Option<String> {
        self.0.get::<String>(CSRF_KEY).ok().flatten()
    }

    /// Signs the user in on a brand-new session id with a fresh CSRF token, dropping
    /// everything the anonymous session held (R20).
    pub fn sign_in(&self, user_id: Uuid) -> Result<(), AppError> {
        self.0.clear();
        self.0.renew();
        self.0
            .insert(USER_ID_KEY, user_id)
            .map_err(|_| AppError::Internal("session state".into()))?;
        self.csrf_token().map(drop)
    }

    /// Deletes the session server-side and expires the cookie (R19).
    pub fn sign_out(&self) {
        self.0.purge();
    }
}
