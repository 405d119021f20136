//! Project-only access: inviting people to one project, changing their project role,
//! and taking the access away (administrators).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::FieldErrors;
use super::invitations::ResultsPage;
use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::invite::parse_addresses;
use crate::domain::{Permission, ProjectRole, Role, access_until};
use crate::error::AppError;
use crate::htmx::{html, html_with_status};
use crate::layout::{Layout, Section};
use crate::mail::{WorkerHandle, log_link_in_development};
use crate::models::project_members::{self, ProjectMemberRow};
use crate::models::projects::Project;
use crate::ops::{self, invitations::Grant};

#[derive(Template)]
#[template(path = "project_access/new.html")]
struct InvitePage {
    layout: Layout,
    slug: String,
    project: Project,
    emails: String,
    role: ProjectRole,
    /// "Access until" as typed (empty: no end date).
    access_until: String,
    errors: FieldErrors,
}

impl InvitePage {
    fn roles(&self) -> [ProjectRole; 2] {
        ProjectRole::ALL
    }
}

async fn live_project(db: &Db, member: &OrgMember, project_id: Uuid) -> Result<Project, AppError> {
    let org_id = member.org.id;
    let project = db
        .run(move |conn| Project::find(conn, org_id, project_id)?.ok_or(AppError::NotFound))
        .await?;
    if project.archived_at.is_some() {
        return Err(AppError::Conflict("This project is archived.".into()));
    }
    Ok(project)
}

/// GET /orgs/{org}/projects/{project_id}/invitations/new
pub async fn new_project_invitation(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageProjectAccess)?;
    let project = live_project(&db, &member, path.1).await?;
    html(&InvitePage {
        layout: member.layout(Section::Projects, "Invite to Project"),
        slug: member.org.slug.clone(),
        project,
        emails: String::new(),
        role: ProjectRole::Viewer,
        access_until: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteForm {
    emails: String,
    role: String,
    #[serde(default)]
    access_until: String,
}

/// POST /orgs/{org}/projects/{project_id}/invitations: the same invitation machinery,
/// granting project-only access.
pub async fn create_project_invitation(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    path: web::Path<(String, Uuid)>,
    web::Form(form): web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageProjectAccess)?;
    let project = live_project(&db, &member, path.1).await?;
    let mut errors = FieldErrors::default();
    let entries = errors.check("emails", parse_addresses(&form.emails));
    let role = errors.check("role", ProjectRole::parse(&form.role));
    let today = config.clock.now().date_naive();
    let until = errors.check(
        "access_until",
        access_until::parse(&form.access_until, today),
    );
    let (Some(entries), Some(role), Some(until)) = (entries, role, until) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &InvitePage {
                layout: member.layout(Section::Projects, "Invite to Project"),
                slug: member.org.slug.clone(),
                project,
                emails: form.emails,
                role: ProjectRole::parse(&form.role).unwrap_or(ProjectRole::Viewer),
                access_until: form.access_until,
                errors,
            },
        );
    };
    let grant = Grant::Project {
        project_id: project.id,
        role,
        until,
    };
    let (org_id, actor, ctx) = (
        member.org.id,
        member.actor(),
        crate::mail::Context::from_config(&config),
    );
    let sent = db
        .run(move |conn| ops::invitations::send(conn, org_id, &actor, &entries, grant, &ctx))
        .await?;
    mail.wake();
    for (email, link) in &sent.links {
        log_link_in_development(&config, "invitation", email, link);
    }
    html(&ResultsPage {
        layout: member.layout(Section::Projects, "Invitations sent"),
        slug: member.org.slug.clone(),
        csrf: member.meta.csrf.clone(),
        role: Some(match role {
            ProjectRole::Developer => Role::Developer,
            ProjectRole::Viewer => Role::Viewer,
        }),
        results: sent.results,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleForm {
    role: String,
}

/// POST /orgs/{org}/projects/{project_id}/access/{user_id}/role
pub async fn update_project_access(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid, Uuid)>,
    web::Form(form): web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageProjectAccess)?;
    let (_, project_id, user_id) = path.into_inner();
    let role = ProjectRole::parse(&form.role).map_err(|e| AppError::Invalid(e.0.into()))?;
    let (org_id, actor) = (member.org.id, member.actor());
    let (row, previous) = db
        .run(move |conn| {
            ops::project_access::change_role(conn, org_id, &actor, project_id, user_id, role)
        })
        .await?;
    let mut location = format!("/orgs/{}/projects/{project_id}", member.org.slug);
    if previous != role {
        // The project page offers Undo: the role before, as one more change.
        let query = [
            ("undo_member", user_id.to_string()),
            ("undo_role", previous.as_str().to_owned()),
        ];
        let query = serde_urlencoded::to_string(query).unwrap_or_default();
        location = format!("{location}?{query}");
    }
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &location,
        &format!("{} is now a project {}", row.name, role.label()),
    ))
}

#[derive(Template)]
#[template(path = "project_access/remove.html")]
struct RemovePage {
    layout: Layout,
    slug: String,
    row: ProjectMemberRow,
}

/// GET /orgs/{org}/projects/{project_id}/access/{user_id}/remove: the confirmation.
pub async fn confirm_revoke_project_access(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageProjectAccess)?;
    let (_, project_id, user_id) = path.into_inner();
    let org_id = member.org.id;
    let row = db
        .run(move |conn| {
            project_members::find(conn, org_id, user_id)?
                .filter(|row| row.project_id == project_id)
                .ok_or(AppError::NotFound)
        })
        .await?;
    html(&RemovePage {
        layout: member.layout(Section::Projects, "Remove project access"),
        slug: member.org.slug.clone(),
        row,
    })
}

/// POST /orgs/{org}/projects/{project_id}/access/{user_id}/remove: access ends at once;
/// keys they created stay active.
pub async fn revoke_project_access(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageProjectAccess)?;
    let (_, project_id, user_id) = path.into_inner();
    let (org_id, actor) = (member.org.id, member.actor());
    let row = db
        .run(move |conn| ops::project_access::revoke(conn, org_id, &actor, project_id, user_id))
        .await?;
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &format!("/orgs/{}/projects/{project_id}", member.org.slug),
        &format!("{} no longer has access to {}", row.name, row.project_name),
    ))
}
