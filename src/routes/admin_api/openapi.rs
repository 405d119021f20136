//! The OpenAPI 3.1 document of the organization API, generated from the handlers'
//! annotations and the types that serialize their answers; served at
//! `/api/v1/openapi.json`.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::{activity, billing, invitations, keys, members, projects, usage};
use crate::auth::admin_key::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Teamwork organization API",
        version = "1",
        description = "Manage an organization's members, invitations, projects and API keys, and read its usage, activity and billing, with an organization admin key (`Authorization: Bearer tw_admin_...`, created in Settings, Admin keys). Every write takes an `Idempotency-Key` header. Errors are `{\"error\": code, \"message\": text}`. Each key may make a limited number of requests a minute (`X-RateLimit-*` headers; 429 with `Retry-After` beyond)."
    ),
    paths(
        members::list_members, members::get_member, members::update_member, members::remove_member,
        invitations::list_invitations, invitations::create_invitations, invitations::get_invitation, invitations::update_invitation,
        invitations::resend_invitation, invitations::cancel_invitation,
        projects::list_projects, projects::create_project, projects::get_project,
        projects::rename_project, projects::archive_project, projects::list_project_members,
        projects::invite_project_member, projects::update_project_member, projects::remove_project_member,
        keys::list_keys, keys::create_key, keys::rotate_key, keys::revoke_key,
        usage::get_usage, activity::list_activity, billing::get_billing, billing::list_ledger,
    ),
    components(schemas(ErrorBody)),
    modifiers(&AdminKeyAuth, &ErrorResponses),
    tags(
        (name = "members", description = "Members of the organization"),
        (name = "invitations", description = "Invitations to the organization"),
        (name = "projects", description = "Projects and their project-only members"),
        (name = "keys", description = "Project API keys"),
        (name = "usage", description = "Usage"),
        (name = "activity", description = "The activity log"),
        (name = "billing", description = "Credits, plan, seats and transactions"),
    )
)]
pub struct ApiDoc;

struct AdminKeyAuth;

impl Modify for AdminKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An organization admin key, tw_admin_..."))
                    .build(),
            ),
        );
    }
}

/// The errors every operation can answer, each with the one error body.
const ERRORS: [(&str, &str); 8] = [
    (
        "400",
        "Malformed request: bad JSON, a query parameter out of range, a bad Idempotency-Key",
    ),
    ("401", "No admin key, or an unknown, revoked or expired one"),
    ("403", "A project key, or an admin key without the scope"),
    ("404", "No such thing in this organization"),
    (
        "409",
        "A rule refused the change (the last administrator, a name in use, already done)",
    ),
    (
        "422",
        "A value is not acceptable, or an Idempotency-Key reused with another body",
    ),
    (
        "429",
        "Rate or daily limit; Retry-After says when to try again",
    ),
    ("503", "The service is temporarily unavailable"),
];

struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in ERRORS {
                    let response = ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build();
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert(RefOr::T(response));
                }
            }
        }
    }
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// GET /api/v1/openapi.json
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
