//! "Access until" of a project-only member: the page behind "Extend" on the project's
//! People table, where an administrator moves or clears the end date.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{Permission, access_until};
use crate::error::AppError;
use crate::htmx::{html, html_with_status};
use crate::layout::{Layout, Section};
use crate::models::project_members::{self, ProjectMemberRow};
use crate::ops;

#[derive(Template)]
#[template(path = "project_access/until.html")]
struct UntilPage {
    layout: Layout,
    slug: String,
    row: ProjectMemberRow,
    /// The date in the field, as typed or as stored.
    access_until: String,
    errors: FieldErrors,
}

impl UntilPage {
    fn current(&self) -> String {
        self.row
            .access_until
            .map(access_until::label)
            .unwrap_or_else(|| "no end date".into())
    }
}

async fn access(
    db: &Db,
    member: &OrgMember,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<ProjectMemberRow, AppError> {
    let org_id = member.org.id;
    db.run(move |conn| {
        project_members::find(conn, org_id, user_id)?
            .filter(|row| row.project_id == project_id)
            .ok_or(AppError::NotFound)
    })
    .await
}

/// GET /orgs/{org}/projects/{project_id}/access/{user_id}/until
pub async fn edit_access_until(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageProjectAccess)?;
    let (_, project_id, user_id) = path.into_inner();
    let row = access(&db, &member, project_id, user_id).await?;
    html(&UntilPage {
        layout: member.layout(Section::Projects, "Access until"),
        slug: member.org.slug.clone(),
        access_until: row.access_until.map(|d| d.to_string()).unwrap_or_default(),
        row,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UntilForm {
    #[serde(default)]
    access_until: String,
}

/// POST /orgs/{org}/projects/{project_id}/access/{user_id}/until
pub async fn update_access_until(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid, Uuid)>,
    web::Form(form): web::Form<UntilForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageProjectAccess)?;
    let (_, project_id, user_id) = path.into_inner();
    let today = config.clock.now().date_naive();
    let until = match access_until::parse(&form.access_until, today) {
        Ok(until) => until,
        Err(e) => {
            let row = access(&db, &member, project_id, user_id).await?;
            let mut errors = FieldErrors::default();
            errors.add("access_until", e.0);
            return html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &UntilPage {
                    layout: member.layout(Section::Projects, "Access until"),
                    slug: member.org.slug.clone(),
                    row,
                    access_until: form.access_until,
                    errors,
                },
            );
        }
    };
    let (org_id, actor) = (member.org.id, member.actor());
    let row = db
        .run(move |conn| {
            ops::project_access::set_access_until(conn, org_id, &actor, project_id, user_id, until)
        })
        .await?;
    let message = match row.access_until {
        Some(date) => format!(
            "{}'s access to {} now lasts until {}",
            row.name,
            row.project_name,
            access_until::label(date)
        ),
        None => format!(
            "{}'s access to {} has no end date",
            row.name, row.project_name
        ),
    };
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &format!("/orgs/{}/projects/{project_id}", member.org.slug),
        &message,
    ))
}
