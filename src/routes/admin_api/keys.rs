//! `/projects/{id}/keys`: a project's API keys: list (never the secret), create (the
//! secret in this response only), rotate (with an overlap), revoke.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use super::invitations::PageQuery;
use super::types::{CreatedKey, Key, KeyList, NewKey, RotatedKey, Rotation};
use super::{AdminCaller, ApiFailure, body, cut, json, ok, page_limit, write};
use crate::db::Db;
use crate::domain::KeyName;
use crate::domain::admin_scope::AdminScope;
use crate::models::admin_api;
use crate::models::projects::Project;
use crate::ops;
use crate::ops::api_keys::Overlap;

/// List a project's keys (revoked and expired ones too), in id order.
#[utoipa::path(get, path = "/api/v1/organization/projects/{project_id}/keys", tag = "keys",
    params(("project_id" = Uuid, Path), PageQuery), responses((status = 200, body = KeyList)),
    security(("admin_key" = ["keys:read"])))]
pub async fn list_keys(
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::KeysRead)?;
    let limit = page_limit(query.limit)?;
    let (org_id, project_id, after) = (caller.org_id, path.into_inner(), query.after);
    let rows = db
        .run(move |conn| {
            Project::find(conn, org_id, project_id)?.ok_or_else(ApiFailure::not_found)?;
            Ok::<_, ApiFailure>(admin_api::keys(conn, org_id, project_id, after, limit + 1)?)
        })
        .await?;
    let (rows, next_after) = cut(rows, limit, |r| r.id.to_string());
    json(&KeyList {
        has_more: next_after.is_some(),
        next_after,
        data: rows.into_iter().map(|k| Key::of(k, caller.now)).collect(),
    })
}

/// Create a key. Its secret is in this response only.
#[utoipa::path(post, path = "/api/v1/organization/projects/{project_id}/keys", tag = "keys",
    request_body = NewKey, params(("project_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = CreatedKey)),
    security(("admin_key" = ["keys:write"])))]
pub async fn create_key(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::KeysWrite)?;
    let new: NewKey = body(&bytes)?;
    let name =
        KeyName::parse(&new.name).map_err(|e| ApiFailure::invalid(format!("name: {}", e.0)))?;
    let (org_id, project_id, actor, now) = (
        caller.org_id,
        path.into_inner(),
        caller.actor.clone(),
        caller.now,
    );
    write(&req, &caller, &db, &bytes, move |conn| {
        let minted = ops::api_keys::create(conn, org_id, &actor, project_id, &name)?;
        let secret = minted.secret.expose().to_owned();
        ok(
            StatusCode::CREATED,
            &CreatedKey {
                key: Key::of(minted.key, now),
                secret,
            },
        )
    })
    .await
}

/// Rotate a key: a new key with the same name; the old one stops now (`overlap_hours`
/// 0) or after 1 or 24 hours.
#[utoipa::path(post, path = "/api/v1/organization/projects/{project_id}/keys/{key_id}/rotate", tag = "keys",
    request_body = Rotation,
    params(("project_id" = Uuid, Path), ("key_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = RotatedKey)),
    security(("admin_key" = ["keys:write"])))]
pub async fn rotate_key(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<(Uuid, Uuid)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::KeysWrite)?;
    let rotation: Rotation = if bytes.is_empty() {
        Rotation { overlap_hours: 0 }
    } else {
        body(&bytes)?
    };
    let overlap = Overlap::parse(&rotation.overlap_hours.to_string())?;
    let ((project_id, key_id), org_id, actor, now) = (
        path.into_inner(),
        caller.org_id,
        caller.actor.clone(),
        caller.now,
    );
    write(&req, &caller, &db, &bytes, move |conn| {
        let rotated =
            ops::api_keys::rotate(conn, org_id, &actor, project_id, key_id, overlap, now)?;
        let old =
            crate::models::api_keys::find(conn, org_id, rotated.old.id)?.unwrap_or(rotated.old);
        let secret = rotated.new.secret.expose().to_owned();
        ok(
            StatusCode::CREATED,
            &RotatedKey {
                old: Key::of(old, now),
                new: Key::of(rotated.new.key, now),
                secret,
            },
        )
    })
    .await
}

/// Revoke a key: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/organization/projects/{project_id}/keys/{key_id}", tag = "keys",
    params(("project_id" = Uuid, Path), ("key_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Key, description = "The revoked key")),
    security(("admin_key" = ["keys:write"])))]
pub async fn revoke_key(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<(Uuid, Uuid)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::KeysWrite)?;
    let ((project_id, key_id), org_id, actor, now) = (
        path.into_inner(),
        caller.org_id,
        caller.actor.clone(),
        caller.now,
    );
    write(&req, &caller, &db, &bytes, move |conn| {
        ops::api_keys::revoke(conn, org_id, &actor, project_id, key_id, now)?;
        let key = crate::models::api_keys::find(conn, org_id, key_id)?
            .ok_or_else(ApiFailure::not_found)?;
        ok(StatusCode::OK, &Key::of(key, now))
    })
    .await
}
