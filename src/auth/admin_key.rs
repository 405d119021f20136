//! `AdminCaller`: an organization admin key (`Authorization: Bearer tw_admin_...`) on
//! `/api/v1/organization/`, checked on every request (known, live, organization not
//! deleted), counted against its per-minute limit, and turned into an `Actor` that the
//! ops grant Administrator rights narrowed to the key's scopes (R45). No cookies, no
//! sessions, no CSRF.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::config::Config;
use crate::db::Db;
use crate::domain::activity::Actor;
use crate::domain::admin_scope::{ADMIN_KEY_PREFIX, AdminScope};
use crate::domain::{API_KEY_PREFIX, PlainToken};
use crate::error::AppError;
use crate::models::{admin_keys, throttle};

/// Every error of the admin API: `{"error": code, "message": text}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code, e.g. `not_found`, `insufficient_scope`, `last_administrator`.
    pub error: String,
    /// What happened, for people.
    pub message: String,
}

/// An admin API error: a status, a code, a message, and for limits the wait.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiFailure {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiFailure {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found.")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn unauthorized(code: &'static str, message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code.to_owned(),
            message: self.message.clone(),
        }
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiFailure {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(wait) = self.retry_after {
            response.insert_header((RETRY_AFTER, wait.max(1).to_string()));
        }
        response.json(self.body())
    }
}

impl From<AppError> for ApiFailure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The service is temporarily unavailable.",
                )
            }
            AppError::NotFound => Self::not_found(),
            AppError::BadRequest(message) => Self::bad_request(message),
            AppError::Invalid(message) => Self::invalid(message),
            AppError::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            AppError::Forbidden => Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed."),
            AppError::TooManyRequests {
                message,
                retry_after,
            } => ApiFailure {
                retry_after: retry_after.map(|d| d.as_secs()),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            },
            other => {
                tracing::error!(error = %other, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong.",
                )
            }
        }
    }
}

/// The key's per-minute window after this request: the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct RateWindow {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window starts over.
    pub reset: u64,
}

/// A live admin key, its organization, its scopes, and the actor the ops record.
#[derive(Debug, Clone)]
pub struct AdminCaller {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub scopes: Vec<AdminScope>,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

impl AdminCaller {
    /// 403 with a JSON reason unless the key holds `scope`.
    pub fn require(&self, scope: AdminScope) -> Result<(), ApiFailure> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiFailure::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("This admin key lacks the scope {}.", scope.as_str()),
            ))
        }
    }
}

/// "API key Terraform (created by Ada Lovelace)": how the log names a key's actions.
pub fn actor_name(key_name: &str, creator: &str) -> String {
    format!("API key {key_name} (created by {creator})")
}

impl FromRequest for AdminCaller {
    type Error = ApiFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiFailure>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let config = req.app_data::<web::Data<Config>>().cloned();
        let meta = super::RequestMeta::api(req);
        let req = req.clone();
        Box::pin(async move {
            let (Some(db), Some(config)) = (db, config) else {
                return Err(AppError::Internal("app data not registered".into()).into());
            };
            let Some(header) = header else {
                return Err(ApiFailure::unauthorized(
                    "missing_key",
                    "Send an admin key as `Authorization: Bearer tw_admin_...`.",
                ));
            };
            let raw = header.strip_prefix("Bearer ").unwrap_or("").trim();
            if raw.starts_with(API_KEY_PREFIX) {
                return Err(ApiFailure::new(
                    StatusCode::FORBIDDEN,
                    "wrong_key_kind",
                    "This is a project API key: it only reports usage. The organization API takes an admin key (tw_admin_...), created in Settings, Admin keys.",
                ));
            }
            let token = PlainToken::parse(ADMIN_KEY_PREFIX, raw)
                .ok_or_else(|| ApiFailure::unauthorized("invalid_key", "Unknown admin key."))?;
            let now = config.clock.now();
            let limit = config.limits.admin_api_per_minute;
            let hash = token.hash();
            let (key, window) = db
                .run(move |conn| {
                    let Some(key) = admin_keys::by_secret(conn, &hash)? else {
                        return Ok::<_, AppError>((None, None));
                    };
                    if !key.is_live(now) {
                        return Ok((Some(key), None));
                    }
                    let window = throttle::hit(
                        conn,
                        &format!("admin-api:{}", key.id),
                        chrono::Duration::minutes(1),
                        now,
                    )?;
                    admin_keys::touch(conn, key.id, now)?;
                    Ok((Some(key), Some(window)))
                })
                .await?;
            let key =
                key.ok_or_else(|| ApiFailure::unauthorized("invalid_key", "Unknown admin key."))?;
            if key.revoked_at.is_some() {
                return Err(ApiFailure::unauthorized(
                    "key_revoked",
                    "This admin key was revoked.",
                ));
            }
            let Some(window) = window else {
                return Err(ApiFailure::unauthorized(
                    "key_expired",
                    "This admin key has expired.",
                ));
            };
            let Some(creator) = key.created_by else {
                return Err(ApiFailure::unauthorized(
                    "key_orphaned",
                    "The account that created this admin key was deleted: create a new key.",
                ));
            };
            let hits = u32::try_from(window.hits).unwrap_or(u32::MAX);
            let reset = (window.ends_at(chrono::Duration::minutes(1)) - now)
                .num_seconds()
                .max(1) as u64;
            let rate = RateWindow {
                limit,
                remaining: limit.saturating_sub(hits),
                reset,
            };
            req.extensions_mut().insert(rate);
            if hits > limit {
                return Err(ApiFailure {
                    retry_after: Some(reset),
                    ..ApiFailure::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "rate_limited",
                        format!(
                            "This admin key may make {limit} requests a minute; try again in {reset} s."
                        ),
                    )
                });
            }
            Ok(AdminCaller {
                key_id: key.id,
                org_id: key.org_id,
                scopes: key.scope_list(),
                actor: Actor {
                    user_id: creator,
                    name: actor_name(&key.name, &key.created_by_name),
                    ip: Some(meta.0),
                    user_agent: meta.1,
                    admin_key: Some(key.id),
                    scim: None,
                },
                now,
            })
        })
    }
}
