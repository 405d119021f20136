//! Exports of the activity log: the current filter as CSV or JSON Lines, streamed.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use chrono::SecondsFormat;
use serde_json::json;
use uuid::Uuid;

use super::activity::{ActivityQuery, sentence_of};
use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::Permission;
use crate::domain::audit_chain;
use crate::domain::csv::Csv;
use crate::error::AppError;
use crate::models::activity::ActivityRow;
use crate::models::activity_checkpoints;
use crate::models::activity_log::{self, EXPORT_CHUNK};

#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    JsonLines,
}

const CSV_HEADER: [&str; 19] = [
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
    "org_id",
    "seq",
    "created_at",
    "personal",
    "prev_hash",
    "hash",
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
    /// have the same fields; times are ISO 8601 UTC. `org_id` to `hash` are what an
    /// auditor needs to re-verify the chain offline (README, "Verifying the activity log").
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
                out.push_str(&row.export_json().to_string());
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
fn csv_cells(row: &ActivityRow) -> [String; 19] {
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
        row.org_id.to_string(),
        row.seq.to_string(),
        audit_chain::timestamp(row.created_at),
        row.personal_digests.to_string(),
        audit_chain::hex(&row.prev_hash),
        audit_chain::hex(&row.hash),
    ]
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
                Ok((bytes, Some(next))) => Some((Ok::<_, AppError>(bytes), Some(Some(next)))),
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

/// GET /orgs/{org}/activity/checkpoints.jsonl: every signed checkpoint, oldest first, for
/// an auditor to keep with an export (README, "Signed checkpoints").
pub async fn export_activity_checkpoints(
    member: OrgMember,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewActivity)?;
    let org_id = member.org.id;
    let checkpoints = db
        .run(move |conn| Ok::<_, AppError>(activity_checkpoints::of_org(conn, org_id)?))
        .await?;
    let body = checkpoints.iter().fold(String::new(), |mut out, c| {
        let line = json!({
            "org_id": c.org_id,
            "seq": c.seq,
            "hash": audit_chain::hex(&c.hash),
            "created_at": audit_chain::timestamp(c.created_at),
            "public_key": audit_chain::hex(&c.public_key),
            "signature": audit_chain::hex(&c.signature),
        });
        out.push_str(&line.to_string());
        out.push('\n');
        out
    });
    Ok(HttpResponse::Ok()
        .content_type(Format::JsonLines.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}-checkpoints.jsonl\"",
                member.org.slug
            ),
        ))
        .body(body))
}
