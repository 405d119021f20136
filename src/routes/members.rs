//! The Members page: list, search, role changes and removals.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{Permission, Role};
use crate::error::AppError;
use crate::htmx::{Hx, Level, html, toast};
use crate::layout::{Layout, Section};
use crate::models::api_keys::{self, KeyFilter, KeyRow};
use crate::models::invitations::{self, PendingRow};
use crate::models::member_list::{
    self, MemberFilter, MemberRow, MemberSort, PAGE_SIZE, RoleCounts,
};
use crate::models::project_members::{self, ProjectMemberRow};
use crate::ops::{self, OpError};

/// Pending invitations listed on the Members page (newest first).
const PENDING_SHOWN: i64 = 200;

/// What every member row needs besides the row itself.
pub struct RowContext {
    pub slug: String,
    pub csrf: String,
    pub me: Uuid,
    pub can_manage: bool,
}

impl RowContext {
    fn of(member: &OrgMember) -> Self {
        RowContext {
            slug: member.org.slug.clone(),
            csrf: member.meta.csrf.clone(),
            me: member.user.id,
            can_manage: member.can(Permission::ManageMembers),
        }
    }
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
    /// Members matching the filter.
    matching: i64,
    pages: i64,
}

impl MembersPage {
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
    counts: RoleCounts,
    slug: String,
    can_manage: bool,
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

    fn needs_second_admin(&self) -> bool {
        self.can_manage && self.counts.of(Role::Administrator) < 2
    }
}

#[derive(Template)]
#[template(path = "members/_row_update.html")]
struct MemberRowFragment {
    ctx: RowContext,
    row: MemberRow,
    /// After a change: the new counts, swapped in out of band.
    summary: Option<RoleSummary>,
}

/// Query parameters are parsed leniently: a bad value shows the default, never an error.
#[derive(Debug, Default, Deserialize)]
pub struct MembersQuery {
    q: Option<String>,
    role: Option<String>,
    sort: Option<String>,
    page: Option<String>,
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
    let (org_id, filter) = (member.org.id, query.filter());
    let page_filter = filter.clone();
    let (rows, counts, matching, pending, project_only) = db
        .run(move |conn| {
            let counts = member_list::role_counts(conn, org_id)?;
            let (rows, total) = member_list::page(conn, org_id, &page_filter)?;
            // Without a search, or past the last page, there is no window count: the
            // role counts are exact when there is no search.
            let matching = total.unwrap_or(match page_filter.role {
                Some(role) if page_filter.search.is_empty() => counts.of(role),
                None if page_filter.search.is_empty() => counts.total(),
                _ => 0,
            });
            let pending = invitations::pending_for_org(conn, org_id, PENDING_SHOWN)?;
            let project_only = project_members::list(conn, org_id, None)?;
            Ok::<_, AppError>((rows, counts, matching, pending, project_only))
        })
        .await?;
    let ctx = RowContext::of(&member);
    let summary = RoleSummary {
        counts,
        slug: ctx.slug.clone(),
        can_manage: ctx.can_manage,
        oob: false,
    };
    let page = MembersPage {
        layout: member.layout(Section::Members, "Members"),
        ctx,
        rows,
        pending,
        project_only,
        summary,
        now: config.clock.now(),
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
    let changed = db
        .run(move |conn| ops::members::change_role(conn, org_id, &actor, target_id, role))
        .await;
    let ctx = RowContext::of(&member);
    let hx = member.meta.hx;
    match changed {
        Ok((row, counts)) => {
            let message = format!("{} is now {}", row.name, row.role.with_article());
            if !hx.is_htmx() {
                return Ok(redirect_with_flash(
                    &req,
                    &hx,
                    &format!("/orgs/{}/members", member.org.slug),
                    &message,
                ));
            }
            let summary = RoleSummary {
                counts,
                slug: ctx.slug.clone(),
                can_manage: ctx.can_manage,
                oob: true,
            };
            let fragment = MemberRowFragment {
                ctx,
                row,
                summary: Some(summary),
            };
            Ok(toast(html(&fragment)?, Level::Success, &message))
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
            };
            Ok(toast(html(&fragment)?, Level::Error, &message))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "members/remove.html")]
struct RemovePage {
    layout: Layout,
    ctx: RowContext,
    org_name: String,
    row: MemberRow,
    /// Keys they created: they stay active, so the page offers to rotate them (R32).
    keys: Vec<KeyRow>,
    now: DateTime<Utc>,
}

/// GET /orgs/{org}/members/{user_id}/remove: the confirmation (also the no-JS path).
pub async fn confirm_remove_member(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let (org_id, target_id) = (member.org.id, path.1);
    let (row, keys) = db
        .run(move |conn| {
            let row = member_list::find(conn, org_id, target_id)?.ok_or(AppError::NotFound)?;
            let filter = KeyFilter {
                project: None,
                created_by: Some(target_id),
                include_revoked: false,
            };
            Ok::<_, AppError>((row, api_keys::list(conn, org_id, &filter)?))
        })
        .await?;
    html(&RemovePage {
        layout: member.layout(Section::Members, "Remove member"),
        ctx: RowContext::of(&member),
        org_name: member.org.name.clone(),
        row,
        keys,
        now: config.clock.now(),
    })
}

/// POST /orgs/{org}/members/{user_id}/remove. The member's API keys stay active.
pub async fn remove_member(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let (org_id, target_id, actor) = (member.org.id, path.1, member.actor());
    let removed = db
        .run(move |conn| ops::members::remove(conn, org_id, &actor, target_id))
        .await?;
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &format!("/orgs/{}/members", member.org.slug),
        &format!("{} was removed from the organization", removed.name),
    ))
}
