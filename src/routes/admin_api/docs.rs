//! `/docs/api`: a readable reference of the organization API, rendered on the server
//! from the same OpenAPI document (no script, no CDN).

use actix_web::HttpResponse;
use askama::Template;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{RefOr, Required};

use super::openapi::document;
use crate::auth::RequestMeta;
use crate::error::AppError;
use crate::htmx::html;
use crate::layout::Layout;

struct ParamView {
    name: String,
    place: &'static str,
    required: bool,
    description: String,
}

struct ResponseView {
    status: String,
    description: String,
    schema: String,
}

struct OperationView {
    method: &'static str,
    path: String,
    anchor: String,
    summary: String,
    description: String,
    scopes: String,
    params: Vec<ParamView>,
    body: Option<String>,
    responses: Vec<ResponseView>,
}

struct SchemaView {
    name: String,
    json: String,
}

#[derive(Template)]
#[template(path = "docs/api.html")]
struct ApiReferencePage {
    layout: Layout,
    description: String,
    operations: Vec<OperationView>,
    schemas: Vec<SchemaView>,
}

/// The name of the schema a `$ref` points at ("#/components/schemas/Member" -> "Member").
fn ref_name<T>(schema: &RefOr<T>) -> String {
    match schema {
        RefOr::Ref(r) => r
            .ref_location
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned(),
        RefOr::T(_) => "inline".to_owned(),
    }
}

fn view(method: &'static str, path: &str, op: &Operation) -> OperationView {
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let params = op
        .parameters
        .iter()
        .flatten()
        .map(|p| ParamView {
            name: p.name.clone(),
            place: match p.parameter_in {
                ParameterIn::Path => "path",
                ParameterIn::Query => "query",
                ParameterIn::Header => "header",
                ParameterIn::Cookie => "cookie",
            },
            required: p.required == Required::True,
            description: text(&p.description),
        })
        .collect();
    let body = op.request_body.as_ref().map(|b| {
        b.content
            .values()
            .filter_map(|c| c.schema.as_ref().map(ref_name))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let responses = op
        .responses
        .responses
        .iter()
        .map(|(status, response)| match response {
            RefOr::T(r) => ResponseView {
                status: status.clone(),
                description: r.description.clone(),
                schema: r
                    .content
                    .values()
                    .filter_map(|c| c.schema.as_ref().map(ref_name))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            RefOr::Ref(r) => ResponseView {
                status: status.clone(),
                description: r.ref_location.clone(),
                schema: String::new(),
            },
        })
        .collect();
    let scopes = op
        .security
        .iter()
        .flatten()
        .filter_map(|s| serde_json::to_value(s).ok())
        .filter_map(|v| v.get("admin_key").cloned())
        .filter_map(|v| v.as_array().cloned())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(", ");
    OperationView {
        method,
        path: path.to_owned(),
        anchor: op.operation_id.clone().unwrap_or_default(),
        summary: text(&op.summary),
        description: text(&op.description),
        scopes,
        params,
        body,
        responses,
    }
}

/// GET /docs/api
pub async fn show_api_reference(meta: RequestMeta) -> Result<HttpResponse, AppError> {
    let doc = document();
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ] {
            if let Some(op) = op {
                operations.push(view(method, path, op));
            }
        }
    }
    let schemas = doc
        .components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .map(|(name, schema)| SchemaView {
            name: name.clone(),
            json: serde_json::to_string_pretty(schema).unwrap_or_default(),
        })
        .collect();
    html(&ApiReferencePage {
        layout: Layout::public("Organization API", &meta),
        description: doc.info.description.clone().unwrap_or_default(),
        operations,
        schemas,
    })
}
