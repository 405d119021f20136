//! `/scim/v2/Groups`: the identity provider's groups; mapped groups give roles.

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
use crate::domain::scim::resource::{GROUP_ATTRS, GroupDoc, Projection};
use crate::domain::scim::{GROUP_SCHEMA, Refusal};
use crate::error::AppError;
use crate::models::scim::{self as store, ScimGroup};
use crate::ops;

pub(super) fn group_json(base: &str, group: &ScimGroup, members: &[(Uuid, Uuid)]) -> Value {
    let location = format!("{base}/Groups/{}", group.id);
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.to_string(),
        "displayName": group.display_name,
    });
    if let Some(id) = &group.external_id {
        out["externalId"] = json!(id);
    }
    let members: Vec<Value> = members
        .iter()
        .filter(|(g, _)| *g == group.id)
        .map(|(_, user)| json!({ "value": user.to_string(), "$ref": format!("{base}/Users/{user}") }))
        .collect();
    if !members.is_empty() {
        out["members"] = Value::Array(members);
    }
    out["meta"] = meta("Group", &location, group.created_at, group.updated_at);
    out
}

async fn render_group(
    db: &Db,
    base: String,
    group: ScimGroup,
    status: StatusCode,
    projection: Projection,
) -> Answer {
    let id = group.id;
    let members = db
        .run(move |conn| Ok::<_, AppError>(store::members_of(conn, &[id])?))
        .await?;
    let body = projection.apply(group_json(&base, &group, &members));
    Ok(resource_answer(status, &body))
}

const GROUP_FILTERS: &[&str] = &["displayName", "externalId", "id"];

async fn groups_answer(caller: ScimCaller, db: &Db, config: &Config, query: ListQuery) -> Answer {
    let listing = query.listing(GROUP_ATTRS, GROUP_FILTERS)?;
    let org_id = caller.org_id;
    let (filter, start, count) = (listing.filter.clone(), listing.start, listing.count);
    let (groups, total, members) = db
        .run(move |conn| {
            let (groups, total) = store::list_groups(conn, org_id, filter.as_ref(), start, count)?;
            let ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
            let members = store::members_of(conn, &ids)?;
            Ok::<_, AppError>((groups, total, members))
        })
        .await?;
    let base = base(config);
    let resources = groups
        .iter()
        .map(|g| group_json(&base, g, &members))
        .collect();
    Ok(list_answer(resources, total, &listing))
}

pub(super) async fn list_groups(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<ListQuery>,
) -> Answer {
    groups_answer(caller, &db, &config, query.into_inner()).await
}

pub(super) async fn search_groups(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    body: web::Bytes,
) -> Answer {
    let query = ListQuery::from_search(&body)?;
    groups_answer(caller, &db, &config, query).await
}

pub(super) async fn get_group(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    query: web::Query<ProjectionQuery>,
) -> Answer {
    let (org_id, id) = (caller.org_id, id_of(&path)?);
    let group = db
        .run(move |conn| Ok::<_, AppError>(store::find_group(conn, org_id, id)?))
        .await?
        .ok_or_else(ScimFailure::not_found)?;
    render_group(
        &db,
        base(&config),
        group,
        StatusCode::OK,
        query.projection(),
    )
    .await
}

pub(super) async fn create_group(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    body: web::Bytes,
) -> Answer {
    let doc = GroupDoc::parse(&json_body(&body)?)?;
    let (org_id, actor, now) = (caller.org_id, caller.actor.clone(), caller.now);
    let group = db
        .run(move |conn| ops::scim::create_group(conn, org_id, &actor, &doc, now))
        .await?;
    render_group(
        &db,
        base(&config),
        group,
        StatusCode::CREATED,
        Projection::default(),
    )
    .await
}

/// PUT and PATCH: `change` turns the stored group into the new one, inside the op.
async fn change_group(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    id: Uuid,
    change: impl FnOnce(&GroupDoc) -> Result<GroupDoc, Refusal> + Send + 'static,
) -> Answer {
    let (org_id, actor, now) = (caller.org_id, caller.actor.clone(), caller.now);
    let group = db
        .run(move |conn| ops::scim::update_group(conn, org_id, &actor, id, change, now))
        .await?;
    render_group(
        &db,
        base(&config),
        group,
        StatusCode::OK,
        Projection::default(),
    )
    .await
}

pub(super) async fn replace_group(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id_of(&path)?;
    let doc = GroupDoc::parse(&json_body(&body)?)?;
    change_group(caller, db, config, id, |_| Ok(doc)).await
}

pub(super) async fn patch_group(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id_of(&path)?;
    let operations = patch::parse_request(&json_body(&body)?)?;
    change_group(caller, db, config, id, move |current| {
        let mut doc = current.document();
        patch::apply(&mut doc, GROUP_ATTRS, &operations)?;
        GroupDoc::parse(&Value::Object(doc))
    })
    .await
}

pub(super) async fn delete_group(
    caller: ScimCaller,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Answer {
    let id = id_of(&path)?;
    let (org_id, actor) = (caller.org_id, caller.actor.clone());
    db.run(move |conn| ops::scim::delete_group(conn, org_id, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
