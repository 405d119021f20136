//! What we keep in a session: the user id and the CSRF token, nothing else.

use actix_session::{Session, SessionExt};
use actix_web::HttpRequest;
use uuid::Uuid;

use super::session_store::{SESSION_ID_KEY, SIGN_IN_IP_KEY, SIGN_IN_USER_AGENT_KEY, USER_ID_KEY};
use crate::domain::PlainToken;
use crate::domain::device::Device;
use crate::error::AppError;

const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";
/// How the session was established (for "Require SSO"); absent: a password.
const SIGNED_IN_WITH_KEY: &str = "signed_in_with";
/// Organizations an administrator entered through break-glass in this session.
const SSO_BYPASS_KEY: &str = "sso_bypass";

/// What a person proved to establish the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SignedInWith {
    /// A password (or an emailed link that stands for one).
    Password,
    /// A password, then a two-factor code.
    PasswordAndCode,
    /// The identity provider of this organization.
    Sso(Uuid),
}

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

    /// The opaque id of this session (the Sessions page's), once it is stored; `None`
    /// for a session created by this very request.
    pub fn session_id(&self) -> Option<Uuid> {
        self.0.get::<Uuid>(SESSION_ID_KEY).ok().flatten()
    }

    /// Signs the user in on a brand-new session id with a fresh CSRF token, dropping
    /// everything the anonymous session held (R20). The device goes to the new session's
    /// row, not its state. Call it through `routes::sign_in::session_established`, which
    /// also keeps the account's devices.
    pub fn sign_in(
        &self,
        user_id: Uuid,
        device: &Device,
        how: SignedInWith,
    ) -> Result<(), AppError> {
        let state = |_| AppError::Internal("session state".into());
        self.0.clear();
        self.0.renew();
        self.0.insert(USER_ID_KEY, user_id).map_err(state)?;
        self.0.insert(SIGNED_IN_WITH_KEY, how).map_err(state)?;
        if let Some(user_agent) = &device.user_agent {
            self.0
                .insert(SIGN_IN_USER_AGENT_KEY, user_agent)
                .map_err(state)?;
        }
        self.0.insert(SIGN_IN_IP_KEY, &device.ip).map_err(state)?;
        self.csrf_token().map(drop)
    }

    /// How this session was established; sessions from before this was recorded were
    /// password sessions.
    pub fn signed_in_with(&self) -> SignedInWith {
        self.0
            .get::<SignedInWith>(SIGNED_IN_WITH_KEY)
            .ok()
            .flatten()
            .unwrap_or(SignedInWith::Password)
    }

    /// Whether an administrator of `org_id` took the break-glass path in this session.
    pub fn bypassed_sso(&self, org_id: Uuid) -> bool {
        self.0
            .get::<Vec<Uuid>>(SSO_BYPASS_KEY)
            .ok()
            .flatten()
            .is_some_and(|orgs| orgs.contains(&org_id))
    }

    pub fn allow_sso_bypass(&self, org_id: Uuid) -> Result<(), AppError> {
        let mut orgs = self
            .0
            .get::<Vec<Uuid>>(SSO_BYPASS_KEY)
            .ok()
            .flatten()
            .unwrap_or_default();
        if !orgs.contains(&org_id) {
            orgs.push(org_id);
        }
        self.0
            .insert(SSO_BYPASS_KEY, orgs)
            .map_err(|_| AppError::Internal("session state".into()))
    }

    /// A one-line confirmation shown on the next page (for forms posted without htmx).
    pub fn set_flash(&self, message: &str) {
        // A lost flash only loses a confirmation line; the change itself is committed.
        let _ = self.0.insert(FLASH_KEY, message);
    }

    /// Removes and returns the pending confirmation, if any.
    pub fn take_flash(&self) -> Option<String> {
        // `remove` marks the session changed even for a missing key: look first, so
        // that ordinary requests do not rewrite the session row.
        if !self.0.contains_key(FLASH_KEY) {
            return None;
        }
        self.0.remove_as::<String>(FLASH_KEY).and_then(Result::ok)
    }

    /// Deletes the session server-side and expires the cookie (R19).
    pub fn sign_out(&self) {
        self.0.purge();
    }
}

/// After a form post without htmx: a confirmation line on the next page, then there.
pub fn redirect_with_flash(
    req: &actix_web::HttpRequest,
    hx: &crate::htmx::Hx,
    location: &str,
    message: &str,
) -> actix_web::HttpResponse {
    TypedSession::of(req).set_flash(message);
    crate::htmx::redirect(hx, location)
}
