//! Changing the role a pending invitation grants, keeping its link (administrators).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::members::{InvitationRowFragment, RowContext};
use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{Permission, Role, membership};
use crate::error::AppError;
use crate::htmx::{Level, html, redirect, toast};
use crate::layout::{Layout, Section};
use crate::models::invitations::{self as store, Invitation};
use crate::ops::invitations;

/// A change that grants or takes away Administrator, waiting for its confirmation.
pub struct InvitationRoleChange {
    id: Uuid,
    email: String,
    to: Role,
}

impl InvitationRoleChange {
    fn question(&self) -> String {
        if self.to == Role::Administrator {
            format!("Invite {} as an Administrator?", self.email)
        } else {
            format!(
                "Invite {} as {} instead of an Administrator?",
                self.email,
                self.to.with_article()
            )
        }
    }

    fn consequence(&self) -> &'static str {
        if self.to == Role::Administrator {
            "Whoever accepts this invitation can invite and remove members, change anyone's \
             role (yours too), manage billing and settings, and read the activity log. The \
             link already sent stays the same."
        } else {
            "The link already sent stays the same; it will no longer make them an administrator."
        }
    }

    fn button(&self) -> String {
        format!("Change to {}", self.to.label())
    }

    fn url(&self, slug: &str) -> String {
        format!("/orgs/{slug}/invitations/{}/role", self.id)
    }

    fn of(invitation: &Invitation, to: Role) -> Self {
        InvitationRoleChange {
            id: invitation.id,
            email: invitation.email.clone(),
            to,
        }
    }
}

#[derive(Template)]
#[template(path = "members/invitation_role.html")]
struct InvitationRoleConfirmPage {
    layout: Layout,
    ctx: RowContext,
    change: InvitationRoleChange,
}

#[derive(Template)]
#[template(path = "members/_invitation_role_confirm.html")]
struct InvitationRoleConfirmRow {
    ctx: RowContext,
    change: InvitationRoleChange,
}

#[derive(Deserialize)]
pub struct RoleQuery {
    role: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleForm {
    role: String,
    /// Sent by the confirmation: the person has seen what the change means.
    #[serde(default)]
    confirmed: bool,
}

fn members_url(member: &OrgMember) -> String {
    format!("/orgs/{}/members", member.org.slug)
}

/// The invitation's row as the Members page shows it, swapped in place.
async fn row_fragment(
    member: &OrgMember,
    db: &Db,
    config: &Config,
    id: Uuid,
) -> Result<HttpResponse, AppError> {
    let org_id = member.org.id;
    let row = db
        .run(move |conn| store::pending_row(conn, org_id, id)?.ok_or(AppError::NotFound))
        .await?;
    html(&InvitationRowFragment {
        ctx: RowContext::of(member),
        inv: row,
        now: config.clock.now(),
    })
}

/// GET /orgs/{org}/invitations/{id}/role?role=...: the question asked before an
/// invitation grants or stops granting Administrator (a page without JavaScript, the
/// row itself with htmx). Without a change to confirm: the row as it is (htmx's
/// "Cancel"), or the Members page.
pub async fn confirm_invitation_role(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
    query: web::Query<RoleQuery>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let (org_id, id) = (member.org.id, path.1);
    let invitation = db
        .run(move |conn| store::find(conn, org_id, id)?.ok_or(AppError::NotFound))
        .await?;
    let to = query.role.as_deref().and_then(|r| Role::parse(r).ok());
    let hx = member.meta.hx;
    let pending = invitation.status == "pending" && invitation.project_id.is_none();
    match to.filter(|to| pending && membership::needs_confirmation(invitation.role, *to)) {
        Some(to) => {
            let ctx = RowContext::of(&member);
            let change = InvitationRoleChange::of(&invitation, to);
            if hx.wants_fragment() {
                html(&InvitationRoleConfirmRow { ctx, change })
            } else {
                html(&InvitationRoleConfirmPage {
                    layout: member.layout(Section::Members, "Change invitation role"),
                    ctx,
                    change,
                })
            }
        }
        None if hx.wants_fragment() && invitation.status == "pending" => {
            row_fragment(&member, &db, &config, id).await
        }
        None => Ok(redirect(&hx, &members_url(&member))),
    }
}

/// POST /orgs/{org}/invitations/{id}/role: the invitation grants another role; its link
/// stays the same. Granting or taking away Administrator is confirmed first.
pub async fn update_invitation_role(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
    web::Form(form): web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let role = Role::parse(&form.role).map_err(|e| AppError::Invalid(e.0.into()))?;
    let (org_id, id, actor) = (member.org.id, path.1, member.actor());
    let hx = member.meta.hx;
    let current = db
        .run(move |conn| store::find(conn, org_id, id)?.ok_or(AppError::NotFound))
        .await?;
    if !form.confirmed
        && current.status == "pending"
        && current.project_id.is_none()
        && membership::needs_confirmation(current.role, role)
    {
        let ctx = RowContext::of(&member);
        let change = InvitationRoleChange::of(&current, role);
        if hx.is_htmx() {
            return html(&InvitationRoleConfirmRow { ctx, change });
        }
        let location = format!("{}?role={}", change.url(&ctx.slug), role.as_str());
        return Ok(redirect(&hx, &location));
    }
    let changed = db
        .run(move |conn| invitations::change_role(conn, org_id, &actor, id, role))
        .await?;
    let message = format!(
        "The invitation to {} now grants the {} role. Its link stays the same.",
        changed.email,
        changed.role.label()
    );
    if hx.is_htmx() {
        let fragment = row_fragment(&member, &db, &config, id).await?;
        return Ok(toast(fragment, Level::Success, &message));
    }
    Ok(redirect_with_flash(
        &req,
        &hx,
        &members_url(&member),
        &message,
    ))
}
