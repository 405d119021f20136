//! `/members`: list (role filter, search), get, change role, remove.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::types::{Member, MemberList, RoleChange, RoleName};
use super::{AdminCaller, ApiFailure, body, cut, json, ok, page_limit, write};
use crate::config::Config;
use crate::db::Db;
use crate::domain::Role;
use crate::domain::admin_scope::AdminScope;
use crate::mail::Context;
use crate::models::member_list::{self, MemberFilter};
use crate::ops;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Only members with this role.
    role: Option<RoleName>,
    /// Part of a name or email address.
    search: Option<String>,
    /// 1 to 100; 20 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `next_after` of the previous page.
    after: Option<Uuid>,
}

/// List members, in user id order.
#[utoipa::path(get, path = "/api/v1/organization/members", tag = "members",
    params(MemberQuery), responses((status = 200, body = MemberList)),
    security(("admin_key" = ["members:read"])))]
pub async fn list_members(
    caller: AdminCaller,
    db: web::Data<Db>,
    query: web::Query<MemberQuery>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersRead)?;
    let limit = page_limit(query.limit)?;
    let search = query.search.clone().unwrap_or_default();
    if search.chars().count() > 100 {
        return Err(ApiFailure::bad_request(
            "`search` is at most 100 characters.",
        ));
    }
    let filter = MemberFilter {
        search: search.trim().to_lowercase(),
        role: query.role.map(Role::from),
        ..MemberFilter::default()
    };
    let (org_id, after) = (caller.org_id, query.after);
    let rows = db
        .run(move |conn| {
            Ok::<_, ApiFailure>(member_list::after(conn, org_id, &filter, after, limit + 1)?)
        })
        .await?;
    let (rows, next_after) = cut(rows, limit, |r| r.user_id.to_string());
    json(&MemberList {
        has_more: next_after.is_some(),
        next_after,
        data: rows.into_iter().map(Member::from).collect(),
    })
}

/// Get one member.
#[utoipa::path(get, path = "/api/v1/organization/members/{user_id}", tag = "members",
    params(("user_id" = Uuid, Path)), responses((status = 200, body = Member)),
    security(("admin_key" = ["members:read"])))]
pub async fn get_member(
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersRead)?;
    let (org_id, user_id) = (caller.org_id, path.into_inner());
    let row = db
        .run(move |conn| Ok::<_, ApiFailure>(member_list::find(conn, org_id, user_id)?))
        .await?
        .ok_or_else(ApiFailure::not_found)?;
    json(&Member::from(row))
}

/// Change a member's role: the same rules as the Members page (the last administrator
/// stays one: 409).
#[utoipa::path(patch, path = "/api/v1/organization/members/{user_id}", tag = "members",
    params(("user_id" = Uuid, Path)), request_body = RoleChange,
    responses((status = 200, body = Member)),
    security(("admin_key" = ["members:write"])))]
pub async fn update_member(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersWrite)?;
    let change: RoleChange = body(&bytes)?;
    let (org_id, user_id, actor) = (caller.org_id, path.into_inner(), caller.actor.clone());
    write(&req, &caller, &db, &bytes, move |conn| {
        let (row, _) =
            ops::members::change_role(conn, org_id, &actor, user_id, change.role.into())?;
        ok(StatusCode::OK, &Member::from(row))
    })
    .await
}

/// Remove a member. Their project API keys keep working (rotate them with the keys
/// endpoints); the last administrator stays (409).
#[utoipa::path(delete, path = "/api/v1/organization/members/{user_id}", tag = "members",
    params(("user_id" = Uuid, Path)), responses((status = 200, body = Member, description = "The removed member")),
    security(("admin_key" = ["members:write"])))]
pub async fn remove_member(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
    config: web::Data<Config>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersWrite)?;
    let (org_id, user_id, actor) = (caller.org_id, path.into_inner(), caller.actor.clone());
    let ctx = Context::from_config(&config);
    write(&req, &caller, &db, &bytes, move |conn| {
        let plan = ops::members::RemovalPlan::keep_keys();
        let removed = ops::members::remove_member(conn, org_id, &actor, user_id, &plan, &ctx)?;
        ok(StatusCode::OK, &Member::from(removed.row))
    })
    .await
}
