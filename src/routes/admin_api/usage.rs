//! `/usage`: the Usage page's numbers (same queries): per day and project, and per key,
//! for the last `days` days (today included, UTC).

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::types::{Usage, UsageDay, UsageKey};
use super::{AdminCaller, ApiFailure, json};
use crate::db::Db;
use crate::domain::Credits;
use crate::domain::admin_scope::AdminScope;
use crate::models::usage;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// 1 to 400; 30 by default.
    #[param(minimum = 1, maximum = 400)]
    days: Option<i64>,
    /// Only this project.
    project_id: Option<Uuid>,
}

/// Usage by day and project, and by key.
#[utoipa::path(get, path = "/api/v1/organization/usage", tag = "usage",
    params(UsageQuery), responses((status = 200, body = Usage)),
    security(("admin_key" = ["usage:read"])))]
pub async fn get_usage(
    caller: AdminCaller,
    db: web::Data<Db>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::UsageRead)?;
    let days = query.days.unwrap_or(30);
    if !(1..=400).contains(&days) {
        return Err(ApiFailure::bad_request("`days` must be between 1 and 400."));
    }
    let first = caller.now.date_naive() - Duration::days(days - 1);
    let since = first.and_time(chrono::NaiveTime::MIN).and_utc();
    let (org_id, project) = (caller.org_id, query.project_id);
    let (daily, keys) = db
        .run(move |conn| {
            let daily = usage::daily(conn, org_id, project, since)?;
            let keys = usage::by_key(conn, org_id, project, since)?;
            Ok::<_, ApiFailure>((daily, keys))
        })
        .await?;
    json(&Usage {
        since: first,
        days: daily
            .into_iter()
            .map(|d| UsageDay {
                day: d.day,
                project_id: d.project_id,
                project_name: d.project_name,
                requests: d.requests,
                tokens: d.tokens,
                cost: Credits::from_micro(d.cost_micro).decimal(),
            })
            .collect(),
        keys: keys
            .into_iter()
            .map(|k| UsageKey {
                cost: k.cost().decimal(),
                project_id: k.project_id,
                project_name: k.project_name,
                key_id: k.key_id,
                key_name: k.key_name,
                key_prefix: k.key_prefix,
                requests: k.requests,
                input_tokens: k.input_tokens,
                output_tokens: k.output_tokens,
            })
            .collect(),
    })
}
