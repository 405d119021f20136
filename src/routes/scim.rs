//! SCIM 2.0 at `/scim/v2/` (RFC 7644), for the organization's SCIM token: discovery,
//! Users and Groups. Every change calls an `ops::scim` function; bodies are read as
//! JSON whatever their media type (`application/scim+json` or `application/json`) and
//! answers are `application/scim+json`.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::scim_token::{SCIM_JSON, ScimCaller, ScimFailure};
use crate::config::Config;
use crate::db::Db;
use crate::domain::scim::filter::{self, Filter};
use crate::domain::scim::patch;
use crate::domain::scim::resource::{GROUP_ATTRS, GroupDoc, Projection, USER_ATTRS, UserDoc};
use crate::domain::scim::{
    GROUP_SCHEMA, LIST_SCHEMA, MAX_RESULTS, Refusal, SEARCH_SCHEMA, USER_SCHEMA, discovery,
};
use crate::error::AppError;
use crate::mail::Context;
use crate::models::scim::{self as store, ScimGroup, ScimUser};
use crate::ops;

/// The largest body taken: a group of 10,000 members fits.
const MAX_BODY: usize = 1024 * 1024;

#[rustfmt::skip]
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg
        .app_data(web::PayloadConfig::new(MAX_BODY))
        .app_data(web::PathConfig::default().error_handler(|_, _| ScimFailure::not_found().into()))
        .app_data(web::QueryConfig::default().error_handler(|e, _| ScimFailure::from(Refusal::invalid_value(format!("The query string is malformed: {e}"))).into()))
        .service(web::resource("/ServiceProviderConfig").get(service_provider_config).to(not_allowed))
        .service(web::resource("/ResourceTypes").get(resource_types).to(not_allowed))
        .service(web::resource("/ResourceTypes/{id}").get(resource_type).to(not_allowed))
        .service(web::resource("/Schemas").get(schemas).to(not_allowed))
        .service(web::resource("/Schemas/{id}").get(schema).to(not_allowed))
        .service(web::resource("/Users").get(list_users).post(create_user).to(not_allowed))
        .service(web::resource("/Users/.search").post(search_users).to(not_allowed))
        .service(web::resource("/Users/{id}").get(get_user).put(replace_user).patch(patch_user).delete(delete_user).to(not_allowed))
        .service(web::resource("/Groups").get(list_groups).post(create_group).to(not_allowed))
        .service(web::resource("/Groups/.search").post(search_groups).to(not_allowed))
        .service(web::resource("/Groups/{id}").get(get_group).put(replace_group).patch(patch_group).delete(delete_group).to(not_allowed))
        .service(web::resource("/.search").post(search_all).to(not_allowed))
        .default_service(web::to(not_found));
}

type Answer = Result<HttpResponse, ScimFailure>;

fn scim(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(SCIM_JSON)
        .body(body.to_string())
}

async fn not_allowed(_: ScimCaller) -> Answer {
    Err(ScimFailure::method_not_allowed())
}

async fn not_found(_: ScimCaller) -> Answer {
    Err(ScimFailure::not_found())
}

/// POST /.search: users, then groups, as one list; a filter must suit both.
async fn search_all(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    body: web::Bytes,
) -> Answer {
    let listing = ListQuery::from_search(&body)?.listing(USER_ATTRS, &["externalId", "id"])?;
    let org_id = caller.org_id;
    let (filter, start, count) = (listing.filter.clone(), listing.start, listing.count);
    let (users, groups, total, user_groups, members) = db
        .run(move |conn| {
            let filter = filter.as_ref();
            let (users, users_total) = store::list_users(conn, org_id, filter, start, count)?;
            let group_start = (start - users_total).max(0);
            let group_count = count - users.len() as i64;
            let (groups, groups_total) =
                store::list_groups(conn, org_id, filter, group_start, group_count)?;
            let user_ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
            let group_ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
            let user_groups = store::groups_of_users(conn, &user_ids)?;
            let members = store::members_of(conn, &group_ids)?;
            Ok::<_, AppError>((
                users,
                groups,
                users_total + groups_total,
                user_groups,
                members,
            ))
        })
        .await?;
    let base = base(&config);
    let resources = users
        .iter()
        .map(|u| user_json(&base, u, &user_groups))
        .chain(groups.iter().map(|g| group_json(&base, g, &members)))
        .collect();
    Ok(list_answer(resources, total, &listing))
}

fn base(config: &Config) -> String {
    format!("{}/scim/v2", config.base_url)
}

async fn service_provider_config(_: ScimCaller, config: web::Data<Config>) -> Answer {
    Ok(scim(
        StatusCode::OK,
        &discovery::service_provider_config(&base(&config)),
    ))
}

fn list_of(resources: Vec<Value>, total: usize) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

async fn resource_types(_: ScimCaller, config: web::Data<Config>) -> Answer {
    let all = discovery::resource_types(&base(&config));
    let total = all.len();
    Ok(scim(StatusCode::OK, &list_of(all, total)))
}

async fn resource_type(_: ScimCaller, config: web::Data<Config>, id: web::Path<String>) -> Answer {
    discovery::resource_types(&base(&config))
        .into_iter()
        .find(|r| r["id"] == id.as_str())
        .map(|r| scim(StatusCode::OK, &r))
        .ok_or_else(ScimFailure::not_found)
}

async fn schemas(_: ScimCaller, config: web::Data<Config>) -> Answer {
    let all = discovery::schemas(&base(&config));
    let total = all.len();
    Ok(scim(StatusCode::OK, &list_of(all, total)))
}

async fn schema(_: ScimCaller, config: web::Data<Config>, id: web::Path<String>) -> Answer {
    discovery::schemas(&base(&config))
        .into_iter()
        .find(|r| r["id"] == id.as_str())
        .map(|r| scim(StatusCode::OK, &r))
        .ok_or_else(ScimFailure::not_found)
}

/// The list parameters (RFC 7644 3.4.2), from a query string or a search body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

struct Listing {
    filter: Option<Filter>,
    /// 0-based.
    start: i64,
    count: i64,
    projection: Projection,
}

fn number(value: Option<&str>, what: &str) -> Result<Option<i64>, ScimFailure> {
    value
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| Refusal::invalid_value(format!("{what} is a whole number.")).into())
        })
        .transpose()
}

impl ListQuery {
    fn listing(&self, attrs: &[patch::Attr], filterable: &[&str]) -> Result<Listing, ScimFailure> {
        let filter = match self.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            Some(f) => Some(filter::parse(f, attrs, filterable)?),
            None => None,
        };
        // Below 1 counts as 1; a negative count as 0; above the maximum, the maximum.
        let start = number(self.start_index.as_deref(), "startIndex")?
            .unwrap_or(1)
            .max(1)
            - 1;
        let count = number(self.count.as_deref(), "count")?
            .unwrap_or(MAX_RESULTS / 2)
            .clamp(0, MAX_RESULTS);
        Ok(Listing {
            filter,
            start,
            count,
            projection: Projection::parse(
                self.attributes.as_deref(),
                self.excluded_attributes.as_deref(),
            ),
        })
    }

    /// A POST `.search` body: the same parameters as JSON (`attributes` as a list).
    fn from_search(body: &[u8]) -> Result<ListQuery, ScimFailure> {
        let value = json_body(body)?;
        let has_schema = value["schemas"]
            .as_array()
            .is_some_and(|s| s.iter().any(|v| v == SEARCH_SCHEMA));
        if !has_schema {
            return Err(Refusal::invalid_syntax(format!(
                "A search names the schema {SEARCH_SCHEMA}."
            ))
            .into());
        }
        let text = |key: &str| match &value[key] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => None,
        };
        Ok(ListQuery {
            filter: text("filter"),
            start_index: text("startIndex"),
            count: text("count"),
            attributes: text("attributes"),
            excluded_attributes: text("excludedAttributes"),
        })
    }
}

fn json_body(body: &[u8]) -> Result<Value, ScimFailure> {
    serde_json::from_slice(body)
        .map_err(|e| Refusal::invalid_syntax(format!("The body is not JSON: {e}")).into())
}

fn list_answer(resources: Vec<Value>, total: i64, listing: &Listing) -> HttpResponse {
    let resources: Vec<Value> = resources
        .into_iter()
        .map(|r| listing.projection.apply(r))
        .collect();
    scim(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": listing.start + 1,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

fn meta(
    kind: &str,
    location: &str,
    created: chrono::DateTime<chrono::Utc>,
    modified: chrono::DateTime<chrono::Utc>,
) -> Value {
    json!({
        "resourceType": kind,
        "created": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "lastModified": modified.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "location": location,
    })
}

/// A user as SCIM shows it, with its groups.
fn user_json(base: &str, user: &ScimUser, groups: &[(Uuid, Uuid, String)]) -> Value {
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

fn group_json(base: &str, group: &ScimGroup, members: &[(Uuid, Uuid)]) -> Value {
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

fn id_of(path: &str) -> Result<Uuid, ScimFailure> {
    Uuid::parse_str(path).map_err(|_| ScimFailure::not_found())
}

/// One resource; a new one also says where it lives (its `meta.location`).
fn resource_answer(status: StatusCode, body: &Value) -> HttpResponse {
    let mut response = scim(status, body);
    let location = body["meta"]["location"]
        .as_str()
        .and_then(|l| l.parse().ok());
    if let (StatusCode::CREATED, Some(location)) = (status, location) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
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

const USER_FILTERS: &[&str] = &["userName", "externalId", "id"];
const GROUP_FILTERS: &[&str] = &["displayName", "externalId", "id"];

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

async fn list_users(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<ListQuery>,
) -> Answer {
    users_answer(caller, &db, &config, query.into_inner()).await
}

async fn search_users(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    body: web::Bytes,
) -> Answer {
    let query = ListQuery::from_search(&body)?;
    users_answer(caller, &db, &config, query).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectionQuery {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

impl ProjectionQuery {
    fn projection(&self) -> Projection {
        Projection::parse(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }
}

async fn get_user(
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

async fn create_user(
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

/// `id`, `schemas` and `meta` in a PUT body are the server's; they are not compared.
async fn replace_user(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id_of(&path)?;
    let doc = UserDoc::parse(&json_body(&body)?)?;
    let ctx = Context::from_config(&config);
    let (org_id, actor) = (caller.org_id, caller.actor.clone());
    let user = db
        .run(move |conn| ops::scim::update_user(conn, org_id, &actor, id, |_| Ok(doc), &ctx))
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

async fn patch_user(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id_of(&path)?;
    let operations = patch::parse_request(&json_body(&body)?)?;
    let ctx = Context::from_config(&config);
    let (org_id, actor) = (caller.org_id, caller.actor.clone());
    let user = db
        .run(move |conn| {
            ops::scim::update_user(
                conn,
                org_id,
                &actor,
                id,
                |current| {
                    let mut doc = current.document();
                    patch::apply(&mut doc, USER_ATTRS, &operations)?;
                    UserDoc::parse(&Value::Object(doc))
                },
                &ctx,
            )
        })
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

async fn delete_user(
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

async fn list_groups(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<ListQuery>,
) -> Answer {
    groups_answer(caller, &db, &config, query.into_inner()).await
}

async fn search_groups(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    body: web::Bytes,
) -> Answer {
    let query = ListQuery::from_search(&body)?;
    groups_answer(caller, &db, &config, query).await
}

async fn get_group(
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

async fn create_group(
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

async fn replace_group(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id_of(&path)?;
    let doc = GroupDoc::parse(&json_body(&body)?)?;
    let (org_id, actor, now) = (caller.org_id, caller.actor.clone(), caller.now);
    let group = db
        .run(move |conn| ops::scim::update_group(conn, org_id, &actor, id, |_| Ok(doc), now))
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

async fn patch_group(
    caller: ScimCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let id = id_of(&path)?;
    let operations = patch::parse_request(&json_body(&body)?)?;
    let (org_id, actor, now) = (caller.org_id, caller.actor.clone(), caller.now);
    let group = db
        .run(move |conn| {
            ops::scim::update_group(
                conn,
                org_id,
                &actor,
                id,
                |current| {
                    let mut doc = current.document();
                    patch::apply(&mut doc, GROUP_ATTRS, &operations)?;
                    GroupDoc::parse(&Value::Object(doc))
                },
                now,
            )
        })
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

async fn delete_group(caller: ScimCaller, db: web::Data<Db>, path: web::Path<String>) -> Answer {
    let id = id_of(&path)?;
    let (org_id, actor) = (caller.org_id, caller.actor.clone());
    db.run(move |conn| ops::scim::delete_group(conn, org_id, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
