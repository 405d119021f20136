//! API keys: the organization's list, and creating, rotating and revoking a project's keys.
//! A key's secret is shown once, on the page that follows its creation, and never again.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use diesel::Connection;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{Grant, KeyName, Permission, PlainToken, TokenHash};
use crate::error::AppError;
use crate::htmx::{html, redirect_with_flash};
use crate::layout::{Layout, Section};
use crate::models::activity::{self, Action, Actor, Entry, Target};
use crate::models::api_keys::{self, ApiKey, KeyFilter, KeyRow, NewKey, Status};
use crate::models::projects::Project;

/// Every key starts with this, so that leaked keys are easy to recognize and scan for.
pub const KEY_PREFIX: &str = "tw_live_";
/// How much of a key lists show: the prefix and 8 random characters.
const SHOWN_CHARS: usize = KEY_PREFIX.len() + 8;

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
        .run(move |conn| Ok(api_keys::list(conn, org_id, &filter)?))
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

/// A fresh secret and what is stored of it.
fn mint() -> (PlainToken, String) {
    let secret = PlainToken::generate(KEY_PREFIX);
    let shown = secret.expose()[..SHOWN_CHARS].to_owned();
    (secret, shown)
}

fn insert_key(
    conn: &mut diesel::PgConnection,
    project: &Project,
    name: &KeyName,
    actor: &Actor,
    secret: &TokenHash,
    shown: &str,
) -> Result<ApiKey, AppError> {
    Ok(api_keys::create(
        conn,
        NewKey {
            org_id: project.org_id,
            project_id: project.id,
            name,
            prefix: shown,
            secret,
            created_by: actor.user_id,
            created_by_name: &actor.name,
        },
    )?)
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
    let project = project_for_keys(&db, &member, path.1).await?;
    let name = KeyName::parse(&form.name).map_err(|e| AppError::Conflict(e.0.into()))?;
    let (secret, shown) = mint();
    let (actor, hash, key_name, project_id) = (
        member.actor(),
        secret.hash(),
        name.as_str().to_owned(),
        project.id,
    );
    db.run(move |conn| {
        conn.transaction(|conn| {
            let key = insert_key(conn, &project, &name, &actor, &hash, &shown)?;
            activity::record(
                conn,
                project.org_id,
                &actor,
                Entry {
                    action: Action::ApiKeyCreated,
                    target: Target::api_key(key.id, &key.name),
                    before: None,
                    after: Some(
                        json!({ "name": key.name, "prefix": key.prefix, "project": project.name }),
                    ),
                },
            )
            .map_err(AppError::from)
        })
    })
    .await?;
    html(&SecretPage {
        layout: member.layout(Section::Projects, "New API key"),
        project_url: project_url(&member, project_id),
        key_name,
        secret: secret.expose().to_owned(),
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
    let project = project_for_keys(&db, &member, project_id).await?;
    let overlap_hours: i64 = match form.overlap.as_str() {
        "0" => 0,
        "1" => 1,
        "24" => 24,
        _ => {
            return Err(AppError::BadRequest(
                "Choose when the old key stops: now, in 1 hour or in 24 hours.".into(),
            ));
        }
    };
    let (secret, shown) = mint();
    let (actor, now, hash) = (member.actor(), config.clock.now(), secret.hash());
    let (old, new) = db
        .run(move |conn| {
            conn.transaction(|conn| {
                let old = api_keys::find(conn, project.org_id, key_id)?
                    .filter(|k| k.project_id == project.id)
                    .ok_or(AppError::NotFound)?;
                if matches!(old.status(now), Status::Revoked | Status::Expired) || old.replaced_by.is_some() {
                    return Err(AppError::Conflict("This key was already revoked or rotated.".into()));
                }
                let name = KeyName::parse(&old.name).map_err(|e| AppError::Internal(e.to_string()))?;
                let new = insert_key(conn, &project, &name, &actor, &hash, &shown)?;
                if overlap_hours == 0 {
                    api_keys::revoke(conn, old.id, now)?;
                }
                api_keys::retire(conn, old.id, new.id, now + Duration::hours(overlap_hours))?;
                activity::record(
                    conn,
                    project.org_id,
                    &actor,
                    Entry {
                        action: Action::ApiKeyRotated,
                        target: Target::api_key(old.id, &old.name),
                        before: Some(json!({ "prefix": old.prefix })),
                        after: Some(json!({ "new_prefix": new.prefix, "overlap_hours": overlap_hours, "project": project.name })),
                    },
                )?;
                Ok((old, new))
            })
        })
        .await?;
    let old_key_until = (overlap_hours > 0).then(|| {
        format!(
            "{} keeps working for {overlap_hours} {}",
            old.prefix,
            if overlap_hours == 1 { "hour" } else { "hours" }
        )
    });
    html(&SecretPage {
        layout: member.layout(Section::Projects, "Rotated API key"),
        project_url: project_url(&member, project_id),
        key_name: new.name,
        secret: secret.expose().to_owned(),
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

/// GET /orgs/{org}/projects/{project_id}/keys/{key_id}/rotate: what rotating does, and
/// how long the old key keeps working (24 hours unless chosen otherwise).
pub async fn confirm_rotate_api_key(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (_, project_id, key_id) = path.into_inner();
    let project = project_for_keys(&db, &member, project_id).await?;
    let key = db
        .run(move |conn| {
            api_keys::find(conn, project.org_id, key_id)?
                .filter(|k| k.project_id == project.id)
                .ok_or(AppError::NotFound)
        })
        .await?;
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
    let project = project_for_keys(&db, &member, project_id).await?;
    let key = db
        .run(move |conn| {
            api_keys::find(conn, project.org_id, key_id)?
                .filter(|k| k.project_id == project.id)
                .ok_or(AppError::NotFound)
        })
        .await?;
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
    let project = project_for_keys(&db, &member, project_id).await?;
    let (actor, now) = (member.actor(), config.clock.now());
    let key = db
        .run(move |conn| {
            conn.transaction(|conn| {
                let key = api_keys::find(conn, project.org_id, key_id)?
                    .filter(|k| k.project_id == project.id)
                    .ok_or(AppError::NotFound)?;
                if !api_keys::revoke(conn, key.id, now)? {
                    return Err(AppError::Conflict("This key was already revoked.".into()));
                }
                activity::record(
                    conn,
                    project.org_id,
                    &actor,
                    Entry {
                        action: Action::ApiKeyRevoked,
                        target: Target::api_key(key.id, &key.name),
                        before: Some(json!({ "prefix": key.prefix, "project": project.name })),
                        after: None,
                    },
                )?;
                Ok(key)
            })
        })
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
