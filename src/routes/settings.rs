//! Organization settings: rename (administrators).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::db::Db;
use crate::domain::{OrgName, Permission};
use crate::error::AppError;
use crate::htmx::{Level, html, html_with_status, redirect, toast};
use crate::layout::{Layout, Section};
use crate::ops;

#[derive(Template)]
#[template(path = "settings/index.html")]
struct SettingsPage {
    layout: Layout,
    slug: String,
    name: String,
    can_rename: bool,
    errors: FieldErrors,
}

/// GET /orgs/{org}/settings
pub async fn show_settings(member: OrgMember) -> Result<HttpResponse, AppError> {
    member.require_org_member()?;
    html(&SettingsPage {
        layout: member.layout(Section::Settings, "Settings"),
        slug: member.org.slug.clone(),
        name: member.org.name.clone(),
        can_rename: member.can(Permission::ManageOrganization),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameForm {
    name: String,
}

/// POST /orgs/{org}/settings: the slug (and so every URL) stays the same.
pub async fn rename_org(
    member: OrgMember,
    db: web::Data<Db>,
    web::Form(form): web::Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("name", OrgName::parse(&form.name)) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage {
                layout: member.layout(Section::Settings, "Settings"),
                slug: member.org.slug.clone(),
                name: form.name,
                can_rename: true,
                errors,
            },
        );
    };
    let (org_id, actor) = (member.org.id, member.actor());
    db.run(move |conn| ops::orgs::rename(conn, org_id, &actor, &name))
        .await?;
    let location = format!("/orgs/{}/settings", member.org.slug);
    Ok(toast(
        redirect(&member.meta.hx, &location),
        Level::Success,
        "Organization renamed",
    ))
}
