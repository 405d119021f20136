//! Leaving an organization (any member, project-only members too); the last
//! administrator stays (R10).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::Connection;
use serde_json::json;

use crate::auth::OrgMember;
use crate::db::Db;
use crate::domain::Permission;
use crate::domain::membership::{self, Refusal};
use crate::error::AppError;
use crate::htmx::{html, redirect_with_flash};
use crate::layout::{Layout, Section};
use crate::models::activity::{self, Action, Entry, Target};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;
use crate::models::project_members;

#[derive(Template)]
#[template(path = "members/leave.html")]
struct LeavePage {
    layout: Layout,
    slug: String,
    org_name: String,
    /// Why leaving is not possible right now (checked again when the form is posted).
    refusal: Option<&'static str>,
}

impl LeavePage {
    fn of(member: &OrgMember, refusal: Option<Refusal>) -> Self {
        LeavePage {
            layout: member.layout(Section::Members, "Leave organization"),
            slug: member.org.slug.clone(),
            org_name: member.org.name.clone(),
            refusal: refusal.map(Refusal::message),
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
        .run(move |conn| {
            // Project-only members hold no role the organization depends on.
            let Some(current) = Membership::find(conn, org_id, user_id)? else {
                return Ok(None);
            };
            let admins = Membership::count_admins(conn, org_id)?;
            Ok(membership::check_departure(current.role, admins).err())
        })
        .await?;
    html(&LeavePage::of(&member, refusal))
}

/// POST /orgs/{org}/leave. The last administrator stays (R10).
pub async fn leave_org(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::LeaveOrganization)?;
    let (org_id, actor) = (member.org.id, member.actor());
    let refused = db
        .run(move |conn| {
            conn.transaction(|conn| {
                Organization::lock(conn, org_id)?;
                // Re-read under the lock: the role may have changed since the page loaded.
                let Some(current) = Membership::find(conn, org_id, actor.user_id)? else {
                    let access = project_members::find(conn, org_id, actor.user_id)?.ok_or(AppError::NotFound)?;
                    project_members::delete(conn, org_id, actor.user_id)?;
                    activity::record(
                        conn,
                        org_id,
                        &actor,
                        Entry {
                            action: Action::MemberLeft,
                            target: Target::member(actor.user_id, &actor.name),
                            before: Some(json!({ "role": access.role.as_str(), "project": access.project_name })),
                            after: None,
                        },
                    )?;
                    return Ok(None);
                };
                let admins = Membership::count_admins(conn, org_id)?;
                if let Err(refusal) = membership::check_departure(current.role, admins) {
                    return Ok(Some(refusal));
                }
                Membership::delete(conn, org_id, actor.user_id)?;
                activity::record(
                    conn,
                    org_id,
                    &actor,
                    Entry {
                        action: Action::MemberLeft,
                        target: Target::member(actor.user_id, &actor.name),
                        before: Some(json!({ "role": current.role.as_str() })),
                        after: None,
                    },
                )?;
                Ok(None)
            })
        })
        .await?;
    if let Some(refusal) = refused {
        return crate::htmx::html_with_status(
            actix_web::http::StatusCode::CONFLICT,
            &LeavePage::of(&member, Some(refusal)),
        );
    }
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        "/",
        &format!("You left {}", member.org.name),
    ))
}
