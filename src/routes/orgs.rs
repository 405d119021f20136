//! Creating organizations, the home redirect and the organization overview.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use serde::Deserialize;

use super::FieldErrors;
use crate::auth::session::TypedSession;
use crate::auth::{CurrentUser, OrgMember};
use crate::config::Config;
use crate::db::Db;
use crate::domain::{OrgName, Permission};
use crate::error::AppError;
use crate::htmx::{html, html_with_status, redirect};
use crate::layout::{Layout, Section};
use crate::models::activity;
use crate::models::memberships::Membership;
use crate::ops;

/// GET /: the first organization's members page, the new-organization form, or login.
pub async fn home(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let Some(user_id) = TypedSession::of(&req).user_id()? else {
        return Ok(redirect(&Default::default(), "/login"));
    };
    let orgs = db
        .run(move |conn| Ok::<_, AppError>(Membership::orgs_of_user(conn, user_id)?))
        .await?;
    let target = match orgs.first() {
        Some(org) => format!("/orgs/{}", org.slug),
        None => "/orgs/new".to_owned(),
    };
    Ok(redirect(&Default::default(), &target))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgForm {
    name: String,
}

#[derive(Template)]
#[template(path = "orgs/new.html")]
struct NewOrgPage {
    layout: Layout,
    name: String,
    errors: FieldErrors,
}

/// GET /orgs/new
pub async fn new_org(current: CurrentUser) -> Result<HttpResponse, AppError> {
    html(&NewOrgPage {
        layout: current.layout("New organization"),
        name: String::new(),
        errors: FieldErrors::default(),
    })
}

/// POST /orgs: the creator becomes its first Administrator; the organization starts on
/// the Free plan, with its starting credits when the creator's address is confirmed.
pub async fn create_org(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<NewOrgForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("name", OrgName::parse(&form.name)) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewOrgPage {
                layout: current.layout("New organization"),
                name: form.name,
                errors,
            },
        );
    };
    let (actor, now) = (current.actor(), config.clock.now());
    let org = db
        .run(move |conn| ops::orgs::found(conn, &name, &actor, now))
        .await?;
    let members = format!("/orgs/{}/members", org.slug);
    if current.user.email_verified_at.is_none() {
        // Said at once, so that a zero balance is not a surprise later (R42).
        return Ok(crate::auth::session::redirect_with_flash(
            &req,
            &current.meta.hx,
            &members,
            "Organization created with 0 credits: confirm your email address to get the starting credits on your next organization, or add credits on the Billing page.",
        ));
    }
    Ok(redirect(&current.meta.hx, &members))
}

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct OrgPage {
    layout: Layout,
    role: String,
    recent: Vec<super::activity::EntryView>,
    can_view_activity: bool,
}

/// GET /orgs/{org}: the overview; a project-only member lands on their project.
pub async fn show_org(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    if let Some(project_id) = member.project_id {
        return Ok(redirect(
            &member.meta.hx,
            &format!("/orgs/{}/projects/{project_id}", member.org.slug),
        ));
    }
    member.require_org_wide(Permission::ViewMembers)?;
    let can_view_activity = member.can(Permission::ViewActivity);
    let org_id = member.org.id;
    let recent = if can_view_activity {
        db.run(move |conn| Ok::<_, AppError>(activity::recent(conn, org_id, 5)?))
            .await?
    } else {
        Vec::new()
    };
    let now = config.clock.now();
    let recent = recent
        .into_iter()
        .map(|row| super::activity::EntryView::of(row, now))
        .collect();
    let role = match member.access {
        crate::domain::Access::Org(role) => role.label().to_owned(),
        crate::domain::Access::Project(role) => format!("Project {}", role.label()),
    };
    html(&OrgPage {
        layout: member.layout(Section::Overview, "Overview"),
        role,
        recent,
        can_view_activity,
    })
}
