//! `/activity`: the activity log as JSON, with the page's filters (action or group,
//! member, from, to) and its cursor (newest first; `after` is the last entry's id).

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::types::{ActivityEntry, ActivityList};
use super::{AdminCaller, ApiFailure, cut, json, page_limit};
use crate::db::Db;
use crate::domain::activity_filter::{self, ActionFilter};
use crate::domain::admin_scope::AdminScope;
use crate::models::activity_log::{self, LogFilter};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// An action (`member.role_changed`) or a group (`members`, `invitations`, ...).
    action: Option<String>,
    /// Entries where this user is the actor or the target.
    member: Option<Uuid>,
    /// First day (UTC), inclusive.
    from: Option<NaiveDate>,
    /// Last day (UTC), inclusive.
    to: Option<NaiveDate>,
    /// 1 to 100; 20 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `next_after` of the previous page: older entries follow.
    after: Option<Uuid>,
}

/// Read the activity log, newest first.
#[utoipa::path(get, path = "/api/v1/organization/activity", tag = "activity",
    params(ActivityQuery), responses((status = 200, body = ActivityList)),
    security(("admin_key" = ["activity:read"])))]
pub async fn list_activity(
    caller: AdminCaller,
    db: web::Data<Db>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ActivityRead)?;
    let limit = page_limit(query.limit)?;
    let filter = LogFilter {
        action: ActionFilter::parse(query.action.as_deref().unwrap_or("")),
        member: query.member,
        since: query.from.map(activity_filter::day_start),
        until: query
            .to
            .and_then(|to| to.succ_opt())
            .map(activity_filter::day_start),
    };
    let (org_id, after) = (caller.org_id, query.after);
    let rows = db
        .run(move |conn| {
            Ok::<_, ApiFailure>(activity_log::entries(
                conn,
                org_id,
                &filter,
                after,
                limit + 1,
            )?)
        })
        .await?;
    let (rows, next_after) = cut(rows, limit, |r| r.id.to_string());
    json(&ActivityList {
        has_more: next_after.is_some(),
        next_after,
        data: rows
            .into_iter()
            .map(|row| {
                let summary = crate::domain::activity_text::describe(
                    &row.action,
                    &row.actor_name,
                    &row.target_label,
                    row.before.as_ref(),
                    row.after.as_ref(),
                );
                ActivityEntry {
                    summary: summary.plain(),
                    id: row.id,
                    time: row.created_at,
                    actor_id: row.actor_id,
                    actor: row.actor_name,
                    action: row.action,
                    target_type: row.target_type,
                    target_id: row.target_id,
                    target: row.target_label,
                    before: row.before,
                    after: row.after,
                }
            })
            .collect(),
    })
}
