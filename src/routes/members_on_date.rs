//! "Members on date": who was a member, with which role, at the end of a past day,
//! computed from the activity log.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::NaiveDate;

use crate::auth::OrgMember;
use crate::db::Db;
use crate::error::AppError;
use crate::htmx::html_with_status;
use crate::layout::{Layout, Section};
use crate::models::member_list::PAGE_SIZE;
use crate::models::role_history::{self, HeldRow};

/// The `at` parameter of the Members page: a day, or what was typed when it is no date.
pub enum OnDate {
    Day(NaiveDate),
    Invalid(String),
}

impl OnDate {
    /// `None` when the parameter is absent or empty: the ordinary Members page.
    pub fn parse(value: Option<&str>) -> Option<OnDate> {
        let value = value?.trim();
        if value.is_empty() {
            return None;
        }
        Some(match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(day) => OnDate::Day(day),
            Err(_) => OnDate::Invalid(value.chars().take(40).collect()),
        })
    }
}

#[derive(Template)]
#[template(path = "members/on_date.html")]
struct OnDatePage {
    layout: Layout,
    slug: String,
    /// The date as the field shows it.
    at: String,
    day: Option<NaiveDate>,
    error: Option<&'static str>,
    rows: Vec<HeldRow>,
    total: i64,
    page: i64,
    pages: i64,
}

impl OnDatePage {
    fn day_label(&self) -> String {
        self.day
            .map(|d| d.format("%B %-d, %Y").to_string())
            .unwrap_or_default()
    }

    fn link(&self, page: i64) -> String {
        let mut link = format!("/orgs/{}/members?at={}", self.slug, self.at);
        if page > 1 {
            link.push_str(&format!("&page={page}"));
        }
        link
    }

    fn export_link(&self) -> String {
        format!("/orgs/{}/members.csv?at={}", self.slug, self.at)
    }
}

/// The Members page for `?at=`: one page of who was a member at the end of that day
/// (UTC), by name. A value that is no date is answered 422 with the picker and a message.
pub async fn show(
    member: &OrgMember,
    db: &Db,
    at: OnDate,
    page: i64,
) -> Result<HttpResponse, AppError> {
    let slug = member.org.slug.clone();
    let layout = member.layout(Section::Members, "Members on date");
    let day = match at {
        OnDate::Day(day) => day,
        OnDate::Invalid(typed) => {
            return html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &OnDatePage {
                    layout,
                    slug,
                    at: typed,
                    day: None,
                    error: Some("Enter a date as YYYY-MM-DD, for example 2026-10-01."),
                    rows: Vec::new(),
                    total: 0,
                    page: 1,
                    pages: 1,
                },
            );
        }
    };
    let org_id = member.org.id;
    let page = page.max(1);
    let (rows, total) = db
        .run(move |conn| {
            Ok::<_, AppError>(role_history::on_date(
                conn,
                org_id,
                day,
                PAGE_SIZE,
                (page - 1) * PAGE_SIZE,
            )?)
        })
        .await?;
    html_with_status(
        StatusCode::OK,
        &OnDatePage {
            layout,
            slug,
            at: day.to_string(),
            day: Some(day),
            error: None,
            rows,
            total,
            page,
            pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        },
    )
}
