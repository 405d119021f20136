//! The organization API, `/api/v1/organization/...`, for organization admin keys. Every
//! write calls the same `ops::` function as the page's form, so the two cannot disagree;
//! errors are `{"error": code, "message": text}`; lists page with `limit` (at most 100)
//! and `after` (the last item's id) in a stable order; every write takes
//! `Idempotency-Key` (R44). The OpenAPI document is generated from these types.

mod activity;
mod billing;
pub mod docs;
mod invitations;
mod keys;
mod members;
pub mod openapi;
mod projects;
mod types;
mod usage;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::{Connection, PgConnection};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

pub use crate::auth::admin_key::{AdminCaller, ApiFailure, ErrorBody, RateWindow};
use crate::db::Db;
use crate::domain::sealed::SecretsKey;
use crate::error::AppError;
use crate::models::admin_api_requests;
use crate::ops::OpError;

#[rustfmt::skip]
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg
        .app_data(web::QueryConfig::default().error_handler(|e, _| ApiFailure::bad_request(format!("The query string is malformed: {e}")).into()))
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiFailure::not_found().into()))
        .route("/members",                                  web::get().to(members::list_members))
        .route("/members/{user_id}",                        web::get().to(members::get_member))
        .route("/members/{user_id}",                        web::patch().to(members::update_member))
        .route("/members/{user_id}",                        web::delete().to(members::remove_member))
        .route("/invitations",                              web::get().to(invitations::list_invitations))
        .route("/invitations",                              web::post().to(invitations::create_invitations))
        .route("/invitations/{id}",                         web::get().to(invitations::get_invitation))
        .route("/invitations/{id}",                         web::patch().to(invitations::update_invitation))
        .route("/invitations/{id}",                         web::delete().to(invitations::cancel_invitation))
        .route("/invitations/{id}/resend",                  web::post().to(invitations::resend_invitation))
        .route("/projects",                                 web::get().to(projects::list_projects))
        .route("/projects",                                 web::post().to(projects::create_project))
        .route("/projects/{project_id}",                    web::get().to(projects::get_project))
        .route("/projects/{project_id}",                    web::patch().to(projects::rename_project))
        .route("/projects/{project_id}/archive",            web::post().to(projects::archive_project))
        .route("/projects/{project_id}/members",            web::get().to(projects::list_project_members))
        .route("/projects/{project_id}/members",            web::post().to(projects::invite_project_member))
        .route("/projects/{project_id}/members/{user_id}",  web::patch().to(projects::update_project_member))
        .route("/projects/{project_id}/members/{user_id}",  web::delete().to(projects::remove_project_member))
        .route("/projects/{project_id}/keys",               web::get().to(keys::list_keys))
        .route("/projects/{project_id}/keys",               web::post().to(keys::create_key))
        .route("/projects/{project_id}/keys/{key_id}/rotate", web::post().to(keys::rotate_key))
        .route("/projects/{project_id}/keys/{key_id}",      web::delete().to(keys::revoke_key))
        .route("/usage",                                    web::get().to(usage::get_usage))
        .route("/activity",                                 web::get().to(activity::list_activity))
        .route("/billing",                                  web::get().to(billing::get_billing))
        .route("/billing/ledger",                           web::get().to(billing::list_ledger))
        .default_service(web::to(|| async { Err::<HttpResponse, _>(ApiFailure::new(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.")) }));
}

/// Adds `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds) to every answer of an
/// authenticated admin key, refused ones included.
pub async fn rate_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let rate = res.request().extensions().get::<RateWindow>().copied();
    if let Some(rate) = rate {
        let headers = res.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", rate.limit.to_string()),
            ("x-ratelimit-remaining", rate.remaining.to_string()),
            ("x-ratelimit-reset", rate.reset.to_string()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
    Ok(res)
}

impl From<OpError> for ApiFailure {
    fn from(e: OpError) -> Self {
        match e {
            OpError::NotFound => ApiFailure::not_found(),
            OpError::Refused(message) => ApiFailure::new(StatusCode::CONFLICT, "refused", message),
            OpError::Conflict(message) => {
                ApiFailure::new(StatusCode::CONFLICT, "conflict", message)
            }
            OpError::Invalid(message) => ApiFailure::invalid(message),
            OpError::Limit {
                message,
                retry_after,
            } => ApiFailure {
                retry_after: retry_after.map(|d| d.as_secs()),
                ..ApiFailure::new(StatusCode::TOO_MANY_REQUESTS, "limit_reached", message)
            },
            other => AppError::from(other).into(),
        }
    }
}

impl From<diesel::result::Error> for ApiFailure {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(e).into()
    }
}

impl From<diesel::r2d2::PoolError> for ApiFailure {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::from(e).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiFailure {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::from(e).into()
    }
}

/// `limit` and `after` of a list.
pub(super) fn page_limit(limit: Option<i64>) -> Result<i64, ApiFailure> {
    match limit {
        None => Ok(20),
        Some(n) if (1..=100).contains(&n) => Ok(n),
        Some(_) => Err(ApiFailure::bad_request(
            "`limit` must be between 1 and 100.",
        )),
    }
}

/// Cuts the one extra row a list reads to know whether more follow; returns the rows
/// and the `after` of the next page.
pub(super) fn cut<T>(
    mut rows: Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    let next = (rows.len() > limit).then(|| cursor(&rows[limit - 1]));
    rows.truncate(limit);
    (rows, next)
}

/// A request body: malformed JSON is a 400, well-formed JSON of the wrong shape a 422.
pub(super) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiFailure> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiFailure::invalid(e.to_string()),
        _ => ApiFailure::bad_request(format!("The body is not valid JSON: {e}")),
    })
}

pub(super) fn ok(status: StatusCode, value: &impl serde::Serialize) -> WriteResult {
    serde_json::to_value(value)
        .map(|v| (status, v))
        .map_err(|e| AppError::Internal(e.to_string()).into())
}

pub(super) fn json(value: &impl serde::Serialize) -> Result<HttpResponse, ApiFailure> {
    Ok(HttpResponse::Ok().json(value))
}

pub(super) type WriteResult = Result<(StatusCode, serde_json::Value), ApiFailure>;

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Runs a write. With an `Idempotency-Key`, the first request with that key does the
/// work and its response is kept for 24 hours: a retry with the same method, path and
/// body gets it again (`Idempotent-Replayed: true`), one with another body a 422.
/// Concurrent retries wait on the first one's claim, so the work happens once. Server
/// errors are not kept: a retry does the work.
pub(super) async fn write<F>(
    req: &HttpRequest,
    caller: &AdminCaller,
    db: &Db,
    body: &[u8],
    work: F,
) -> Result<HttpResponse, ApiFailure>
where
    F: FnOnce(&mut PgConnection) -> WriteResult + Send + 'static,
{
    let key = match req.headers().get(IDEMPOTENCY_KEY) {
        None => None,
        Some(value) => match value.to_str() {
            Ok(text)
                if (1..=255).contains(&text.len())
                    && text.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Some(text.to_owned())
            }
            _ => {
                return Err(ApiFailure::bad_request(
                    "`Idempotency-Key` must be 1 to 255 visible ASCII characters.",
                ));
            }
        },
    };
    let Some(key) = key else {
        let (status, value) = db.run(work).await?;
        return Ok(HttpResponse::build(status).json(value));
    };
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(req.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    let hash = hasher.finalize().to_vec();
    // A remembered answer may hold a new key's secret: it is kept sealed (R45).
    let secrets = req
        .app_data::<web::Data<SecretsKey>>()
        .cloned()
        .ok_or_else(|| ApiFailure::from(AppError::Internal("no secrets key".into())))?;
    let (key_id, now) = (caller.key_id, caller.now);
    let context = remembered_context(key_id, &key);
    let (status, text, replayed) = db
        .run(move |conn| {
            conn.transaction::<_, ApiFailure, _>(|conn| {
                if !admin_api_requests::claim(conn, key_id, &key, &hash, now)? {
                    let first = admin_api_requests::find(conn, key_id, &key)?
                        .ok_or_else(|| ApiFailure::from(AppError::Internal("claim vanished".into())))?;
                    if first.request_hash != hash {
                        return Err(ApiFailure::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "idempotency_key_reused",
                            "This Idempotency-Key was used with another request in the last 24 hours.",
                        ));
                    }
                    let body = STANDARD
                        .decode(&first.body)
                        .ok()
                        .and_then(|sealed| secrets.open(&sealed, &context).ok())
                        .and_then(|plain| String::from_utf8(plain).ok())
                        .ok_or_else(|| {
                            ApiFailure::from(AppError::Internal("unreadable remembered answer".into()))
                        })?;
                    return Ok((first.status, body, true));
                }
                let (status, text) = match work(conn) {
                    Ok((status, value)) => (status, value.to_string()),
                    Err(failure) if failure.status.is_server_error() => return Err(failure),
                    Err(failure) => (
                        failure.status,
                        serde_json::to_string(&failure.body()).unwrap_or_default(),
                    ),
                };
                let code = i16::try_from(status.as_u16()).unwrap_or(500);
                let sealed = STANDARD.encode(secrets.seal(text.as_bytes(), &context));
                admin_api_requests::store(conn, key_id, &key, code, &sealed)?;
                Ok((code, text, false))
            })
        })
        .await?;
    let status = StatusCode::from_u16(u16::try_from(status).unwrap_or(500))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.content_type(ContentType::json());
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.body(text))
}

/// What a remembered answer is sealed to: its admin key and its `Idempotency-Key`, so a
/// row copied onto another key or request does not open.
fn remembered_context(key_id: uuid::Uuid, idempotency_key: &str) -> Vec<u8> {
    let mut context = b"admin-api-answer:".to_vec();
    context.extend_from_slice(key_id.as_bytes());
    context.extend_from_slice(idempotency_key.as_bytes());
    context
}
