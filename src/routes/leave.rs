//! Leaving an organization (any member, project-only members too); the last
//! administrator stays (R10).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::db::Db;
use crate::domain::Permission;
use crate::error::AppError;
use crate::htmx::html;
use crate::layout::{Layout, Section};
use crate::ops::{self, OpError};

#[derive(Template)]
#[template(path = "members/leave.html")]
struct LeavePage {
    layout: Layout,
    slug: String,
    org_name: String,
    /// Why leaving is not possible right now (checked again when the form is posted).
    refusal: Option<String>,
}

impl LeavePage {
    fn of(member: &OrgMember, refusal: Option<String>) -> Self {
        LeavePage {
            layout: member.layout(Section::Members, "Leave organization"),
            slug: member.org.slug.clone(),
            org_name: member.org.name.clone(),
            refusal,
        }
    }
}

/// GET /orgs/{org}/leave: the confirmation, or why leaving is not possible.
pub async fn confirm_leave_org(
    member: OrgMember,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::LeaveOrganization)?;
    let (org_id, user_id) = (member.org.id, member.user.id);
    let refusal = db
        .run(move |conn| ops::members::leave_refusal(conn, org_id, user_id))
        .await?;
    html(&LeavePage::of(
        &member,
        refusal.map(|r| r.message().to_owned()),
    ))
}

/// POST /orgs/{org}/leave. The last administrator stays (R10).
pub async fn leave_org(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::LeaveOrganization)?;
    let (org_id, actor) = (member.org.id, member.actor());
    match db
        .run(move |conn| ops::members::leave(conn, org_id, &actor))
        .await
    {
        Ok(()) => Ok(redirect_with_flash(
            &req,
            &member.meta.hx,
            "/",
            &format!("You left {}", member.org.name),
        )),
        Err(OpError::Refused(message)) => crate::htmx::html_with_status(
            actix_web::http::StatusCode::CONFLICT,
            &LeavePage::of(&member, Some(message)),
        ),
        Err(e) => Err(e.into()),
    }
}
