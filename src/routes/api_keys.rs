//! API keys: the organization's list, and creating, rotating and revoking a project's keys.
//! A key's secret is shown once, on the page that follows its creation, and never again.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{Grant, KeyName, Permission};
use crate::error::AppError;
use crate::htmx::html;
use crate::layout::{Layout, Section};
use crate::models::api_keys::{self, ApiKey, KeyFilter, KeyRow};
use crate::models::projects::Project;
use crate::ops::{self, api_keys::Overlap};

#[derive(Template)]
#[template(path = "api_keys/index.html")]
struct KeysPage {
    layout: Layout,
    slug: String,
    keys: Vec<KeyRow>,
    now: DateTime<Utc>,
}

/// GET /orgs/{org}/api-keys: every key of the organization (or of the member's project).
/// Billing Managers have no API access, so no page (R4).
pub async fn list_api_keys(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    let project = match member.require(Permission::ViewApiKeys)? {
        Grant::OwnProject => member.project_id,
        _ => None,
    };
    let org_id = member.org.id;
    let filter = KeyFilter {
        project,
        created_by: None,
        include_revoked: false,
    };
    let keys = db
        .run(move |conn| Ok::<_, AppError>(api_keys::list(conn, org_id, &filter)?))
        .await?;
    html(&KeysPage {
        layout: member.layout(Section::ApiKeys, "API keys"),
        slug: member.org.slug.clone(),
        keys,
        now: config.clock.now(),
    })
}

#[derive(Template)]
#[template(path = "api_keys/secret.html")]
struct SecretPage {
    layout: Layout,
    project_url: String,
    key_name: String,
    secret: String,
    /// For a rotation: when the old key stops working.
    old_key_until: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKeyForm {
    name: String,
}

/// The live project in the path, for a key change by someone allowed to manage its keys.
async fn project_for_keys(
    db: &Db,
    member: &OrgMember,
    project_id: Uuid,
) -> Result<Project, AppError> {
    member.require_project(Permission::ManageApiKeys, project_id)?;
    let org_id = member.org.id;
    let project = db
        .run(move |conn| Project::find(conn, org_id, project_id)?.ok_or(AppError::NotFound))
        .await?;
    if project.archived_at.is_some() {
        return Err(AppError::Conflict(
            "This project is archived: its keys cannot change.".into(),
        ));
    }
    Ok(project)
}

fn project_url(member: &OrgMember, project_id: Uuid) -> String {
    format!("/orgs/{}/projects/{project_id}", member.org.slug)
}

/// POST /orgs/{org}/projects/{project_id}/keys
pub async fn create_api_key(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
    web::Form(form): web::Form<NewKeyForm>,
) -> Result<HttpResponse, AppError> {
    let project_id = path.1;
    member.require_project(Permission::ManageApiKeys, project_id)?;
    let name = KeyName::parse(&form.name).map_err(|e| AppError::Invalid(e.0.into()))?;
    let (org_id, actor) = (member.org.id, member.actor());
    let minted = db
        .run(move |conn| ops::api_keys::create(conn, org_id, &actor, project_id, &name))
        .await?;
    html(&SecretPage {
        layout: member.layout(Section::Projects, "New API key"),
        project_url: project_url(&member, project_id),
        key_name: minted.key.name,
        secret: minted.secret.expose().to_owned(),
        old_key_until: None,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateForm {
    /// Hours the old key keeps working: 0, 1 or 24.
    overlap: String,
}

/// POST /orgs/{org}/projects/{project_id}/keys/{key_id}/rotate: a new key with the same
/// name; the old one stops at once or after the chosen overlap.
pub async fn rotate_api_key(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid, Uuid)>,
    web::Form(form): web::Form<RotateForm>,
) -> Result<HttpResponse, AppError> {
    let (_, project_id, key_id) = path.into_inner();
    member.require_project(Permission::ManageApiKeys, project_id)?;
    let overlap = Overlap::parse(&form.overlap)?;
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    let rotated = db
        .run(move |conn| {
            ops::api_keys::rotate(conn, org_id, &actor, project_id, key_id, overlap, now)
        })
        .await?;
    let old_key_until = (overlap != Overlap::None).then(|| {
        format!(
            "{} keeps working for {}",
            rotated.old.prefix,
            overlap.label()
        )
    });
    html(&SecretPage {
        layout: member.layout(Section::Projects, "Rotated API key"),
        project_url: project_url(&member, project_id),
        key_name: rotated.new.key.name,
        secret: rotated.new.secret.expose().to_owned(),
        old_key_until,
    })
}

#[derive(Template)]
#[template(path = "api_keys/rotate.html")]
struct RotatePage {
    layout: Layout,
    project_url: String,
    key: ApiKey,
}

/// The key a confirmation page asks about: the project's, in a live project whose keys
/// the member may change.
async fn key_to_confirm(
    db: &Db,
    member: &OrgMember,
    project_id: Uuid,
    key_id: Uuid,
) -> Result<ApiKey, AppError> {
    let project = project_for_keys(db, member, project_id).await?;
    db.run(move |conn| {
        api_keys::find(conn, project.org_id, key_id)?
            .filter(|k| k.project_id == project.id)
            .ok_or(AppError::NotFound)
    })
    .await
}

/// GET /orgs/{org}/projects/{project_id}/keys/{key_id}/rotate: what rotating does, and
/// how long the old key keeps working (24 hours unless chosen otherwise).
pub async fn confirm_rotate_api_key(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (_, project_id, key_id) = path.into_inner();
    let key = key_to_confirm(&db, &member, project_id, key_id).await?;
    html(&RotatePage {
        layout: member.layout(Section::Projects, "Rotate API key"),
        project_url: project_url(&member, project_id),
        key,
    })
}

#[derive(Template)]
#[template(path = "api_keys/revoke.html")]
struct RevokePage {
    layout: Layout,
    project_url: String,
    key: ApiKey,
}

/// GET /orgs/{org}/projects/{project_id}/keys/{key_id}/revoke: the confirmation.
pub async fn confirm_revoke_api_key(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (_, project_id, key_id) = path.into_inner();
    let key = key_to_confirm(&db, &member, project_id, key_id).await?;
    html(&RevokePage {
        layout: member.layout(Section::Projects, "Revoke API key"),
        project_url: project_url(&member, project_id),
        key,
    })
}

/// POST /orgs/{org}/projects/{project_id}/keys/{key_id}/revoke: the key stops at once.
pub async fn revoke_api_key(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (_, project_id, key_id) = path.into_inner();
    member.require_project(Permission::ManageApiKeys, project_id)?;
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    let key = db
        .run(move |conn| ops::api_keys::revoke(conn, org_id, &actor, project_id, key_id, now))
        .await?;
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &project_url(&member, project_id),
        &format!(
            "Key {} ({}…) revoked. It no longer works.",
            key.name, key.prefix
        ),
    ))
}
