//! `/projects`: list, get, create, rename, archive; a project's project-only members:
//! list, add (an invitation), change role, remove.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use uuid::Uuid;

use super::invitations::{PageQuery, outcomes, status_of};
use super::types::{
    InvitationResults, ProjectInvite, ProjectList, ProjectMember, ProjectMemberChange,
    ProjectMemberList, ProjectName as NameBody, ProjectOut,
};
use super::{AdminCaller, ApiFailure, body, cut, json, ok, page_limit, write};
use crate::config::Config;
use crate::db::Db;
use crate::domain::EmailAddress;
use crate::domain::access_until;
use crate::domain::admin_scope::AdminScope;
use crate::domain::invite::Entry;
use crate::domain::{ProjectName, ProjectRole};
use crate::models::projects::Project;
use crate::models::{admin_api, project_members};
use crate::ops;
use crate::ops::invitations::{Context, Grant};

/// List projects (archived ones too), in id order.
#[utoipa::path(get, path = "/api/v1/organization/projects", tag = "projects",
    params(PageQuery), responses((status = 200, body = ProjectList)),
    security(("admin_key" = ["projects:read"])))]
pub async fn list_projects(
    caller: AdminCaller,
    db: web::Data<Db>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsRead)?;
    let limit = page_limit(query.limit)?;
    let (org_id, after) = (caller.org_id, query.after);
    let rows = db
        .run(move |conn| Ok::<_, ApiFailure>(admin_api::projects(conn, org_id, after, limit + 1)?))
        .await?;
    let (rows, next_after) = cut(rows, limit, |r| r.id.to_string());
    json(&ProjectList {
        has_more: next_after.is_some(),
        next_after,
        data: rows.into_iter().map(ProjectOut::from).collect(),
    })
}

async fn find_project(db: &Db, org_id: Uuid, id: Uuid) -> Result<Project, ApiFailure> {
    db.run(move |conn| Ok::<_, ApiFailure>(Project::find(conn, org_id, id)?))
        .await?
        .ok_or_else(ApiFailure::not_found)
}

/// Get one project.
#[utoipa::path(get, path = "/api/v1/organization/projects/{project_id}", tag = "projects",
    params(("project_id" = Uuid, Path)), responses((status = 200, body = ProjectOut)),
    security(("admin_key" = ["projects:read"])))]
pub async fn get_project(
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsRead)?;
    json(&ProjectOut::from(
        find_project(&db, caller.org_id, path.into_inner()).await?,
    ))
}

fn project_name(name: &str) -> Result<ProjectName, ApiFailure> {
    ProjectName::parse(name).map_err(|e| ApiFailure::invalid(format!("name: {}", e.0)))
}

/// Create a project (a name used by another project: 409).
#[utoipa::path(post, path = "/api/v1/organization/projects", tag = "projects",
    request_body = NameBody, params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = ProjectOut)),
    security(("admin_key" = ["projects:write"])))]
pub async fn create_project(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsWrite)?;
    let new: NameBody = body(&bytes)?;
    let name = project_name(&new.name)?;
    let (org_id, actor) = (caller.org_id, caller.actor.clone());
    write(&req, &caller, &db, &bytes, move |conn| {
        let project = ops::projects::create(conn, org_id, &actor, &name)?;
        ok(StatusCode::CREATED, &ProjectOut::from(project))
    })
    .await
}

/// Rename a project.
#[utoipa::path(patch, path = "/api/v1/organization/projects/{project_id}", tag = "projects",
    request_body = NameBody, params(("project_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = ProjectOut)),
    security(("admin_key" = ["projects:write"])))]
pub async fn rename_project(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsWrite)?;
    let new: NameBody = body(&bytes)?;
    let name = project_name(&new.name)?;
    let (org_id, id, actor) = (caller.org_id, path.into_inner(), caller.actor.clone());
    write(&req, &caller, &db, &bytes, move |conn| {
        ops::projects::rename(conn, org_id, &actor, id, &name)?;
        let project = Project::find(conn, org_id, id)?.ok_or_else(ApiFailure::not_found)?;
        ok(StatusCode::OK, &ProjectOut::from(project))
    })
    .await
}

/// Archive a project: its keys stop working at once. Archiving twice is harmless.
#[utoipa::path(post, path = "/api/v1/organization/projects/{project_id}/archive", tag = "projects",
    params(("project_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = ProjectOut)),
    security(("admin_key" = ["projects:write"])))]
pub async fn archive_project(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsWrite)?;
    let (org_id, id, actor, now) = (
        caller.org_id,
        path.into_inner(),
        caller.actor.clone(),
        caller.now,
    );
    write(&req, &caller, &db, &bytes, move |conn| {
        ops::projects::archive(conn, org_id, &actor, id, now)?;
        let project = Project::find(conn, org_id, id)?.ok_or_else(ApiFailure::not_found)?;
        ok(StatusCode::OK, &ProjectOut::from(project))
    })
    .await
}

/// List a project's project-only members.
#[utoipa::path(get, path = "/api/v1/organization/projects/{project_id}/members", tag = "projects",
    params(("project_id" = Uuid, Path)), responses((status = 200, body = ProjectMemberList)),
    security(("admin_key" = ["projects:read"])))]
pub async fn list_project_members(
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsRead)?;
    let (org_id, id) = (caller.org_id, path.into_inner());
    find_project(&db, org_id, id).await?;
    let rows = db
        .run(move |conn| Ok::<_, ApiFailure>(project_members::list(conn, org_id, Some(id))?))
        .await?;
    json(&ProjectMemberList {
        data: rows.into_iter().map(ProjectMember::from).collect(),
    })
}

/// Give someone project-only access: an invitation to this project, as the project's
/// "Invite" form sends it.
#[utoipa::path(post, path = "/api/v1/organization/projects/{project_id}/members", tag = "projects",
    request_body = ProjectInvite, params(("project_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = InvitationResults, description = "Invited"),
        (status = 200, body = InvitationResults, description = "Already a member, invited, or invalid"),
        (status = 402, body = InvitationResults, description = "No seat left"),
    ),
    security(("admin_key" = ["projects:write"])))]
pub async fn invite_project_member(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsWrite)?;
    let new: ProjectInvite = body(&bytes)?;
    let entry = match EmailAddress::parse(&new.email) {
        Ok(email) => Entry::Valid(email),
        Err(reason) => Entry::Invalid {
            input: new.email.chars().take(100).collect(),
            reason,
        },
    };
    let until = checked_until(new.access_until, &caller)?;
    let (org_id, project_id, actor) = (caller.org_id, path.into_inner(), caller.actor.clone());
    let ctx = Context::from_config(&config);
    let grant = Grant::Project {
        project_id,
        role: new.role.into(),
        until,
    };
    write(&req, &caller, &db, &bytes, move |conn| {
        let sent = ops::invitations::send(conn, org_id, &actor, &[entry], grant, &ctx)?;
        let results = outcomes(conn, org_id, sent)?;
        ok(status_of(&results), &InvitationResults { results })
    })
    .await
}

/// "Access until" within the page's bounds: today to 5 years ahead.
fn checked_until(
    until: Option<NaiveDate>,
    caller: &AdminCaller,
) -> Result<Option<NaiveDate>, ApiFailure> {
    let Some(date) = until else { return Ok(None) };
    access_until::parse(
        &date.format("%Y-%m-%d").to_string(),
        caller.now.date_naive(),
    )
    .map_err(|e| ApiFailure::invalid(format!("access_until: {}", e.0)))
}

/// Change a project-only member's role, "Access until" (`null`: no end date), or both,
/// together.
#[utoipa::path(patch, path = "/api/v1/organization/projects/{project_id}/members/{user_id}", tag = "projects",
    request_body = ProjectMemberChange,
    params(("project_id" = Uuid, Path), ("user_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = ProjectMember)),
    security(("admin_key" = ["projects:write"])))]
pub async fn update_project_member(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<(Uuid, Uuid)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsWrite)?;
    let change: ProjectMemberChange = body(&bytes)?;
    if change.role.is_none() && change.access_until.is_none() {
        return Err(ApiFailure::invalid("Give `role`, `access_until` or both."));
    }
    let until = match change.access_until {
        Some(until) => Some(checked_until(until, &caller)?),
        None => None,
    };
    let role = change.role.map(ProjectRole::from);
    let ((project_id, user_id), org_id, actor) =
        (path.into_inner(), caller.org_id, caller.actor.clone());
    write(&req, &caller, &db, &bytes, move |conn| {
        let row =
            ops::project_access::update(conn, org_id, &actor, project_id, user_id, role, until)?;
        ok(StatusCode::OK, &ProjectMember::from(row))
    })
    .await
}

/// Take a project-only member's access away.
#[utoipa::path(delete, path = "/api/v1/organization/projects/{project_id}/members/{user_id}", tag = "projects",
    params(("project_id" = Uuid, Path), ("user_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = ProjectMember, description = "The removed access")),
    security(("admin_key" = ["projects:write"])))]
pub async fn remove_project_member(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<(Uuid, Uuid)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::ProjectsWrite)?;
    let ((project_id, user_id), org_id, actor) =
        (path.into_inner(), caller.org_id, caller.actor.clone());
    write(&req, &caller, &db, &bytes, move |conn| {
        let row = ops::project_access::revoke(conn, org_id, &actor, project_id, user_id)?;
        ok(StatusCode::OK, &ProjectMember::from(row))
    })
    .await
}
