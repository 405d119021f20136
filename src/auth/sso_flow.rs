//! A sign-in at an organization's identity provider in progress: the `state`, `nonce`
//! and PKCE verifier of the one flow this browser started, kept server-side in its
//! session until the callback takes it (single use) or it expires.

use actix_session::SessionExt;
use actix_web::HttpRequest;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::error::AppError;

const KEY: &str = "sso_flow";
/// Time to sign in at the provider.
const LIFETIME_MINUTES: i64 = 10;

/// Why the flow was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// "Continue with SSO": the callback signs the person in.
    SignIn,
    /// "Test connection" by an administrator: the callback only shows the claims.
    Test,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flow {
    pub org_id: Uuid,
    pub purpose: Purpose,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The settings the flow runs with (a test must match what is saved at the end).
    pub issuer: String,
    pub client_id: String,
    pub until: DateTime<Utc>,
}

impl Flow {
    pub fn new(
        org_id: Uuid,
        purpose: Purpose,
        started: crate::sso::oidc::Started,
        issuer: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> Flow {
        Flow {
            org_id,
            purpose,
            state: started.state,
            nonce: started.nonce,
            pkce_verifier: started.pkce_verifier,
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            until: now + Duration::minutes(LIFETIME_MINUTES),
        }
    }
}

/// Keeps the flow; a newer one replaces an older one.
pub fn start(req: &HttpRequest, flow: &Flow) -> Result<(), AppError> {
    req.get_session()
        .insert(KEY, flow)
        .map_err(|_| AppError::Internal("session state".into()))
}

/// Takes the flow whose `state` this is, once: any callback, right or wrong, ends the
/// flow it finds, so a state cannot be tried twice.
pub fn take(req: &HttpRequest, state: &str, now: DateTime<Utc>) -> Option<Flow> {
    let session = req.get_session();
    if !session.contains_key(KEY) {
        return None;
    }
    let flow = session.remove_as::<Flow>(KEY)?.ok()?;
    let matches = bool::from(flow.state.as_bytes().ct_eq(state.as_bytes()));
    (matches && flow.until > now).then_some(flow)
}
