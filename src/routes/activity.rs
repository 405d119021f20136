//! The Activity log: the page, its filters and keyset pages, and its CSV and JSON Lines exports.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::Permission;
use crate::domain::activity_filter::{self, ActionFilter, ActionGroup, GROUPS};
use crate::domain::activity_text::{self, Sentence};
use crate::domain::csv::Csv;
use crate::error::AppError;
use crate::htmx::{Hx, html};
use crate::layout::{Layout, Section};
use crate::models::activity::ActivityRow;
use crate::models::activity_log::{self, EXPORT_CHUNK, LogFilter, MemberOption};

/// Query parameters are parsed leniently: a bad value is ignored, never an error.
#[derive(Debug, Default, Deserialize)]
pub struct ActivityQuery {
    action: Option<String>,
    member: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
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
    fn view(&self) -> LogView {
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

impl LogView {
    fn filter(&self) -> LogFilter {
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
            ip: row.ip.unwrap_or_default(),
            user_agent: row.user_agent.unwrap_or_default(),
        }
    }
}

fn sentence_of(row: &ActivityRow) -> Sentence {
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
    /// For the "Member" filter; empty in fragments, which do not show the form.
    members: Vec<MemberOption>,
    entries: Vec<EntryView>,
    /// The next, older page, when there is one.
    older_link: Option<String>,
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

    /// A member filter from a shared link whose person the list no longer knows.
    fn unlisted_member(&self) -> Option<Uuid> {
        self.view
            .member
            .filter(|id| !self.members.iter().any(|m| m.user_id == *id))
    }

    fn is_selected(&self, person: &MemberOption) -> bool {
        self.view.member == Some(person.user_id)
    }

    fn has_former_members(&self) -> bool {
        self.members.iter().any(|m| !m.current)
    }
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
    let (page, members) = db
        .run(move |conn| {
            let page = activity_log::page(conn, org_id, &filter, before)?;
            let members = if full_page {
                activity_log::filter_members(conn, org_id)?
            } else {
                Vec::new()
            };
            Ok((page, members))
        })
        .await?;
    let now = config.clock.now();
    let entries = page.rows.into_iter().map(|row| EntryView::of(row, now));
    let slug = member.org.slug.clone();
    let older_link = page.older.map(|older| page_link(&slug, &view, Some(older)));
    if !full_page && swaps_into(&req, "activity-more") {
        return html(&MoreRows {
            entries: entries.collect(),
            older_link,
        });
    }
    let page = ActivityPage {
        layout: member.layout(Section::Activity, "Activity log"),
        slug,
        view,
        members,
        entries: entries.collect(),
        older_link,
    };
    if full_page {
        html(&page)
    } else {
        html(&page.as_activity_list())
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    JsonLines,
}

const CSV_HEADER: [&str; 13] = [
    "id",
    "time",
    "actor_id",
    "actor",
    "action",
    "summary",
    "target_type",
    "target_id",
    "target",
    "before",
    "after",
    "ip",
    "user_agent",
];

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::JsonLines => "application/x-ndjson; charset=utf-8",
        }
    }

    /// Entries in the format, after the header row when `header` is set. Both formats
    /// have the same fields; times are ISO 8601 UTC.
    fn render(self, rows: &[ActivityRow], header: bool) -> String {
        match self {
            Format::Csv => {
                let mut csv = Csv::new();
                if header {
                    for name in CSV_HEADER {
                        csv.text(name);
                    }
                    csv.end_row();
                }
                for row in rows {
                    for cell in csv_cells(row) {
                        csv.text(&cell);
                    }
                    csv.end_row();
                }
                csv.finish()
            }
            Format::JsonLines => rows.iter().fold(String::new(), |mut out, row| {
                out.push_str(&json_line(row).to_string());
                out.push('\n');
                out
            }),
        }
    }
}

fn time_of(row: &ActivityRow) -> String {
    row.created_at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One entry as CSV cells, in the order of [`CSV_HEADER`].
fn csv_cells(row: &ActivityRow) -> [String; 13] {
    let id = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    let json =
        |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    [
        row.id.to_string(),
        time_of(row),
        id(row.actor_id),
        row.actor_name.clone(),
        row.action.clone(),
        sentence_of(row).plain(),
        row.target_type.clone(),
        id(row.target_id),
        row.target_label.clone(),
        json(&row.before),
        json(&row.after),
        row.ip.clone().unwrap_or_default(),
        row.user_agent.clone().unwrap_or_default(),
    ]
}

fn json_line(row: &ActivityRow) -> serde_json::Value {
    json!({
        "id": row.id,
        "time": time_of(row),
        "actor_id": row.actor_id,
        "actor": row.actor_name,
        "action": row.action,
        "summary": sentence_of(row).plain(),
        "target_type": row.target_type,
        "target_id": row.target_id,
        "target": row.target_label,
        "before": row.before,
        "after": row.after,
        "ip": row.ip,
        "user_agent": row.user_agent,
    })
}

/// GET /orgs/{org}/activity/export.csv: the current filter, every page of it.
pub async fn export_activity_csv(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    export(member, db, config, query, Format::Csv)
}

/// GET /orgs/{org}/activity/export.jsonl: as the CSV export, one JSON object per line.
pub async fn export_activity_jsonl(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    export(member, db, config, query, Format::JsonLines)
}

/// Streams the export newest first, [`EXPORT_CHUNK`] entries per statement, each chunk
/// read only when the client has taken the previous one: memory stays constant and no
/// connection is held between chunks. The cursor (`before`) is ignored: an export
/// holds the whole filter.
fn export(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<ActivityQuery>,
    format: Format,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewActivity)?;
    let (org_id, filter) = (member.org.id, query.view().filter());
    let db = db.get_ref().clone();
    // The state: `Some(cursor)` while there is more to read; the first cursor is `None`.
    let chunks = futures_util::stream::unfold(Some(None), move |state: Option<Option<Uuid>>| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let cursor = state?;
            let chunk = db
                .run(move |conn| {
                    let rows = activity_log::entries(conn, org_id, &filter, cursor, EXPORT_CHUNK)?;
                    let out = format.render(&rows, cursor.is_none());
                    let next = rows.last().map(|row| row.id);
                    let more = rows.len() as i64 == EXPORT_CHUNK;
                    Ok((Bytes::from(out), next.filter(|_| more)))
                })
                .await;
            match chunk {
                Ok((bytes, Some(next))) => Some((Ok(bytes), Some(Some(next)))),
                Ok((bytes, None)) => Some((Ok(bytes), None)),
                Err(error) => {
                    // The headers are sent: the client sees a cut-off download.
                    tracing::error!(%error, "activity export stopped");
                    Some((Err(error), None))
                }
            }
        }
    });
    let filename = format!(
        "{}-activity-{}.{}",
        member.org.slug,
        config.clock.now().format("%Y-%m-%d"),
        format.extension()
    );
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(chunks))
}
