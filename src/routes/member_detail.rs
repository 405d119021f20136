//! A member's page: who they are, their role timeline, the keys they created and what
//! they did (the Activity log's rows, filtered to them).

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use super::activity::EntryView;
use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::Permission;
use crate::domain::role_history::{self, Step};
use crate::error::AppError;
use crate::htmx::html;
use crate::layout::{Layout, Section};
use crate::models::activity_log::{self, LogFilter};
use crate::models::api_keys::{self, KeyFilter, KeyRow};
use crate::models::member_list::{self, MemberRow};
use crate::models::role_history as history;

/// Role changes shown on the timeline, newest kept: a page of bounded size.
const TIMELINE_SHOWN: i64 = 100;

#[derive(Template)]
#[template(path = "members/show.html")]
struct MemberPage {
    layout: Layout,
    slug: String,
    row: MemberRow,
    /// The 2FA line, as on the Members page: for administrators.
    show_two_factor: bool,
    steps: Vec<Step>,
    /// `None` when the viewer may not see API keys.
    keys: Option<Vec<KeyRow>>,
    /// `None` when the viewer may not see the activity log.
    entries: Option<Vec<EntryView>>,
    /// The Activity log's next page of this member's entries, when there is one.
    older_link: Option<String>,
    now: DateTime<Utc>,
}

impl MemberPage {
    fn activity_link(&self) -> String {
        format!("/orgs/{}/activity?member={}", self.slug, self.row.user_id)
    }

    fn step_time(&self, step: &Step) -> String {
        step.at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    fn step_date(&self, step: &Step) -> String {
        step.at.format("%b %-d, %Y %H:%M UTC").to_string()
    }
}

/// GET /orgs/{org}/members/{user_id}: as visible as the Members page; the keys and the
/// activity sections follow their own permissions. Another organization's member, or
/// someone who is not a member: 404.
pub async fn show_member(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewMembers)?;
    let (org_id, user_id) = (member.org.id, path.1);
    let see_keys = member.can(Permission::ViewApiKeys);
    let see_activity = member.can(Permission::ViewActivity);
    let (row, changes, keys, log) = db
        .run(move |conn| {
            let row = member_list::find(conn, org_id, user_id)?.ok_or(AppError::NotFound)?;
            let changes = history::changes_of(conn, org_id, user_id, TIMELINE_SHOWN)?;
            let keys = if see_keys {
                let filter = KeyFilter {
                    project: None,
                    created_by: Some(user_id),
                    include_revoked: false,
                };
                Some(api_keys::list(conn, org_id, &filter)?)
            } else {
                None
            };
            let log = if see_activity {
                let filter = LogFilter {
                    member: Some(user_id),
                    ..LogFilter::default()
                };
                Some(activity_log::page(conn, org_id, &filter, None)?)
            } else {
                None
            };
            Ok::<_, AppError>((row, changes, keys, log))
        })
        .await?;
    let now = config.clock.now();
    let slug = member.org.slug.clone();
    let mut steps = role_history::timeline(&changes, Some((row.joined_at, row.role)));
    // Newest first, like the activity log.
    steps.reverse();
    let older_link = log
        .as_ref()
        .and_then(|page| page.older)
        .map(|older| format!("/orgs/{slug}/activity?member={user_id}&before={older}"));
    let entries = log.map(|page| {
        page.rows
            .into_iter()
            .map(|entry| EntryView::of(entry, now))
            .collect()
    });
    html(&MemberPage {
        layout: member.layout(Section::Members, &row.name),
        show_two_factor: member.can(Permission::ManageMembers),
        slug,
        row,
        steps,
        keys,
        entries,
        older_link,
        now,
    })
}
