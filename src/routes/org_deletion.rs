//! Deleting an organization (Settings, "Danger zone") and restoring it within the
//! window; the list of an account's restorable organizations that pages include.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::FieldErrors;
use crate::auth::session::redirect_with_flash;
use crate::auth::{CurrentUser, OrgMember};
use crate::config::Config;
use crate::db::Db;
use crate::domain::Permission;
use crate::domain::org_deletion::RESTORE_DAYS;
use crate::error::AppError;
use crate::htmx::{html, html_with_status};
use crate::layout::{Layout, Section};
use crate::mail::{Context, WorkerHandle};
use crate::models::org_deletion::{self, Restorable};
use crate::ops::{self, OpError};

/// A date as the deletion pages and emails write it.
fn long_date(at: DateTime<Utc>) -> String {
    at.format("%B %-d, %Y at %H:%M UTC").to_string()
}

/// One row of `templates/orgs/_deleted.html`.
pub struct DeletedOrgRow {
    pub name: String,
    pub slug: String,
    pub deleted_on: String,
    pub restore_until: String,
}

impl DeletedOrgRow {
    fn of(org: Restorable) -> Self {
        DeletedOrgRow {
            deleted_on: org.deleted_at.format("%B %-d, %Y").to_string(),
            restore_until: long_date(org.restore_until()),
            name: org.name,
            slug: org.slug,
        }
    }
}

/// The organizations `user_id` deleted and can still restore, for any page that
/// includes `orgs/_deleted.html` (it reads a `deleted_orgs` field).
pub async fn deleted_orgs(
    db: &Db,
    user_id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<DeletedOrgRow>, AppError> {
    let rows = db
        .run(move |conn| Ok::<_, AppError>(org_deletion::restorable_by(conn, user_id, now)?))
        .await?;
    Ok(rows.into_iter().map(DeletedOrgRow::of).collect())
}

#[derive(Template)]
#[template(path = "orgs/delete.html")]
struct DeletePage {
    layout: Layout,
    slug: String,
    name: String,
    /// What was typed in the confirmation field.
    typed: String,
    restore_days: i64,
    errors: FieldErrors,
}

impl DeletePage {
    fn of(member: &OrgMember) -> Self {
        DeletePage {
            layout: member.layout(Section::Settings, "Delete organization"),
            slug: member.org.slug.clone(),
            name: member.org.name.clone(),
            typed: String::new(),
            restore_days: RESTORE_DAYS,
            errors: FieldErrors::default(),
        }
    }
}

/// GET /orgs/{org}/delete: what a deletion does, and the name to type.
pub async fn confirm_delete_org(member: OrgMember) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    html(&DeletePage::of(&member))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteForm {
    name: String,
}

/// POST /orgs/{org}/delete: a wrong name is a 422 and changes nothing.
pub async fn delete_org(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    web::Form(form): web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let (org_id, actor, ctx) = (member.org.id, member.actor(), Context::from_config(&config));
    let typed = form.name.clone();
    let result = db
        .run(move |conn| ops::org_deletion::delete(conn, org_id, &actor, &typed, &ctx))
        .await;
    match result {
        Ok(deleted) => {
            mail.wake();
            Ok(redirect_with_flash(
                &req,
                &member.meta.hx,
                "/",
                &format!(
                    "{} was deleted. You can restore it until {}.",
                    deleted.name,
                    long_date(deleted.restore_until)
                ),
            ))
        }
        Err(OpError::Invalid(message)) => {
            let mut errors = FieldErrors::default();
            errors.add("name", message);
            html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &DeletePage {
                    typed: form.name,
                    errors,
                    ..DeletePage::of(&member)
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "orgs/restore.html")]
struct RestorePage {
    layout: Layout,
    slug: String,
    name: String,
    deleted_on: String,
    restore_until: String,
}

/// GET /orgs/{org}/restore: for the administrator who deleted the organization, within
/// the window; a 404 for everyone else, like every page of a deleted organization.
pub async fn confirm_restore_org(
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (slug, user_id, now) = (path.into_inner(), current.user.id, config.clock.now());
    let (org, deletion) = db
        .run(move |conn| ops::org_deletion::restorable(conn, &slug, user_id, now))
        .await?;
    html(&RestorePage {
        layout: current.layout("Restore organization"),
        slug: org.slug,
        name: org.name,
        deleted_on: long_date(deletion.deleted_at),
        restore_until: long_date(deletion.restore_until()),
    })
}

/// POST /orgs/{org}/restore
pub async fn restore_org(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (slug, actor, ctx) = (
        path.into_inner(),
        current.actor(),
        Context::from_config(&config),
    );
    let org = db
        .run(move |conn| ops::org_deletion::restore(conn, &slug, &actor, &ctx))
        .await?;
    mail.wake();
    Ok(redirect_with_flash(
        &req,
        &current.meta.hx,
        &format!("/orgs/{}", org.slug),
        &format!("{} was restored.", org.name),
    ))
}
