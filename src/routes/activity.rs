//! The Activity log: the page, its filters and keyset pages, and its CSV and JSON Lines exports.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::Permission;
use crate::domain::activity_filter::{self, ActionFilter, ActionGroup, GROUPS};
use crate::domain::activity_text::{self, Sentence};
use crate::error::AppError;
use crate::htmx::{Hx, html};
use crate::layout::{Layout, Section};
use crate::models::activity::ActivityRow;
use crate::models::activity_chain::{self, VerificationState};
use crate::models::activity_log::{self, LogFilter, Person};

/// Query parameters are parsed leniently: a bad value is ignored, never an error.
#[derive(Debug, Default, Deserialize)]
pub struct ActivityQuery {
    action: Option<String>,
    member: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
    /// The "Member" field's search text (name or email).
    member_q: Option<String>,
}

/// The filters and cursor of a request, which every link of the page carries on.
#[derive(Debug, Clone, Default)]
pub struct LogView {
    action: ActionFilter,
    member: Option<Uuid>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// Show entries older than this one.
    before: Option<Uuid>,
}

impl ActivityQuery {
    pub(super) fn view(&self) -> LogView {
        let date = |value: &Option<String>| {
            value
                .as_deref()
                .and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
        };
        let id = |value: &Option<String>| value.as_deref().and_then(|v| Uuid::parse_str(v).ok());
        LogView {
            action: ActionFilter::parse(self.action.as_deref().unwrap_or("")),
            member: id(&self.member),
            from: date(&self.from),
            to: date(&self.to),
            before: id(&self.before),
        }
    }
}

impl ActivityQuery {
    /// The member search, lowercased and at most 100 characters; empty for none.
    fn search(&self) -> String {
        let search = self.member_q.as_deref().unwrap_or("").trim();
        search.chars().take(100).collect::<String>().to_lowercase()
    }
}

impl LogView {
    pub(super) fn filter(&self) -> LogFilter {
        LogFilter {
            action: self.action.clone(),
            member: self.member,
            since: self.from.map(activity_filter::day_start),
            until: self
                .to
                .and_then(|to| to.succ_opt())
                .map(activity_filter::day_start),
        }
    }

    /// The filters as a query string (`?action=...`), with `before` as the cursor;
    /// empty when there is nothing to keep.
    fn query(&self, before: Option<Uuid>) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        if self.action != ActionFilter::All {
            params.push(("action", self.action.as_param().to_owned()));
        }
        if let Some(member) = self.member {
            params.push(("member", member.to_string()));
        }
        if let Some(from) = self.from {
            params.push(("from", from.to_string()));
        }
        if let Some(to) = self.to {
            params.push(("to", to.to_string()));
        }
        if let Some(before) = before {
            params.push(("before", before.to_string()));
        }
        match serde_urlencoded::to_string(params) {
            Ok(query) if !query.is_empty() => format!("?{query}"),
            _ => String::new(),
        }
    }

    fn is_filtered(&self) -> bool {
        self.action != ActionFilter::All
            || self.member.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }
}

/// One entry as the page shows it.
pub struct EntryView {
    pub id: Uuid,
    pub action: String,
    pub sentence: Sentence,
    /// RFC 3339, for `<time datetime>`.
    pub at: String,
    /// "2026-11-27 14:03:12 UTC".
    pub exact: String,
    /// "3 hours ago".
    pub ago: String,
    pub ip: String,
    pub user_agent: String,
    /// Blanked by retention (its digest is still in the chain): shown as "redacted".
    pub ip_redacted: bool,
    pub user_agent_redacted: bool,
}

impl EntryView {
    pub fn of(row: ActivityRow, now: DateTime<Utc>) -> Self {
        EntryView {
            id: row.id,
            sentence: sentence_of(&row),
            at: row.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            exact: row.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ago: crate::domain::time::ago(row.created_at, now),
            action: row.action,
            ip_redacted: row.ip.is_none() && row.personal_digests.get("ip").is_some(),
            user_agent_redacted: row.user_agent.is_none()
                && row.personal_digests.get("user_agent").is_some(),
            ip: row.ip.unwrap_or_default(),
            user_agent: row.user_agent.unwrap_or_default(),
        }
    }
}

pub(super) fn sentence_of(row: &ActivityRow) -> Sentence {
    activity_text::describe(
        &row.action,
        &row.actor_name,
        &row.target_label,
        row.before.as_ref(),
        row.after.as_ref(),
    )
}

#[derive(Template)]
#[template(path = "activity/index.html", blocks = ["activity_list"])]
struct ActivityPage {
    layout: Layout,
    slug: String,
    view: LogView,
    /// The person the member filter names, when the organization knows them.
    selected: Option<Person>,
    /// The member search and its results (a page submitted without JavaScript).
    search: String,
    results: Option<Vec<Person>>,
    entries: Vec<EntryView>,
    /// The next, older page, when there is one.
    older_link: Option<String>,
    /// "Integrity: verified up to #N at <time>", for administrators.
    integrity: Option<String>,
}

/// "Load more": the next rows and, when there are more, the row with the button. The
/// page includes the same template, so there is one definition of the markup.
#[derive(Template)]
#[template(path = "activity/_more.html")]
struct MoreRows {
    entries: Vec<EntryView>,
    older_link: Option<String>,
}

impl ActivityPage {
    fn groups(&self) -> &'static [ActionGroup] {
        &GROUPS
    }

    fn link(&self, before: Option<Uuid>) -> String {
        page_link(&self.slug, &self.view, before)
    }

    fn export_link(&self, extension: &str) -> String {
        format!(
            "/orgs/{}/activity/export.{extension}{}",
            self.slug,
            self.view.query(None)
        )
    }

    fn start_date(&self) -> String {
        self.view.from.map(|d| d.to_string()).unwrap_or_default()
    }

    fn end_date(&self) -> String {
        self.view.to.map(|d| d.to_string()).unwrap_or_default()
    }

    /// An action from a shared link that the filter does not list (a newer version's).
    fn unlisted_action(&self) -> Option<&str> {
        match &self.view.action {
            ActionFilter::One(code)
                if !GROUPS
                    .iter()
                    .any(|g| g.actions.iter().any(|a| a.code == code)) =>
            {
                Some(code)
            }
            _ => None,
        }
    }

    fn member_link(&self, person: &Person) -> String {
        member_link(&self.slug, &self.view, Some(person.user_id))
    }

    /// The same filters for everyone.
    fn everyone_link(&self) -> String {
        member_link(&self.slug, &self.view, None)
    }
}

/// The first page of the log under `view`'s filters, with the member filter set to `member`.
fn member_link(slug: &str, view: &LogView, member: Option<Uuid>) -> String {
    let view = LogView {
        member,
        before: None,
        ..view.clone()
    };
    page_link(slug, &view, None)
}

/// The results of the "Member" field's search, swapped under the field as one types.
#[derive(Template)]
#[template(path = "activity/_people.html")]
struct PeopleResults {
    slug: String,
    view: LogView,
    search: String,
    results: Option<Vec<Person>>,
}

impl PeopleResults {
    fn member_link(&self, person: &Person) -> String {
        member_link(&self.slug, &self.view, Some(person.user_id))
    }
}

/// GET /orgs/{org}/activity/people?member_q=...: people of the log matching a name or
/// email, as links that apply the member filter (keeping the other filters).
pub async fn search_activity_people(
    member: OrgMember,
    db: web::Data<Db>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewActivity)?;
    let (org_id, search) = (member.org.id, query.search());
    let wanted = search.clone();
    let results = if search.is_empty() {
        None
    } else {
        Some(
            db.run(move |conn| {
                Ok::<_, AppError>(activity_log::search_people(conn, org_id, &wanted)?)
            })
            .await?,
        )
    };
    html(&PeopleResults {
        slug: member.org.slug.clone(),
        view: query.view(),
        search,
        results,
    })
}

fn page_link(slug: &str, view: &LogView, before: Option<Uuid>) -> String {
    format!("/orgs/{slug}/activity{}", view.query(before))
}

/// True when htmx will swap the response into the element with this id.
fn swaps_into(req: &HttpRequest, id: &str) -> bool {
    req.headers().get("HX-Target").is_some_and(|v| v == id)
}

/// GET /orgs/{org}/activity: the whole page; for htmx, the list (filters changed) or
/// the next rows (`#activity-more`, "Load more").
pub async fn list_activity(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hx: Hx,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewActivity)?;
    let view = query.view();
    let full_page = !hx.wants_fragment();
    let (org_id, filter, before) = (member.org.id, view.filter(), view.before);
    // "Load more" adds rows only; the page and the list name the filtered person.
    let more = !full_page && swaps_into(&req, "activity-more");
    let (selected_id, search) = (view.member.filter(|_| !more), query.search());
    let wanted = search.clone();
    // The form names the filtered person and, without JavaScript, lists the search's
    // matches: at most one statement each, never a list of everyone.
    let show_integrity = full_page && member.can(Permission::ManageOrganization);
    let (page, selected, results, integrity) = db
        .run(move |conn| {
            let page = activity_log::page(conn, org_id, &filter, before)?;
            let integrity = if show_integrity {
                Some(integrity_line(activity_chain::state(conn, org_id)?))
            } else {
                None
            };
            let selected = match selected_id {
                Some(id) => activity_log::person(conn, org_id, id)?,
                None => None,
            };
            let results = if full_page && !wanted.is_empty() {
                Some(activity_log::search_people(conn, org_id, &wanted)?)
            } else {
                None
            };
            Ok::<_, AppError>((page, selected, results, integrity))
        })
        .await?;
    let now = config.clock.now();
    let entries = page.rows.into_iter().map(|row| EntryView::of(row, now));
    let slug = member.org.slug.clone();
    let older_link = page.older.map(|older| page_link(&slug, &view, Some(older)));
    if more {
        return html(&MoreRows {
            entries: entries.collect(),
            older_link,
        });
    }
    let page = ActivityPage {
        layout: member.layout(Section::Activity, "Activity log"),
        slug,
        view,
        selected,
        search,
        results,
        entries: entries.collect(),
        older_link,
        integrity,
    };
    if full_page {
        html(&page)
    } else {
        html(&page.as_activity_list())
    }
}

/// What the maintenance job last found; never computed per request.
fn integrity_line(state: Option<VerificationState>) -> String {
    let at = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    match state {
        None => "Integrity: not verified yet (the check runs every 10 minutes)".to_owned(),
        Some(VerificationState {
            broken_seq: Some(seq),
            broken_reason,
            broken_at,
            ..
        }) => format!(
            "Integrity: the log does not verify at #{seq} ({}), found {}",
            broken_reason.unwrap_or_default(),
            broken_at.map(at).unwrap_or_default()
        ),
        Some(state) => format!(
            "Integrity: verified up to #{} at {}",
            state.seq,
            at(state.verified_at)
        ),
    }
}
