//! Organization settings: rename and activity retention (administrators).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::db::Db;
use crate::domain::audit_chain;
use crate::domain::retention::KeepDays;
use crate::domain::{OrgName, Permission};
use crate::error::AppError;
use crate::htmx::{Level, html, html_with_status, redirect, toast};
use crate::layout::{Layout, Section};
use crate::models::activity_checkpoints;
use crate::ops;

#[derive(Template)]
#[template(path = "settings/index.html")]
struct SettingsPage {
    layout: Layout,
    slug: String,
    name: String,
    can_rename: bool,
    /// The "Keep IP addresses and user agents for" field, as typed or stored.
    keep_personal_days: String,
    /// Hex of the Ed25519 public key of the newest checkpoint, when there is one.
    checkpoint_key: Option<String>,
    /// "Require two-factor authentication" (settings/_two_factor.html).
    require_two_factor: bool,
    /// Days a deleted organization can be restored ("Delete organization").
    restore_days: i64,
    errors: FieldErrors,
}

impl SettingsPage {
    fn of(member: &OrgMember) -> Self {
        SettingsPage {
            layout: member.layout(Section::Settings, "Settings"),
            slug: member.org.slug.clone(),
            name: member.org.name.clone(),
            can_rename: member.can(Permission::ManageOrganization),
            keep_personal_days: member.org.keep_personal_days.to_string(),
            checkpoint_key: None,
            require_two_factor: member.org.require_two_factor,
            restore_days: crate::domain::org_deletion::RESTORE_DAYS,
            errors: FieldErrors::default(),
        }
    }
}

/// GET /orgs/{org}/settings
pub async fn show_settings(member: OrgMember, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    member.require_org_member()?;
    let org_id = member.org.id;
    let key = db
        .run(move |conn| Ok::<_, AppError>(activity_checkpoints::latest_public_key(conn, org_id)?))
        .await?;
    html(&SettingsPage {
        checkpoint_key: key.map(|k| audit_chain::hex(&k)),
        ..SettingsPage::of(&member)
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
                name: form.name,
                errors,
                ..SettingsPage::of(&member)
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionForm {
    keep_personal_days: String,
}

/// POST /orgs/{org}/settings/retention: "Keep IP addresses and user agents for N days".
pub async fn update_retention(
    member: OrgMember,
    db: web::Data<Db>,
    web::Form(form): web::Form<RetentionForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let mut errors = FieldErrors::default();
    let parsed = KeepDays::parse(&form.keep_personal_days);
    let Some(days) = errors.check("keep_personal_days", parsed) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage {
                keep_personal_days: form.keep_personal_days,
                errors,
                ..SettingsPage::of(&member)
            },
        );
    };
    let (org_id, actor) = (member.org.id, member.actor());
    db.run(move |conn| ops::orgs::set_keep_personal_days(conn, org_id, &actor, days))
        .await?;
    let location = format!("/orgs/{}/settings", member.org.slug);
    Ok(toast(
        redirect(&member.meta.hx, &location),
        Level::Success,
        "Retention saved",
    ))
}
