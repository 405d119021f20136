//! Usage reports from the gateway: one at a time (`POST /api/v1/usage`, committed in
//! groups per organization) or up to 1,000 per request (`POST /api/v1/usage/batch`, one
//! transaction). Each report may carry the gateway's request id: a retry is answered
//! with the first result and charged nothing.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{ApiCaller, ApiError};
use crate::config::Config;
use crate::db::Db;
use crate::domain::pricing;
use crate::error::AppError;
use crate::ops;
use crate::ops::usage::{Outcome, Report};
use crate::ops::usage_queue::UsageQueue;

/// Reports in one batch request.
pub const MAX_BATCH: usize = 1_000;
/// Bytes of one batch request.
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;
const MAX_REQUESTS: u32 = 1_000_000;

const NO_CREDITS: &str = "The organization has no credits left, or this report would take its \
     balance too far below zero: nothing was recorded. A billing manager can add credits on \
     the Billing page.";

/// A usage report from the gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageReport {
    /// The gateway's request id: a report with an id already recorded for the
    /// organization in the last 7 days is a duplicate.
    id: Option<String>,
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

impl UsageReport {
    /// The report for the caller's project, priced. `max_tokens`: the largest input,
    /// and output, token count of one report.
    fn parse(
        self,
        caller: &ApiCaller,
        now: DateTime<Utc>,
        max_tokens: u64,
    ) -> Result<Report, String> {
        let model = self.model.trim();
        if model.is_empty() || model.chars().count() > 100 || model.chars().any(char::is_control) {
            return Err("`model` must be 1 to 100 characters on one line.".into());
        }
        if let Some(id) = &self.id
            && (id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_graphic()))
        {
            return Err("`id` must be 1 to 64 visible ASCII characters (no spaces).".into());
        }
        if self.requests > MAX_REQUESTS
            || self.input_tokens > max_tokens
            || self.output_tokens > max_tokens
        {
            return Err(format!(
                "Counts are too large for one report (at most {max_tokens} input and {max_tokens} output tokens): split it."
            ));
        }
        let at = self.timestamp.unwrap_or(now);
        if at > now + Duration::minutes(5) || at < now - Duration::days(7) {
            return Err(
                "`timestamp` must be within the last 7 days, and at most 5 minutes ahead.".into(),
            );
        }
        Ok(Report {
            project_id: caller.project_id,
            api_key_id: caller.key_id,
            cost_micro: pricing::cost(model, self.input_tokens, self.output_tokens),
            model: model.to_owned(),
            requests: self.requests as i32,
            input_tokens: self.input_tokens as i64,
            output_tokens: self.output_tokens as i64,
            occurred_at: at,
            request_id: self.id,
        })
    }
}

/// POST /api/v1/usage: records the report for the key's project and charges its
/// organization (201), answers a retry with the first result (201, `"duplicate": true`),
/// or answers 402 and records nothing when the balance is used up.
pub async fn report_usage(
    caller: ApiCaller,
    queue: web::Data<UsageQueue>,
    config: web::Data<Config>,
    report: web::Json<UsageReport>,
) -> Result<HttpResponse, ApiError> {
    let now = config.clock.now();
    let org_id = caller.org_id;
    let report = report
        .into_inner()
        .parse(&caller, now, config.limits.max_tokens_per_report)
        .map_err(|m| ApiError::bad_request(&m))?;
    let outcome = queue.submit(org_id, report).await.map_err(AppError::from)?;
    match outcome {
        Outcome::Recorded { id, cost_micro } => Ok(HttpResponse::Created()
            .json(json!({ "id": id, "recorded": true, "cost_micro": cost_micro }))),
        Outcome::Duplicate { id, cost_micro } => Ok(HttpResponse::Created().json(
            json!({ "id": id, "recorded": true, "cost_micro": cost_micro, "duplicate": true }),
        )),
        Outcome::Refused => Err(ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            NO_CREDITS,
        )),
    }
}

/// POST /api/v1/usage/batch: up to 1,000 reports, a JSON array or NDJSON
/// (`Content-Type: application/x-ndjson`), answered in order, one result per report;
/// the accepted ones are recorded in one transaction.
pub async fn report_usage_batch(
    caller: ApiCaller,
    request: HttpRequest,
    body: web::Payload,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, ApiError> {
    let body = read_limited(&request, body).await?;
    let ndjson = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/x-ndjson"));
    let items = if ndjson {
        split_ndjson(&body)?
    } else {
        split_array(&body)?
    };
    if items.len() > MAX_BATCH {
        return Err(too_large(&format!(
            "A batch holds at most {MAX_BATCH} reports; this one has {}: split it.",
            items.len()
        )));
    }
    let now = config.clock.now();
    let max_tokens = config.limits.max_tokens_per_report;
    let mut results: Vec<Value> = Vec::with_capacity(items.len());
    let mut reports = Vec::new();
    let mut slots = Vec::new();
    for item in items {
        let parsed = item
            .and_then(|v| serde_json::from_value::<UsageReport>(v).map_err(|e| e.to_string()))
            .and_then(|r| r.parse(&caller, now, max_tokens));
        match parsed {
            Ok(report) => {
                slots.push(results.len());
                results.push(Value::Null);
                reports.push(report);
            }
            Err(message) => {
                results.push(json!({ "status": 400, "error": "bad_request", "message": message }))
            }
        }
    }
    let (org_id, overdraft) = (caller.org_id, config.limits.overdraft_micro);
    let outcomes = if reports.is_empty() {
        Vec::new()
    } else {
        db.run(move |conn| ops::usage::record(conn, org_id, &reports, overdraft, now))
            .await
            .map_err(AppError::from)?
    };
    for (slot, outcome) in slots.into_iter().zip(outcomes) {
        results[slot] = match outcome {
            Outcome::Recorded { id, cost_micro } => {
                json!({ "status": 201, "id": id, "cost_micro": cost_micro })
            }
            Outcome::Duplicate { id, cost_micro } => {
                json!({ "status": 201, "id": id, "cost_micro": cost_micro, "duplicate": true })
            }
            Outcome::Refused => {
                json!({ "status": 402, "error": "insufficient_credits", "message": NO_CREDITS })
            }
        };
    }
    let recorded = results.iter().filter(|r| r["status"] == 201).count();
    Ok(HttpResponse::Ok().json(json!({
        "recorded": recorded,
        "refused": results.len() - recorded,
        "results": results,
    })))
}

fn too_large(message: &str) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
}

/// The body, or 413 as soon as it is known to exceed [`MAX_BATCH_BYTES`].
async fn read_limited(request: &HttpRequest, mut body: web::Payload) -> Result<Vec<u8>, ApiError> {
    let over = || {
        too_large(&format!(
            "A batch request holds at most {} MB: split it.",
            MAX_BATCH_BYTES / (1024 * 1024)
        ))
    };
    let announced = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > MAX_BATCH_BYTES) {
        return Err(over());
    }
    let mut bytes = Vec::with_capacity(announced.unwrap_or(0));
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::bad_request(&format!("The body could not be read: {e}")))?;
        if bytes.len() + chunk.len() > MAX_BATCH_BYTES {
            return Err(over());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A JSON array's items (each parsed later, so that one bad item fails alone).
fn split_array(body: &[u8]) -> Result<Vec<Result<Value, String>>, ApiError> {
    let items: Vec<Value> = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(&format!(
            "The body must be a JSON array of reports (or NDJSON with Content-Type application/x-ndjson): {e}"
        ))
    })?;
    Ok(items.into_iter().map(Ok).collect())
}

/// One item per non-blank line; a line that is not JSON is that item's error.
fn split_ndjson(body: &[u8]) -> Result<Vec<Result<Value, String>>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("The body is not UTF-8 text."))?;
    Ok(text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str::<Value>(line).map_err(|e| e.to_string()))
        .collect())
}
