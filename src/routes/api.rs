//! The JSON API for machines, authenticated by an API key in the `Authorization` header
//! only: no cookies, no sessions, no CSRF (R26). A key never grants page access (R32).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::config::Config;
use crate::db::Db;
use crate::domain::{API_KEY_PREFIX, PlainToken, pricing};
use crate::error::AppError;
use crate::models::api_keys;
use crate::models::billing::NewUsage;
use crate::models::organizations::Organization;
use crate::models::projects::Project;
use crate::ops;

#[rustfmt::skip]
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg
        .app_data(web::JsonConfig::default().limit(16 * 1024).error_handler(|e, _| ApiError::bad_request(&e.to_string()).into()))
        .route("/usage",  web::post().to(report_usage))
        .route("/whoami", web::get().to(whoami))
        .default_service(web::to(|| async { Err::<HttpResponse, _>(ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.")) }));
}

/// An API error: a status and a JSON body `{"error": code, "message": text}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: &str) -> Self {
        ApiError {
            status,
            code,
            message: message.to_owned(),
        }
    }

    fn unauthorized(code: &'static str, message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    fn bad_request(message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(json!({ "error": self.code, "message": self.message }))
    }
}

impl From<AppError> for ApiError {
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
            AppError::NotFound => Self::new(StatusCode::NOT_FOUND, "not_found", "Not found."),
            AppError::BadRequest(message)
            | AppError::Invalid(message)
            | AppError::Conflict(message) => Self::bad_request(&message),
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

/// The key behind a request, checked: known, not revoked, not expired, project live.
pub struct ApiCaller {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub project_id: Uuid,
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let now = req
            .app_data::<web::Data<Config>>()
            .map(|c| c.clock.now())
            .unwrap_or_else(Utc::now);
        Box::pin(async move {
            let Some(header) = header else {
                return Err(ApiError::unauthorized(
                    "missing_key",
                    "Send the API key as `Authorization: Bearer <key>`.",
                ));
            };
            let token = header
                .strip_prefix("Bearer ")
                .and_then(|raw| PlainToken::parse(API_KEY_PREFIX, raw.trim()))
                .ok_or_else(|| ApiError::unauthorized("invalid_key", "Unknown API key."))?;
            let db =
                db.ok_or_else(|| ApiError::from(AppError::Internal("Db not registered".into())))?;
            let hash = token.hash();
            let caller = db
                .run(move |conn| Ok::<_, AppError>(api_keys::caller(conn, &hash)?))
                .await?;
            let caller =
                caller.ok_or_else(|| ApiError::unauthorized("invalid_key", "Unknown API key."))?;
            if caller.revoked_at.is_some() {
                return Err(ApiError::unauthorized(
                    "key_revoked",
                    "This API key was revoked.",
                ));
            }
            if caller.expires_at.is_some_and(|at| at <= now) {
                return Err(ApiError::unauthorized(
                    "key_expired",
                    "This API key was rotated and has expired.",
                ));
            }
            if caller.project_archived_at.is_some() {
                return Err(ApiError::unauthorized(
                    "project_archived",
                    "The project of this API key is archived.",
                ));
            }
            Ok(ApiCaller {
                key_id: caller.key_id,
                org_id: caller.org_id,
                project_id: caller.project_id,
            })
        })
    }
}

/// A usage report from the gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageReport {
    model: String,
    #[serde(default = "one")]
    requests: u32,
    input_tokens: u64,
    output_tokens: u64,
    /// When the usage happened (RFC 3339); default: now. At most 7 days old.
    timestamp: Option<DateTime<Utc>>,
}

fn one() -> u32 {
    1
}

const MAX_REQUESTS: u32 = 1_000_000;

impl UsageReport {
    /// `max_tokens`: the largest input, and output, token count of one report.
    fn validate(&self, now: DateTime<Utc>, max_tokens: u64) -> Result<DateTime<Utc>, ApiError> {
        let model = self.model.trim();
        if model.is_empty() || model.chars().count() > 100 || model.chars().any(char::is_control) {
            return Err(ApiError::bad_request(
                "`model` must be 1 to 100 characters on one line.",
            ));
        }
        if self.requests > MAX_REQUESTS
            || self.input_tokens > max_tokens
            || self.output_tokens > max_tokens
        {
            return Err(ApiError::bad_request(&format!(
                "Counts are too large for one report (at most {max_tokens} input and {max_tokens} output tokens): split it."
            )));
        }
        let at = self.timestamp.unwrap_or(now);
        if at > now + Duration::minutes(5) || at < now - Duration::days(7) {
            return Err(ApiError::bad_request(
                "`timestamp` must be within the last 7 days.",
            ));
        }
        Ok(at)
    }
}

/// POST /api/v1/usage: records the report for the key's project and charges its
/// organization, or answers 402 and records nothing when the balance is used up.
pub async fn report_usage(
    caller: ApiCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    report: web::Json<UsageReport>,
) -> Result<HttpResponse, ApiError> {
    let now = config.clock.now();
    let occurred_at = report.validate(now, config.limits.max_tokens_per_report)?;
    let overdraft = config.limits.overdraft_micro;
    let report = report.into_inner();
    let model = report.model.trim().to_owned();
    let cost = pricing::cost(&model, report.input_tokens, report.output_tokens);
    let id = db
        .run(move |conn| {
            let usage = NewUsage {
                org_id: caller.org_id,
                project_id: caller.project_id,
                api_key_id: caller.key_id,
                model: &model,
                requests: report.requests as i32,
                input_tokens: report.input_tokens as i64,
                output_tokens: report.output_tokens as i64,
                cost_micro: cost,
                occurred_at,
            };
            ops::usage::report(conn, usage, overdraft, now)
        })
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "insufficient_credits",
                "The organization has no credits left, or this report would take its balance \
                 too far below zero: nothing was recorded. A billing manager can add credits \
                 on the Billing page.",
            )
        })?;
    Ok(HttpResponse::Created().json(json!({ "id": id, "recorded": true, "cost_micro": cost })))
}

/// GET /api/v1/whoami: the key's organization and project.
pub async fn whoami(caller: ApiCaller, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let (org, project) = db
        .run(move |conn| {
            let org = Organization::find(conn, caller.org_id)?;
            let project =
                Project::find(conn, caller.org_id, caller.project_id)?.ok_or(AppError::NotFound)?;
            Ok::<_, AppError>((org, project))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "organization": { "name": org.name, "slug": org.slug },
        "project": { "id": project.id, "name": project.name },
    })))
}
