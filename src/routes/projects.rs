//! Projects: the list, creating, the project page (its people, keys and usage), renaming
//! and archiving.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{Permission, ProjectName, ProjectRole};
use crate::error::AppError;
use crate::htmx::{html, html_with_status, redirect};
use crate::layout::{Layout, Section};
use crate::models::api_keys::{self, KeyFilter, KeyRow};
use crate::models::invitations::{self as invitation_store, PendingRow};
use crate::models::project_members::{self, ProjectMemberRow};
use crate::models::projects::Project;
use crate::models::usage::{self, Totals};
use crate::ops::projects::NAME_TAKEN;
use crate::ops::{self, OpError};

#[derive(Template)]
#[template(path = "projects/index.html")]
struct ProjectsPage {
    layout: Layout,
    slug: String,
    projects: Vec<Project>,
    can_create: bool,
}

/// GET /orgs/{org}/projects: every project for organization roles, their own for
/// project-only members.
pub async fn list_projects(member: OrgMember, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    member.require(Permission::ViewProjects)?;
    let (org_id, only) = (member.org.id, member.project_id);
    let projects = db
        .run(move |conn| Ok::<_, AppError>(Project::list(conn, org_id, only)?))
        .await?;
    html(&ProjectsPage {
        layout: member.layout(Section::Projects, "Projects"),
        slug: member.org.slug.clone(),
        projects,
        can_create: member.can(Permission::CreateProjects),
    })
}

#[derive(Template)]
#[template(path = "projects/new.html")]
struct NewProjectPage {
    layout: Layout,
    slug: String,
    name: String,
    errors: FieldErrors,
}

/// GET /orgs/{org}/projects/new
pub async fn new_project(member: OrgMember) -> Result<HttpResponse, AppError> {
    member.require(Permission::CreateProjects)?;
    html(&NewProjectPage {
        layout: member.layout(Section::Projects, "New project"),
        slug: member.org.slug.clone(),
        name: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectForm {
    name: String,
}

/// POST /orgs/{org}/projects
pub async fn create_project(
    member: OrgMember,
    db: web::Data<Db>,
    web::Form(form): web::Form<ProjectForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::CreateProjects)?;
    let mut errors = FieldErrors::default();
    let invalid = |errors, name| {
        html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewProjectPage {
                layout: member.layout(Section::Projects, "New project"),
                slug: member.org.slug.clone(),
                name,
                errors,
            },
        )
    };
    let Some(name) = errors.check("name", ProjectName::parse(&form.name)) else {
        return invalid(errors, form.name);
    };
    let (org_id, actor) = (member.org.id, member.actor());
    let created = db
        .run(move |conn| ops::projects::create(conn, org_id, &actor, &name))
        .await;
    match created {
        Ok(project) => Ok(redirect(
            &member.meta.hx,
            &format!("/orgs/{}/projects/{}", member.org.slug, project.id),
        )),
        Err(OpError::Conflict(_)) => {
            errors.add("name", NAME_TAKEN);
            invalid(errors, form.name)
        }
        Err(e) => Err(e.into()),
    }
}

/// What the project page shows to whom.
pub struct ProjectAbilities {
    pub see_keys: bool,
    pub manage_keys: bool,
    pub manage_access: bool,
    pub manage_project: bool,
    /// A project-only member may leave from here (they have no Settings page).
    pub leave_project: bool,
}

#[derive(Template)]
#[template(path = "projects/show.html")]
struct ProjectPage {
    layout: Layout,
    slug: String,
    csrf: String,
    project: Project,
    can: ProjectAbilities,
    keys: Vec<KeyRow>,
    people: Vec<ProjectMemberRow>,
    pending: Vec<PendingRow>,
    usage: Totals,
    now: DateTime<Utc>,
    errors: FieldErrors,
    name: String,
    undo: Option<AccessUndo>,
}

/// After a project-role change: the role Undo puts back.
struct AccessUndo {
    user_id: Uuid,
    name: String,
    role: ProjectRole,
}

/// Parsed leniently: what a project-role change left for Undo, if anything.
#[derive(Debug, Default, Deserialize)]
pub struct ProjectQuery {
    undo_member: Option<String>,
    undo_role: Option<String>,
}

impl ProjectPage {
    /// "5,762,511": counts read with digit groups.
    fn grouped(&self, n: &i64) -> String {
        crate::domain::billing::group_digits((*n).max(0) as u64)
    }

    fn project_roles(&self) -> [ProjectRole; 2] {
        ProjectRole::ALL
    }
}

/// The project of this organization named in the path; archived ones only for viewing.
async fn load_project(db: &Db, member: &OrgMember, project_id: Uuid) -> Result<Project, AppError> {
    let org_id = member.org.id;
    db.run(move |conn| Project::find(conn, org_id, project_id)?.ok_or(AppError::NotFound))
        .await
}

/// GET /orgs/{org}/projects/{project_id}
pub async fn show_project(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
    query: web::Query<ProjectQuery>,
) -> Result<HttpResponse, AppError> {
    let project_id = path.1;
    member.require_project(Permission::ViewProjects, project_id)?;
    let can = ProjectAbilities {
        see_keys: member
            .require_project(Permission::ViewApiKeys, project_id)
            .is_ok(),
        manage_keys: member
            .require_project(Permission::ManageApiKeys, project_id)
            .is_ok(),
        manage_access: member.can(Permission::ManageProjectAccess),
        manage_project: member.can(Permission::ManageOrganization),
        leave_project: member.project_id == Some(project_id),
    };
    let (org_id, see_keys, now) = (member.org.id, can.see_keys, config.clock.now());
    // Pending invitations name people who are not members yet: only those who manage
    // access see their addresses.
    let see_pending = can.manage_access;
    let (project, keys, people, pending, usage) = db
        .run(move |conn| {
            let project = Project::find(conn, org_id, project_id)?.ok_or(AppError::NotFound)?;
            let keys = if see_keys {
                let filter = KeyFilter {
                    project: Some(project_id),
                    created_by: None,
                    include_revoked: true,
                };
                api_keys::list(conn, org_id, &filter)?
            } else {
                Vec::new()
            };
            let people = project_members::list(conn, org_id, Some(project_id))?;
            let pending = if see_pending {
                invitation_store::pending_for_project(conn, org_id, project_id)?
            } else {
                Vec::new()
            };
            let usage =
                usage::project_totals(conn, org_id, project_id, now - chrono::Duration::days(30))?;
            Ok::<_, AppError>((project, keys, people, pending, usage))
        })
        .await?;
    let undo_member: Option<Uuid> = query.undo_member.as_deref().and_then(|u| u.parse().ok());
    let undo_role = query
        .undo_role
        .as_deref()
        .and_then(|r| ProjectRole::parse(r).ok());
    let undo = match (undo_member, undo_role) {
        (Some(user_id), Some(role)) if can.manage_access => people
            .iter()
            .find(|p| p.user_id == user_id && p.role != role)
            .map(|p| AccessUndo {
                user_id,
                name: p.name.clone(),
                role,
            }),
        _ => None,
    };
    html(&ProjectPage {
        undo,
        layout: member.layout(Section::Projects, &project.name),
        slug: member.org.slug.clone(),
        csrf: member.meta.csrf.clone(),
        name: project.name.clone(),
        project,
        can,
        keys,
        people,
        pending,
        usage,
        now,
        errors: FieldErrors::default(),
    })
}

/// POST /orgs/{org}/projects/{project_id}/rename (administrators).
pub async fn rename_project(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
    web::Form(form): web::Form<ProjectForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let project_id = path.1;
    let project = load_project(&db, &member, project_id).await?;
    let name = ProjectName::parse(&form.name).map_err(|e| AppError::Invalid(e.0.into()))?;
    let (org_id, actor) = (member.org.id, member.actor());
    db.run(move |conn| ops::projects::rename(conn, org_id, &actor, project.id, &name))
        .await?;
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &format!("/orgs/{}/projects/{project_id}", member.org.slug),
        "Project renamed",
    ))
}

#[derive(Template)]
#[template(path = "projects/archive.html")]
struct ArchivePage {
    layout: Layout,
    slug: String,
    project: Project,
}

/// GET /orgs/{org}/projects/{project_id}/archive: the confirmation.
pub async fn confirm_archive_project(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let project = load_project(&db, &member, path.1).await?;
    html(&ArchivePage {
        layout: member.layout(Section::Projects, "Archive project"),
        slug: member.org.slug.clone(),
        project,
    })
}

/// POST /orgs/{org}/projects/{project_id}/archive: its keys stop working at once.
pub async fn archive_project(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let project = load_project(&db, &member, path.1).await?;
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    let archived = db
        .run(move |conn| ops::projects::archive(conn, org_id, &actor, project.id, now))
        .await?;
    let name = archived.name;
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &format!("/orgs/{}/projects", member.org.slug),
        &format!("Project {name} archived. Its API keys no longer work."),
    ))
}
