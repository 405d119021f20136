//! The Members page.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::OrgMember;
use crate::db::Db;
use crate::domain::Permission;
use crate::error::AppError;
use crate::htmx::html;
use crate::layout::{Layout, Section};
use crate::models::memberships::{MemberRow, Membership};

#[derive(Template)]
#[template(path = "members/index.html")]
struct MembersPage {
    layout: Layout,
    members: Vec<MemberRow>,
}

/// GET /orgs/{org}/members
pub async fn list_members(member: OrgMember, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewMembers)?;
    let org_id = member.org.id;
    let members = db
        .run(move |conn| Ok(Membership::list_for_org(conn, org_id)?))
        .await?;
    html(&MembersPage {
        layout: member.layout(Section::Members, "Members"),
        members,
    })
}
