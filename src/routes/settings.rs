//! Organization settings: rename (administrators).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::db::Db;
use crate::domain::{OrgName, Permission};
use crate::error::AppError;
use crate::htmx::{Level, html, html_with_status, redirect, toast};
use crate::layout::{Layout, Section};
use crate::models::activity::{self, Action, Entry, Target};
use crate::models::organizations::Organization;

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
    db.run(move |conn| {
        conn.build_transaction().run(|conn| {
            let before = Organization::lock(conn, org_id)?;
            if before.name == name.as_str() {
                return Ok(());
            }
            Organization::rename(conn, org_id, &name)?;
            activity::record(
                conn,
                org_id,
                &actor,
                Entry {
                    action: Action::OrganizationRenamed,
                    target: Target::organization(org_id, name.as_str()),
                    before: Some(json!({ "name": before.name })),
                    after: Some(json!({ "name": name.as_str() })),
                },
            )
        })?;
        Ok(())
    })
    .await?;
    let location = format!("/orgs/{}/settings", member.org.slug);
    Ok(toast(
        redirect(&member.meta.hx, &location),
        Level::Success,
        "Organization renamed",
    ))
}
