//! SCIM 2.0 at `/scim/v2/` (RFC 7644), for the organization's SCIM token: discovery,
//! Users and Groups. Every change calls an `ops::scim` function; bodies are read as
//! JSON whatever their media type (`application/scim+json` or `application/json`) and
//! answers are `application/scim+json`.

mod groups;
mod users;

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
use crate::domain::scim::path;
use crate::domain::scim::resource::{Projection, USER_ATTRS};
use crate::domain::scim::{LIST_SCHEMA, MAX_RESULTS, Refusal, SEARCH_SCHEMA, discovery};
use crate::error::AppError;
use crate::models::scim as store;

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
        .service(web::resource("/Users").get(users::list_users).post(users::create_user).to(not_allowed))
        .service(web::resource("/Users/.search").post(users::search_users).to(not_allowed))
        .service(web::resource("/Users/{id}").get(users::get_user).put(users::replace_user).patch(users::patch_user).delete(users::delete_user).to(not_allowed))
        .service(web::resource("/Groups").get(groups::list_groups).post(groups::create_group).to(not_allowed))
        .service(web::resource("/Groups/.search").post(groups::search_groups).to(not_allowed))
        .service(web::resource("/Groups/{id}").get(groups::get_group).put(groups::replace_group).patch(groups::patch_group).delete(groups::delete_group).to(not_allowed))
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
        .map(|u| users::user_json(&base, u, &user_groups))
        .chain(
            groups
                .iter()
                .map(|g| groups::group_json(&base, g, &members)),
        )
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
    fn listing(&self, attrs: &[path::Attr], filterable: &[&str]) -> Result<Listing, ScimFailure> {
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
