//! The Members page: list, search and role changes (removals: `member_removal`).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::membership;
use crate::domain::{Permission, Role};
use crate::error::AppError;
use crate::htmx::{Hx, Level, html, redirect, toast};
use crate::layout::{Layout, Section};
use crate::models::invitations::PendingRow;
use crate::models::member_extras::{self, Extras, Wanted};
use crate::models::member_list::{self, MemberFilter, MemberRow, MemberSort, PAGE_SIZE};
use crate::models::notices::{self, SecondAdminNotice};
use crate::models::organizations::MemberCounts;
use crate::models::project_members::ProjectMemberRow;
use crate::ops::{self, OpError};

/// Pending invitations (newest first) and project-only members listed on the Members
/// page, at most: the page's size stays bounded however many there are (the counts say
/// how many in all).
const LIST_SHOWN: i64 = 200;

/// What every member row needs besides the row itself.
pub struct RowContext {
    pub slug: String,
    pub csrf: String,
    pub me: Uuid,
    pub can_manage: bool,
    /// The row whose role select takes the keyboard focus: the one just changed in place.
    pub focus: Option<Uuid>,
}

impl RowContext {
    pub(super) fn of(member: &OrgMember) -> Self {
        RowContext {
            slug: member.org.slug.clone(),
            csrf: member.meta.csrf.clone(),
            me: member.user.id,
            can_manage: member.can(Permission::ManageMembers),
            focus: None,
        }
    }

    fn focuses(&self, user_id: &Uuid) -> bool {
        self.focus == Some(*user_id)
    }

    fn members_url(&self) -> String {
        format!("/orgs/{}/members", self.slug)
    }

    fn role_url(&self, user_id: &Uuid) -> String {
        format!("/orgs/{}/members/{user_id}/role", self.slug)
    }
}

/// A change that grants or removes Administrator, waiting for its confirmation.
pub struct RoleChange {
    row: MemberRow,
    to: Role,
}

impl RoleChange {
    fn question(&self) -> String {
        if self.to == Role::Administrator {
            format!("Make {} an Administrator?", self.row.name)
        } else {
            format!(
                "Remove Administrator from {} and make them {}?",
                self.row.name,
                self.to.with_article()
            )
        }
    }

    fn consequence(&self) -> &'static str {
        if self.to == Role::Administrator {
            "Administrators can invite and remove members, change anyone's role (yours too), \
             manage billing and settings, and read the activity log."
        } else {
            "They will no longer be able to invite or remove members, change roles, or \
             manage billing and settings."
        }
    }

    fn button(&self) -> String {
        if self.to == Role::Administrator {
            "Make Administrator".into()
        } else {
            format!("Change to {}", self.to.label())
        }
    }
}

#[derive(Template)]
#[template(path = "members/role.html")]
struct RoleConfirmPage {
    layout: Layout,
    ctx: RowContext,
    change: RoleChange,
}

#[derive(Template)]
#[template(path = "members/_role_confirm.html")]
struct RoleConfirmRow {
    ctx: RowContext,
    change: RoleChange,
}

/// What the toast after a change in place says, and the role Undo puts back.
pub struct Done {
    message: String,
    undo: Option<Role>,
}

impl Done {
    /// The fields Undo posts: the previous role, already confirmed by the change it undoes.
    fn vals(&self) -> String {
        let role = self.undo.map(Role::as_str).unwrap_or_default();
        json!({ "role": role, "confirmed": "true" }).to_string()
    }
}

/// The previous role a plain form post offers to put back on the Members page.
pub struct UndoOffer {
    user_id: Uuid,
    name: String,
    role: Role,
}

#[derive(Template)]
#[template(path = "members/index.html", blocks = ["member_table"])]
struct MembersPage {
    layout: Layout,
    ctx: RowContext,
    rows: Vec<MemberRow>,
    pending: Vec<PendingRow>,
    project_only: Vec<ProjectMemberRow>,
    now: DateTime<Utc>,
    summary: RoleSummary,
    filter: MemberFilter,
    undo: Option<UndoOffer>,
    /// Members matching the filter.
    matching: i64,
    pages: i64,
}

impl MembersPage {
    /// Pending invitations beyond those listed.
    fn pending_hidden(&self) -> i64 {
        i64::from(self.summary.counts.pending_invitations) - self.pending.len() as i64
    }

    /// Project-only members beyond those listed (each project's page lists its own).
    fn project_only_hidden(&self) -> i64 {
        i64::from(self.summary.counts.project_only_members) - self.project_only.len() as i64
    }

    fn sorts(&self) -> [MemberSort; 5] {
        MemberSort::ALL
    }

    /// The page's URL with another page number, keeping search, role and order.
    fn link(&self, page: i64) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        if !self.filter.search.is_empty() {
            params.push(("q", self.filter.search.clone()));
        }
        if let Some(role) = self.filter.role {
            params.push(("role", role.as_str().to_owned()));
        }
        if self.filter.sort != MemberSort::default() {
            params.push(("sort", self.filter.sort.as_str().to_owned()));
        }
        if page > 1 {
            params.push(("page", page.to_string()));
        }
        let query = serde_urlencoded::to_string(params).unwrap_or_default();
        let base = format!("/orgs/{}/members", self.ctx.slug);
        if query.is_empty() {
            base
        } else {
            format!("{base}?{query}")
        }
    }
}

/// The counts per role and the second-administrator nudge. A role change made in place
/// sends it again, out of band, so that it never goes stale.
pub struct RoleSummary {
    counts: MemberCounts,
    slug: String,
    can_manage: bool,
    csrf: String,
    notice: SecondAdminNotice,
    oob: bool,
}

impl RoleSummary {
    fn roles(&self) -> [Role; 4] {
        Role::ALL
    }

    fn count_of(&self, role: &Role) -> i64 {
        self.counts.of(*role)
    }

    fn role_link(&self, role: &Role) -> String {
        format!("/orgs/{}/members?role={}", self.slug, role.as_str())
    }

    /// Shown to administrators of an organization with one administrator, once it has
    /// more than its founder or has invited someone, until they dismiss it.
    fn needs_second_admin(&self) -> bool {
        self.can_manage
            && self.counts.of(Role::Administrator) < 2
            && !self.notice.dismissed
            && (self.notice.invited_anyone || self.counts.total() > 1)
    }
}

/// A pending invitation's row after a resend, swapped in place.
#[derive(Template)]
#[template(path = "members/_invitation_row.html")]
pub struct InvitationRowFragment {
    pub ctx: RowContext,
    pub inv: PendingRow,
    pub now: DateTime<Utc>,
}

#[derive(Template)]
#[template(path = "members/_row_update.html")]
struct MemberRowFragment {
    ctx: RowContext,
    row: MemberRow,
    /// After a change: the new counts, swapped in out of band.
    summary: Option<RoleSummary>,
    done: Option<Done>,
}

/// Query parameters are parsed leniently: a bad value shows the default, never an error.
#[derive(Debug, Default, Deserialize)]
pub struct MembersQuery {
    q: Option<String>,
    role: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    /// After a role change posted without JavaScript: whose role Undo puts back, and to what.
    undo_member: Option<String>,
    undo_role: Option<String>,
    /// "Members on date": who was a member at the end of this day (`YYYY-MM-DD`).
    at: Option<String>,
}

impl MembersQuery {
    fn filter(&self) -> MemberFilter {
        MemberFilter {
            search: self
                .q
                .as_deref()
                .unwrap_or("")
                .trim()
                .chars()
                .take(100)
                .collect::<String>()
                .to_lowercase(),
            role: self.role.as_deref().and_then(|r| Role::parse(r).ok()),
            sort: MemberSort::parse(self.sort.as_deref().unwrap_or("")),
            page: self
                .page
                .as_deref()
                .and_then(|p| p.parse::<i64>().ok())
                .unwrap_or(1)
                .clamp(1, 1_000_000),
        }
    }
}

/// GET /orgs/{org}/members: the whole page, or just the table for htmx.
pub async fn list_members(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hx: Hx,
    query: web::Query<MembersQuery>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewMembers)?;
    let (org_id, me, filter) = (member.org.id, member.user.id, query.filter());
    if let Some(at) = super::members_on_date::OnDate::parse(query.at.as_deref()) {
        return super::members_on_date::show(&member, &db, at, filter.page).await;
    }
    // The counts came with the organization: the lists below are read only when they
    // have something in them, the notice only when it could apply.
    let counts = member.org.counts;
    let wanted = Wanted {
        pending: counts.pending_invitations > 0,
        project_only: counts.project_only_members > 0,
        notice: member.can(Permission::ManageMembers) && counts.of(Role::Administrator) < 2,
    };
    let page_filter = filter.clone();
    let (rows, matching, extras) = db
        .run(move |conn| {
            let (rows, total) = member_list::page(conn, org_id, &page_filter)?;
            // Without a search, or past the last page, there is no window count: the
            // role counts are exact when there is no search.
            let matching = total.unwrap_or(match page_filter.role {
                Some(role) if page_filter.search.is_empty() => counts.of(role),
                None if page_filter.search.is_empty() => counts.total(),
                _ => 0,
            });
            let extras = if wanted.any() {
                member_extras::load(conn, org_id, me, wanted, LIST_SHOWN)?
            } else {
                Extras::default()
            };
            Ok::<_, AppError>((rows, matching, extras))
        })
        .await?;
    let Extras {
        pending,
        project_only,
        notice,
    } = extras;
    let ctx = RowContext::of(&member);
    let summary = RoleSummary {
        counts,
        slug: ctx.slug.clone(),
        can_manage: ctx.can_manage,
        csrf: ctx.csrf.clone(),
        notice,
        oob: false,
    };
    let undo_role = query.undo_role.as_deref().and_then(|r| Role::parse(r).ok());
    let undo_member = query.undo_member.as_deref().and_then(|u| u.parse().ok());
    let undo = match (undo_member, undo_role) {
        (Some(user_id), Some(role)) if ctx.can_manage && user_id != ctx.me => rows
            .iter()
            .find(|row| row.user_id == user_id && row.role != role)
            .map(|row| UndoOffer {
                user_id,
                name: row.name.clone(),
                role,
            }),
        _ => None,
    };
    let page = MembersPage {
        layout: member.layout(Section::Members, "Members"),
        ctx,
        rows,
        pending,
        project_only,
        summary,
        now: config.clock.now(),
        undo,
        pages: ((matching + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        matching,
        filter,
    };
    if hx.wants_fragment() {
        html(&page.as_member_table())
    } else {
        html(&page)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleForm {
    role: String,
    /// Sent by the confirmation and by Undo: the person has seen what the change means.
    #[serde(default)]
    confirmed: bool,
}

#[derive(Deserialize)]
pub struct RoleQuery {
    role: Option<String>,
}

/// GET /orgs/{org}/members/{user_id}/role?role=...: the question asked before granting
/// or removing Administrator (a page without JavaScript, the row itself with htmx).
/// Without a change to confirm: the row as it is (htmx's "Cancel"), or the Members page.
pub async fn confirm_member_role(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
    query: web::Query<RoleQuery>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let (org_id, target_id) = (member.org.id, path.1);
    let row = db
        .run(move |conn| member_list::find(conn, org_id, target_id)?.ok_or(AppError::NotFound))
        .await?;
    let to = query.role.as_deref().and_then(|r| Role::parse(r).ok());
    let mut ctx = RowContext::of(&member);
    let hx = member.meta.hx;
    match to.filter(|to| membership::needs_confirmation(row.role, *to)) {
        Some(to) if target_id != ctx.me => {
            let change = RoleChange { row, to };
            if hx.wants_fragment() {
                html(&RoleConfirmRow { ctx, change })
            } else {
                html(&RoleConfirmPage {
                    layout: member.layout(Section::Members, "Change role"),
                    ctx,
                    change,
                })
            }
        }
        _ if hx.wants_fragment() => {
            // "Cancel" puts the row back: the keyboard goes back to its select.
            ctx.focus = Some(target_id);
            html(&MemberRowFragment {
                ctx,
                row,
                summary: None,
                done: None,
            })
        }
        _ => Ok(redirect(&hx, &ctx.members_url())),
    }
}

/// POST /orgs/{org}/members/{user_id}/role
pub async fn update_member_role(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
    web::Form(form): web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let role = Role::parse(&form.role).map_err(|e| AppError::Invalid(e.0.into()))?;
    let (org_id, target_id, actor) = (member.org.id, path.1, member.actor());
    let hx = member.meta.hx;
    // The role as the administrator saw it: what a confirmation names and Undo restores.
    let previous = db
        .run(move |conn| {
            let row = member_list::find(conn, org_id, target_id)?.ok_or(AppError::NotFound)?;
            Ok::<_, AppError>(row)
        })
        .await?;
    let admins = member.org.counts.of(Role::Administrator);
    let refused =
        membership::check_role_change(actor.user_id, target_id, previous.role, role, admins)
            .is_err();
    if !form.confirmed && !refused && membership::needs_confirmation(previous.role, role) {
        let ctx = RowContext::of(&member);
        if hx.is_htmx() {
            let change = RoleChange {
                row: previous,
                to: role,
            };
            return html(&RoleConfirmRow { ctx, change });
        }
        let location = format!("{}?role={}", ctx.role_url(&target_id), role.as_str());
        return Ok(redirect(&hx, &location));
    }
    let changed = db
        .run(move |conn| ops::members::change_role(conn, org_id, &actor, target_id, role))
        .await;
    let mut ctx = RowContext::of(&member);
    match changed {
        Ok((row, counts)) => {
            let message = format!("{} is now {}", row.name, row.role.with_article());
            let undo = (previous.role != row.role).then_some(previous.role);
            if !hx.is_htmx() {
                let mut location = ctx.members_url();
                if let Some(undo) = undo {
                    let query = [
                        ("undo_member", target_id.to_string()),
                        ("undo_role", undo.as_str().into()),
                    ];
                    location = format!(
                        "{location}?{}",
                        serde_urlencoded::to_string(query).unwrap_or_default()
                    );
                }
                return Ok(redirect_with_flash(&req, &hx, &location, &message));
            }
            let me = ctx.me;
            let notice = db
                .run(move |conn| Ok::<_, AppError>(notices::second_admin_notice(conn, org_id, me)?))
                .await?;
            let summary = RoleSummary {
                counts,
                slug: ctx.slug.clone(),
                can_manage: ctx.can_manage,
                csrf: ctx.csrf.clone(),
                notice,
                oob: true,
            };
            ctx.focus = Some(target_id);
            let fragment = MemberRowFragment {
                ctx,
                row,
                summary: Some(summary),
                done: Some(Done { message, undo }),
            };
            html(&fragment)
        }
        // htmx: put the row back as it is (the select shows the refused value).
        Err(OpError::Refused(message)) if hx.is_htmx() => {
            let row = db
                .run(move |conn| {
                    member_list::find(conn, org_id, target_id)?.ok_or(AppError::NotFound)
                })
                .await?;
            let fragment = MemberRowFragment {
                ctx,
                row,
                summary: None,
                done: None,
            };
            Ok(toast(html(&fragment)?, Level::Error, &message))
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /orgs/{org}/members/notice/dismiss: the "only one administrator" notice stays
/// dismissed for this administrator in this organization.
pub async fn dismiss_second_admin_notice(
    member: OrgMember,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let (org_id, user_id) = (member.org.id, member.user.id);
    db.run(move |conn| ops::notices::dismiss_second_admin(conn, org_id, user_id))
        .await?;
    if member.meta.hx.is_htmx() {
        // Swapped over the notice, the empty answer takes it away.
        return Ok(HttpResponse::Ok()
            .insert_header((actix_web::http::header::VARY, "HX-Request"))
            .finish());
    }
    Ok(redirect(
        &member.meta.hx,
        &format!("/orgs/{}/members", member.org.slug),
    ))
}
