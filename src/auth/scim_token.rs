//! `ScimCaller`: the organization's SCIM token (`Authorization: Bearer tw_scim_...`) on
//! `/scim/v2/`, checked on every request (the current token of an organization that is
//! not deleted), counted against the per-minute limit, and turned into the `Actor` the
//! ops grant member management to (R45: no other kind of secret is accepted here, and
//! this one is accepted nowhere else). Errors are SCIM error documents.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::config::Config;
use crate::db::Db;
use crate::domain::PlainToken;
use crate::domain::activity::Actor;
use crate::domain::scim::{ERROR_SCHEMA, Refusal, TOKEN_PREFIX};
use crate::error::AppError;
use crate::models::{scim, throttle};
use crate::ops::OpError;

/// The media type of every SCIM answer (RFC 7644 3.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// A SCIM error: a refusal, or the token's absence or limit.
#[derive(Debug)]
pub struct ScimFailure {
    pub refusal: Refusal,
    pub retry_after: Option<u64>,
}

impl From<Refusal> for ScimFailure {
    fn from(refusal: Refusal) -> Self {
        ScimFailure {
            refusal,
            retry_after: None,
        }
    }
}

impl ScimFailure {
    fn status(status: u16, detail: impl Into<String>) -> Self {
        Refusal {
            status,
            scim_type: None,
            detail: detail.into(),
        }
        .into()
    }

    pub fn unauthorized(detail: &str) -> Self {
        Self::status(401, detail)
    }

    pub fn not_found() -> Self {
        Refusal::not_found("No such resource.").into()
    }

    pub fn method_not_allowed() -> Self {
        Self::status(405, "This endpoint does not take this method.")
    }
}

impl std::fmt::Display for ScimFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.refusal.status, self.refusal.detail)
    }
}

impl ResponseError for ScimFailure {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.refusal.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": status.as_u16().to_string(),
            "detail": self.refusal.detail,
        });
        if let Some(kind) = self.refusal.scim_type {
            body["scimType"] = json!(kind);
        }
        let mut response = HttpResponse::build(status);
        response.content_type(SCIM_JSON);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(wait) = self.retry_after {
            response.insert_header((RETRY_AFTER, wait.max(1).to_string()));
        }
        response.body(body.to_string())
    }
}

impl From<AppError> for ScimFailure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Self::not_found(),
            AppError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                Self::status(503, "The service is temporarily unavailable.")
            }
            AppError::TooManyRequests {
                message,
                retry_after,
            } => ScimFailure {
                retry_after: retry_after.map(|d| d.as_secs()),
                ..Self::status(429, message)
            },
            AppError::BadRequest(message) | AppError::Invalid(message) => {
                Refusal::invalid_value(message).into()
            }
            AppError::Conflict(message) => Refusal::conflict(message).into(),
            other => {
                tracing::error!(error = %other, "internal error");
                Self::status(500, "Something went wrong.")
            }
        }
    }
}

impl From<OpError> for ScimFailure {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Scim(refusal) => refusal.into(),
            OpError::NotFound => Self::not_found(),
            // The token was rotated or revoked while the request waited for the lock.
            OpError::Refused(message) if message == crate::ops::STALE_SCIM_TOKEN => {
                Self::unauthorized(&message)
            }
            OpError::Refused(message) | OpError::Conflict(message) => {
                Refusal::conflict(message).into()
            }
            OpError::Invalid(message) => Refusal::invalid_value(message).into(),
            other => AppError::from(other).into(),
        }
    }
}

impl From<diesel::result::Error> for ScimFailure {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(e).into()
    }
}

/// The current SCIM token of an organization, and the actor its changes are recorded
/// under.
#[derive(Debug, Clone)]
pub struct ScimCaller {
    pub token_id: Uuid,
    pub org_id: Uuid,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

impl FromRequest for ScimCaller {
    type Error = ScimFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ScimFailure>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let config = req.app_data::<web::Data<Config>>().cloned();
        let meta = super::RequestMeta::api(req);
        Box::pin(async move {
            let (Some(db), Some(config)) = (db, config) else {
                return Err(AppError::Internal("app data not registered".into()).into());
            };
            let raw = header
                .as_deref()
                .and_then(|h| {
                    h.strip_prefix("Bearer ")
                        .or_else(|| h.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| {
                    ScimFailure::unauthorized(
                        "Send the organization's SCIM token as Authorization: Bearer tw_scim_....",
                    )
                })?;
            let token = PlainToken::parse(TOKEN_PREFIX, raw).ok_or_else(|| {
                ScimFailure::unauthorized(
                    "Unknown SCIM token. SCIM takes a SCIM token (tw_scim_...), created in Settings, SCIM provisioning; API keys and admin keys are not accepted here.",
                )
            })?;
            let now = config.clock.now();
            let limit = config.limits.admin_api_per_minute;
            let hash = token.hash();
            let found = db
                .run(move |conn| {
                    let Some(token) = scim::by_secret(conn, &hash)? else {
                        return Ok::<_, AppError>(None);
                    };
                    let window = throttle::hit(
                        conn,
                        &format!("scim:{}", token.id),
                        chrono::Duration::minutes(1),
                        now,
                    )?;
                    scim::touch(conn, token.id, now)?;
                    Ok(Some((token, window)))
                })
                .await?;
            let (token, window) =
                found.ok_or_else(|| ScimFailure::unauthorized("Unknown SCIM token."))?;
            if u32::try_from(window.hits).unwrap_or(u32::MAX) > limit {
                let reset = (window.ends_at(chrono::Duration::minutes(1)) - now)
                    .num_seconds()
                    .max(1) as u64;
                return Err(ScimFailure {
                    retry_after: Some(reset),
                    ..ScimFailure::status(
                        429,
                        format!(
                            "The SCIM token may make {limit} requests a minute; try again in {reset} s."
                        ),
                    )
                });
            }
            Ok(ScimCaller {
                token_id: token.id,
                org_id: token.org_id,
                actor: Actor::scim(token.id, Some(meta.0), meta.1),
                now,
            })
        })
    }
}
