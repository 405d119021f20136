//! `/members`: list (role filter, search), get, change role, remove.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::types::{
    Key, Member, MemberList, Removal, RemovedMember, RoleChange, RoleName, RotatedKey,
};
use super::{AdminCaller, ApiFailure, body, cut, json, ok, page_limit, write};
use crate::config::Config;
use crate::db::Db;
use crate::domain::Role;
use crate::domain::admin_scope::AdminScope;
use crate::mail::Context;
use crate::models::member_list::{self, MemberFilter};
use crate::ops;
use crate::ops::members::RemovalPlan;

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

/// Remove a member, and in the same transaction give new secrets to the keys of theirs
/// named in `rotate_keys` (the removal wizard's choice). Keys not named keep working; an
/// empty body keeps every key. Naming keys takes `keys:write` as well. A key not theirs:
/// 404, and nothing happens. The last administrator stays (409).
#[utoipa::path(delete, path = "/api/v1/organization/members/{user_id}", tag = "members",
    params(("user_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = Option<Removal>, description = "Optional: the keys to rotate"),
    responses((status = 200, body = RemovedMember, description = "The removed member and each rotated key's new secret, shown once")),
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
    // No body, or `null`: keep every key.
    let removal: Removal = if bytes.iter().all(u8::is_ascii_whitespace) {
        Removal::default()
    } else {
        body::<Option<Removal>>(&bytes)?.unwrap_or_default()
    };
    if removal.rotate_keys.len() > MAX_ROTATED {
        return Err(ApiFailure::invalid(format!(
            "rotate_keys: at most {MAX_ROTATED} keys."
        )));
    }
    if !removal.rotate_keys.is_empty() {
        // Rotating is a change of keys: the key needs that scope as well.
        caller.require(AdminScope::KeysWrite)?;
    }
    let mut plan = RemovalPlan::keep_keys();
    plan.rotate = removal.rotate_keys;
    if let Some(overlap) = removal.overlap {
        plan.overlap = overlap.into();
    }
    let (org_id, user_id, actor) = (caller.org_id, path.into_inner(), caller.actor.clone());
    let ctx = Context::from_config(&config);
    write(&req, &caller, &db, &bytes, move |conn| {
        let removed = ops::members::remove_member(conn, org_id, &actor, user_id, &plan, &ctx)?;
        let now = ctx.now;
        let mut rotated_keys = Vec::with_capacity(removed.rotated.len());
        for (rotated, _project) in removed.rotated {
            // The old key as it is now: expiring, or revoked without an overlap.
            let old =
                crate::models::api_keys::find(conn, org_id, rotated.old.id)?.unwrap_or(rotated.old);
            rotated_keys.push(RotatedKey {
                old: Key::of(old, now),
                new: Key::of(rotated.new.key, now),
                secret: rotated.new.secret.expose().to_owned(),
            });
        }
        ok(
            StatusCode::OK,
            &RemovedMember {
                member: Member::from(removed.row),
                rotated_keys,
            },
        )
    })
    .await
}

/// The most keys one removal rotates: more than anyone creates in practice.
const MAX_ROTATED: usize = 100;
