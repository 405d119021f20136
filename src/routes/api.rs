//! The JSON API for machines, authenticated by an API key in the `Authorization` header
//! only: no cookies, no sessions, no CSRF (R26). A key never grants page access (R32).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::api_usage;
use crate::config::Config;
use crate::db::Db;
use crate::domain::admin_scope::ADMIN_KEY_PREFIX;
use crate::domain::{API_KEY_PREFIX, PlainToken};
use crate::error::AppError;
use crate::models::api_keys;
use crate::models::organizations::Organization;
use crate::models::projects::Project;

#[rustfmt::skip]
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg
        .app_data(web::JsonConfig::default().limit(16 * 1024).error_handler(|e, _| ApiError::bad_request(&e.to_string()).into()))
        .route("/usage",  web::post().to(api_usage::report_usage))
        .route("/usage/batch", web::post().to(api_usage::report_usage_batch))
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
    pub(super) fn new(status: StatusCode, code: &'static str, message: &str) -> Self {
        ApiError {
            status,
            code,
            message: message.to_owned(),
        }
    }

    fn unauthorized(code: &'static str, message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub(super) fn bad_request(message: &str) -> Self {
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
            if header
                .strip_prefix("Bearer ")
                .is_some_and(|raw| raw.trim().starts_with(ADMIN_KEY_PREFIX))
            {
                // R45: one kind of secret per endpoint; an admin key never reports usage.
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "wrong_key_kind",
                    "This is an organization admin key: it cannot report usage. Use a project API key (tw_live_...).",
                ));
            }
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
