//! The members CSV for access reviews: everyone with access now (members and project-only
//! members), or who was a member at the end of a day (`?at=`). Streamed in chunks.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use futures_util::StreamExt;
use futures_util::stream::Stream;
use serde::Deserialize;

use super::members_on_date::OnDate;
use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::csv::Csv;
use crate::domain::{Permission, ProjectRole, Role};
use crate::error::AppError;
use crate::models::member_export::{self, CHUNK, PersonRow};
use crate::models::role_history;

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    at: Option<String>,
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// One person as cells: name, email, role, joined, last active, [2FA,] projects.
fn person_cells(csv: &mut Csv, row: &PersonRow, two_factor: bool) {
    let role = row
        .role
        .as_deref()
        .and_then(|r| Role::parse(r).ok())
        .map_or("Project only", Role::label);
    let projects = row
        .projects()
        .iter()
        .map(|access| {
            let role = ProjectRole::parse(&access.role).map_or(access.role.as_str(), |r| r.label());
            format!("{} ({role})", access.project)
        })
        .collect::<Vec<_>>()
        .join("; ");
    csv.text(&row.name)
        .text(&row.email)
        .text(role)
        .text(&time(Some(row.joined_at)))
        .text(&time(row.last_active_at));
    if two_factor {
        csv.text(if row.two_factor { "on" } else { "off" });
    }
    csv.text(&projects).end_row();
}

/// GET /orgs/{org}/members.csv: as visible as the Members page (the 2FA column, as on
/// the page, for administrators). With `?at=YYYY-MM-DD`: "Members on date" as CSV.
pub async fn export_members_csv(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewMembers)?;
    let org_id = member.org.id;
    let db = db.get_ref().clone();
    let today = config.clock.now().format("%Y-%m-%d").to_string();
    let (filename, body) = match OnDate::parse(query.at.as_deref()) {
        Some(OnDate::Invalid(_)) => {
            return Err(AppError::Invalid(
                "Enter a date as YYYY-MM-DD, for example 2026-10-01.".into(),
            ));
        }
        Some(OnDate::Day(day)) => (
            format!("{}-members-on-{day}.csv", member.org.slug),
            on_date_stream(db, org_id, day).boxed_local(),
        ),
        None => (
            format!("{}-members-{today}.csv", member.org.slug),
            current_stream(db, org_id, member.can(Permission::ManageMembers)).boxed_local(),
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body))
}

type Chunk = Result<Bytes, AppError>;

/// Everyone with access now, by name, [`CHUNK`] people per statement, each chunk read
/// when the client has taken the previous one.
fn current_stream(db: Db, org_id: uuid::Uuid, two_factor: bool) -> impl Stream<Item = Chunk> {
    // `Some(cursor)` while there is more to read; the first cursor is `None`.
    futures_util::stream::unfold(
        Some(None),
        move |state: Option<Option<(String, uuid::Uuid)>>| {
            let db = db.clone();
            async move {
                let cursor = state?;
                let first = cursor.is_none();
                let chunk = db
                    .run(move |conn| {
                        let rows = member_export::chunk(conn, org_id, cursor)?;
                        let mut csv = Csv::new();
                        if first {
                            csv.text("name")
                                .text("email")
                                .text("role")
                                .text("joined")
                                .text("last_active");
                            if two_factor {
                                csv.text("two_factor");
                            }
                            csv.text("project_only_projects").end_row();
                        }
                        for row in &rows {
                            person_cells(&mut csv, row, two_factor);
                        }
                        let next = rows.last().map(|row| (row.sort_name.clone(), row.user_id));
                        let more = rows.len() as i64 == CHUNK;
                        Ok::<_, AppError>((
                            Bytes::from(csv.finish()),
                            next.filter(|_| more).map(Some),
                        ))
                    })
                    .await;
                Some(step(chunk))
            }
        },
    )
}

/// Who was a member at the end of `day`, by name, [`CHUNK`] per statement.
fn on_date_stream(db: Db, org_id: uuid::Uuid, day: NaiveDate) -> impl Stream<Item = Chunk> {
    futures_util::stream::unfold(Some(0_i64), move |state: Option<i64>| {
        let db = db.clone();
        async move {
            let offset = state?;
            let chunk = db
                .run(move |conn| {
                    let (rows, _) = role_history::on_date(conn, org_id, day, CHUNK, offset)?;
                    let mut csv = Csv::new();
                    if offset == 0 {
                        csv.text("name")
                            .text("email")
                            .text("role")
                            .text("date")
                            .end_row();
                    }
                    for row in &rows {
                        csv.text(&row.name)
                            .text(&row.email)
                            .text(row.role.label())
                            .text(&day.to_string())
                            .end_row();
                    }
                    let more = rows.len() as i64 == CHUNK;
                    Ok::<_, AppError>((Bytes::from(csv.finish()), more.then_some(offset + CHUNK)))
                })
                .await;
            Some(step(chunk))
        }
    })
}

/// A chunk and the next state; an error ends the download (the headers are sent: the
/// client sees a cut-off file).
fn step<S>(chunk: Result<(Bytes, Option<S>), AppError>) -> (Chunk, Option<S>) {
    match chunk {
        Ok((bytes, next)) => (Ok(bytes), next),
        Err(error) => {
            tracing::error!(%error, "members export stopped");
            (Err(error), None)
        }
    }
}
