//! `/scim/v2/Users`: a user is a member of the organization as the identity provider
//! describes it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Answer, ListQuery, ProjectionQuery, base, id_of, json_body, list_answer, meta, resource_answer,
};
use crate::auth::scim_token::{ScimCaller, ScimFailure};
use crate::config::Config;
use crate::db::Db;
use crate::domain::scim::patch;
use crate::domain::scim::resource::{Projection, USER_ATTRS, UserDoc};
use crate::domain::scim::{Refusal, USER_SCHEMA};
use crate::error::AppError;
use crate::mail::Context;
use crate::models::scim::{self as store, ScimUser};
use crate::ops;

/// A user as SCIM shows it, with its groups.
pub(super) fn user_json(base: &str, user: &ScimUser, groups: &[(Uuid, Uuid, String)]) -> Value {
    let location = format!("{base}/Users/{}", user.id);
    let mut out = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id.to_string(),
    });
    for (key, value) in ops::scim::user_doc(user).document() {
        out[key] = value;
    }
    let groups: Vec<Value> = groups
        .iter()
        .filter(|(u, _, _)| *u == user.id)
        .map(|(_, id, name)| json!({ "value": id.to_string(), "$ref": format!("{base}/Groups/{id}"), "display": name }))
        .collect();
    if !groups.is_empty() {
        out["groups"] = Value::Array(groups);
    }
    out["meta"] = meta("User", &location, user.created_at, user.updated_at);
    out
}

async fn render_user(
    db: &Db,
    base: String,
    user: ScimUser,
    status: StatusCode,
    projection: Projection,
) -> Answer {
    let id = user.id;
    let groups = db
        .run(move |conn| Ok::<_, AppError>(store::groups_of_users(conn, &[id])?))
        .await?;
    let body = projection.apply(user_json(&base, &user, &groups));
    Ok(resource_answer(status, &body))
}

const USER_FILTERS: &[&str] = &["userName", "externalId", "id"];

async fn users_answer(caller: ScimCaller, db: &Db, config: &Config, query: ListQuery) -> Answer {
    let listing = query.listing(USER_ATTRS, USER_FILTERS)?;
    let org_id = caller.org_id;
    let (filter, start, count) = (listing.filter.clone(), listing.start, listing.count);
    let (users, total, groups) = db
        .run(move |conn| {
            let (users, total) = store::list_users(conn, org_id, filter.as_ref(), start, count)?;
            let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
            let groups = store::groups_of_users(conn, &ids)?;
            Ok::<_, AppError>((users, total, groups))
        })
        .await?;
    let base = base(config);
    let resources = users.iter().map(|u| user_json(&base, u, &groups)).collect();
    Ok(list_answer(resources, total, &listing))
}

pub(super) async fn list_users(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<ListQuery>,
) -> Answer {
    users_answer(caller, &db, &config, query.into_inner()).await
}

pub(super) async fn search_users(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    body: web::Bytes,
) -> Answer {
    let query = ListQuery::from_search(&body)?;
    users_answer(caller, &db, &config, query).await
}

pub(super) async fn get_user(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    query: web::Query<ProjectionQuery>,
) -> Answer {
    let (org_id, id) = (caller.org_id, id_of(&path)?);
    let user = db
        .run(move |conn| Ok::<_, AppError>(store::find_user(conn, org_id, id)?))
        .await?
        .ok_or_else(ScimFailure::not_found)?;
    render_user(&db, base(&config), user, StatusCode::OK, query.projection()).await
}

pub(super) async fn create_user(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    body: web::Bytes,
) -> Answer {
    let doc = UserDoc::parse(&json_body(&body)?)?;
    let ctx = Context::from_config(&config);
    let (org_id, actor) = (caller.org_id, caller.actor.clone());
    let user = db
        .run(move |conn| ops::scim::create_user(conn, org_id, &actor, &doc, &ctx))
        .await?;
    render_user(
        &db,
        base(&config),
        user,
        StatusCode::CREATED,
        Projection::default(),
    )
    .await
}

/// PUT and PATCH: `change` turns the stored user into the new one, inside the op.
async fn change_user(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    id: Uuid,
    change: impl FnOnce(&UserDoc) -> Result<UserDoc, Refusal> + Send + 'static,
) -> Answer {
    let ctx = Context::from_config(&config);
    let (org_id, actor) = (caller.org_id, caller.actor.clone());
    let user = db
        .run(move |conn| ops::scim::update_user(conn, org_id, &actor, id, change, &ctx))
        .await?;
    render_user(
        &db,
        base(&config),
        user,
        StatusCode::OK,
        Projection::default(),
    )
    .await
}

/// `id`, `schemas` and `meta` in a PUT body are the server's; they are not compared.
pub(super) async fn replace_user(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id_of(&path)?;
    let doc = UserDoc::parse(&json_body(&body)?)?;
    change_user(caller, db, config, id, |_| Ok(doc)).await
}

pub(super) async fn patch_user(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id_of(&path)?;
    let operations = patch::parse_request(&json_body(&body)?)?;
    change_user(caller, db, config, id, move |current| {
        let mut doc = current.document();
        patch::apply(&mut doc, USER_ATTRS, &operations)?;
        UserDoc::parse(&Value::Object(doc))
    })
    .await
}

pub(super) async fn delete_user(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
) -> Answer {
    let id = id_of(&path)?;
    let ctx = Context::from_config(&config);
    let (org_id, actor) = (caller.org_id, caller.actor.clone());
    db.run(move |conn| ops::scim::delete_user(conn, org_id, &actor, id, &ctx))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
