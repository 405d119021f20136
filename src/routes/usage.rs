//! The Usage page: cost by day and project as a chart (and a table), usage by project
//! and key, the price list, and the CSV export.

use actix_web::http::header::CONTENT_DISPOSITION;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::billing::group_digits;
use crate::domain::chart::{self, Frame};
use crate::domain::csv::Csv;
use crate::domain::pricing::{self, Price};
use crate::domain::{Credits, Grant, Permission};
use crate::error::AppError;
use crate::htmx::html;
use crate::layout::{Layout, Section};
use crate::models::projects::Project;
use crate::models::usage::{self, DailyUsage, KeyUsage};

const PERIODS: [i64; 3] = [7, 30, 90];
/// Projects drawn in their own colour; the rest share "Other projects".
const SHOWN_SERIES: usize = 6;
/// The chart's `viewBox` width; it scales to the page.
const CHART_WIDTH: u32 = 720;

/// Parsed leniently: a bad value shows the default, never an error.
#[derive(Debug, Default, Deserialize)]
pub struct UsageQuery {
    days: Option<String>,
    project: Option<String>,
}

/// The period and project shown. A project-only member's project is forced.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub days: i64,
    pub project: Option<Uuid>,
}

impl Filter {
    fn of(query: &UsageQuery, member: &OrgMember, grant: Grant) -> Self {
        let days = query
            .days
            .as_deref()
            .and_then(|d| d.parse().ok())
            .filter(|d| PERIODS.contains(d))
            .unwrap_or(30);
        let project = match grant {
            Grant::OwnProject => member.project_id,
            _ => query.project.as_deref().and_then(|p| p.parse().ok()),
        };
        Filter { days, project }
    }

    /// The first day shown (UTC); today is the last.
    fn first_day(&self, now: DateTime<Utc>) -> NaiveDate {
        now.date_naive() - Duration::days(self.days - 1)
    }

    fn query_string(&self) -> String {
        let mut params = vec![("days", self.days.to_string())];
        if let Some(project) = self.project {
            params.push(("project", project.to_string()));
        }
        serde_urlencoded::to_string(params).unwrap_or_default()
    }
}

/// Everything the filters change: swapped as one block by htmx.
pub struct Report {
    chart: ChartView,
    keys: Vec<KeyUsage>,
    requests: i64,
    input_tokens: i64,
    output_tokens: i64,
    cost: Credits,
    csv_href: String,
    days: i64,
}

pub struct ChartView {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) frame: Frame,
    /// Round values with a gridline and a label, from 0 at the baseline.
    pub(crate) ticks: Vec<TickView>,
    pub(crate) columns: Vec<ColumnView>,
    pub(crate) series: Vec<String>,
    /// The same numbers for screen readers: one row per day.
    pub(crate) rows: Vec<DayRow>,
}

pub struct TickView {
    pub(crate) y: u32,
    pub(crate) label: String,
}

pub struct ColumnView {
    pub(crate) x: u32,
    pub(crate) center: u32,
    pub(crate) label: Option<String>,
    pub(crate) segments: Vec<SegmentView>,
}

pub struct SegmentView {
    pub(crate) series: usize,
    pub(crate) y: u32,
    pub(crate) height: u32,
    pub(crate) title: String,
}

pub struct DayRow {
    pub(crate) day: String,
    pub(crate) values: Vec<Credits>,
    pub(crate) total: Credits,
}

/// A gridline's label in credits, as short as it reads: "0", "0.5", "1.25", "1,000".
fn axis_label(micro: i64) -> String {
    let exact = Credits::from_micro(micro).display();
    let trimmed = exact.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.to_owned()
    }
}

impl ChartView {
    pub(crate) fn build(first_day: NaiveDate, days: i64, daily: &[DailyUsage]) -> Self {
        let dates: Vec<NaiveDate> = (0..days).map(|i| first_day + Duration::days(i)).collect();
        // Projects in order of first appearance (the query orders them by name).
        let mut projects: Vec<(Uuid, String, i64)> = Vec::new();
        for row in daily {
            match projects.iter_mut().find(|(id, ..)| *id == row.project_id) {
                Some(project) => project.2 += row.cost_micro,
                None => projects.push((row.project_id, row.project_name.clone(), row.cost_micro)),
            }
        }
        let totals: Vec<i64> = projects.iter().map(|p| p.2).collect();
        let shown = chart::fold(&totals, SHOWN_SERIES);
        let folding = projects.len() > SHOWN_SERIES;
        let mut series = vec![String::from("Other projects"); shown.len().min(SHOWN_SERIES)];
        for (i, project) in projects.iter().enumerate() {
            if !folding || shown[i] < SHOWN_SERIES - 1 {
                series[shown[i]] = project.1.clone();
            }
        }
        let mut values = vec![vec![0i64; series.len()]; dates.len()];
        for row in daily {
            let (Some(day), Some(p)) = (
                dates.iter().position(|d| *d == row.day),
                projects.iter().position(|(id, ..)| *id == row.project_id),
            ) else {
                continue;
            };
            values[day][shown[p]] += row.cost_micro;
        }
        let frame = Frame::fit(dates.len(), CHART_WIDTH);
        let tallest = values
            .iter()
            .map(|day| day.iter().sum::<i64>())
            .max()
            .unwrap_or(0);
        let tick_values = chart::ticks(tallest);
        let top = tick_values.last().copied().unwrap_or(1).max(1);
        let laid_out = chart::stack_to(&values, frame, top);
        let ticks = tick_values
            .iter()
            .map(|&value| TickView {
                y: frame.baseline()
                    - (value as i128 * frame.plot_height as i128 / top as i128) as u32,
                label: axis_label(value),
            })
            .collect();
        let every = dates.len().div_ceil(6).max(1);
        let columns = laid_out
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let date = dates[i].format("%b %-d").to_string();
                ColumnView {
                    x: column.x,
                    center: column.center,
                    label: (dates.len() - 1 - i)
                        .is_multiple_of(every)
                        .then(|| date.clone()),
                    segments: column
                        .segments
                        .iter()
                        .map(|s| SegmentView {
                            series: s.series,
                            y: s.y,
                            height: s.height,
                            title: format!(
                                "{date} · {}: {} credits",
                                series[s.series],
                                Credits::from_micro(values[i][s.series])
                            ),
                        })
                        .collect(),
                }
            })
            .collect();
        let rows = dates
            .iter()
            .zip(&values)
            .map(|(date, day)| DayRow {
                day: date.format("%Y-%m-%d").to_string(),
                values: day.iter().map(|v| Credits::from_micro(*v)).collect(),
                total: Credits::from_micro(day.iter().sum()),
            })
            .collect();
        ChartView {
            // Room on the right for the last date's label, centred under its column.
            width: frame.width(dates.len()) + 24,
            height: frame.height(),
            frame,
            ticks,
            columns,
            series,
            rows,
        }
    }
}

#[derive(Template)]
#[template(path = "usage/index.html", blocks = ["usage_report"])]
struct UsagePage {
    layout: Layout,
    slug: String,
    filter: Filter,
    projects: Vec<Project>,
    /// Project-only members see their project only: no choice to make.
    choose_project: bool,
    report: Report,
}

impl UsagePage {
    fn periods(&self) -> [i64; 3] {
        PERIODS
    }

    fn prices(&self) -> Vec<Price> {
        let mut prices = pricing::PRICES.to_vec();
        prices.push(pricing::DEFAULT_PRICE);
        prices
    }

    fn per_1k(&self, micro: &i64) -> Credits {
        Credits::from_micro(*micro)
    }

    fn count(&self, n: &i64) -> String {
        group_digits((*n).max(0) as u64)
    }
}

async fn load(
    db: &Db,
    member: &OrgMember,
    filter: Filter,
    now: DateTime<Utc>,
) -> Result<(Vec<Project>, Vec<DailyUsage>, Vec<KeyUsage>), AppError> {
    let (org_id, only) = (member.org.id, member.project_id);
    let since = filter
        .first_day(now)
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    db.run(move |conn| {
        let projects = Project::list(conn, org_id, only)?;
        let daily = usage::daily(conn, org_id, filter.project, since)?;
        let keys = usage::by_key(conn, org_id, filter.project, since)?;
        Ok((projects, daily, keys))
    })
    .await
}

/// Usage is for those who pay (Billing Managers) as well as those who build; a key's
/// prefix identifies the key itself, which only roles with API-key access may see.
fn hide_prefixes_without_key_access(member: &OrgMember, keys: &mut [KeyUsage]) {
    if !member.can(Permission::ViewApiKeys) {
        for key in keys {
            key.key_prefix.clear();
        }
    }
}

/// GET /orgs/{org}/usage: the whole page, or the report for htmx.
pub async fn show_usage(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, AppError> {
    let grant = member.require(Permission::ViewUsage)?;
    let (filter, now) = (Filter::of(&query, &member, grant), config.clock.now());
    let (projects, daily, mut keys) = load(&db, &member, filter, now).await?;
    hide_prefixes_without_key_access(&member, &mut keys);
    let report = Report {
        chart: ChartView::build(filter.first_day(now), filter.days, &daily),
        requests: keys.iter().map(|k| k.requests).sum(),
        input_tokens: keys.iter().map(|k| k.input_tokens).sum(),
        output_tokens: keys.iter().map(|k| k.output_tokens).sum(),
        cost: Credits::from_micro(keys.iter().map(|k| k.cost_micro).sum()),
        csv_href: format!(
            "/orgs/{}/usage.csv?{}",
            member.org.slug,
            filter.query_string()
        ),
        days: filter.days,
        keys,
    };
    let page = UsagePage {
        layout: member.layout(Section::Usage, "Usage"),
        slug: member.org.slug.clone(),
        filter,
        projects,
        choose_project: grant == Grant::Organization,
        report,
    };
    if member.meta.hx.wants_fragment() {
        html(&page.as_usage_report())
    } else {
        html(&page)
    }
}

/// GET /orgs/{org}/usage.csv: the table by project and key, as on the page.
pub async fn export_usage(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, AppError> {
    let grant = member.require(Permission::ViewUsage)?;
    let (filter, now) = (Filter::of(&query, &member, grant), config.clock.now());
    let (org_id, since) = (
        member.org.id,
        filter
            .first_day(now)
            .and_time(chrono::NaiveTime::MIN)
            .and_utc(),
    );
    let mut keys = db
        .run(move |conn| Ok::<_, AppError>(usage::by_key(conn, org_id, filter.project, since)?))
        .await?;
    hide_prefixes_without_key_access(&member, &mut keys);
    let mut csv = Csv::new();
    csv.text("Project")
        .text("Key")
        .text("Key prefix")
        .text("Requests")
        .text("Input tokens")
        .text("Output tokens")
        .text("Cost (credits)")
        .end_row();
    for key in &keys {
        csv.text(&key.project_name)
            .text(&key.key_name)
            .text(&key.key_prefix)
            .number(key.requests)
            .number(key.input_tokens)
            .number(key.output_tokens)
            .number(key.cost().decimal())
            .end_row();
    }
    let filename = format!(
        "usage-{}-{}-{}d.csv",
        member.org.slug,
        now.format("%Y-%m-%d"),
        filter.days
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(csv.finish()))
}
