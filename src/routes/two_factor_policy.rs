//! Settings: "Require two-factor authentication" for the organization (administrators).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::OrgMember;
use crate::db::Db;
use crate::domain::Permission;
use crate::error::AppError;
use crate::htmx::{Level, redirect, toast};
use crate::ops;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementForm {
    /// `true` or `false`: the buttons of the Settings page say which.
    required: String,
}

/// POST /orgs/{org}/settings/two-factor
pub async fn update_two_factor_requirement(
    member: OrgMember,
    db: web::Data<Db>,
    web::Form(form): web::Form<RequirementForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let required = match form.required.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("Choose required or optional.".into())),
    };
    let (org_id, actor) = (member.org.id, member.actor());
    db.run(move |conn| ops::two_factor_policy::set_required(conn, org_id, &actor, required))
        .await?;
    let location = format!("/orgs/{}/settings#two-factor", member.org.slug);
    let message = if required {
        "Two-factor authentication is required"
    } else {
        "Two-factor authentication is optional"
    };
    Ok(toast(
        redirect(&member.meta.hx, &location),
        Level::Success,
        message,
    ))
}
