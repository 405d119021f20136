//! "Audit log streaming" (administrators): the endpoint and secret, the delivery status,
//! turning it off, and "Send test event".

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::Permission;
use crate::domain::audit_stream::{StreamEndpoint, StreamSecret};
use crate::domain::time::ago;
use crate::error::AppError;
use crate::htmx::{Level, html_with_status, redirect, toast};
use crate::layout::{Layout, Section};
use crate::models::audit_streams::{self, AuditStream};
use crate::{ops, stream};

#[derive(Template)]
#[template(path = "settings/streaming.html")]
struct StreamingPage {
    layout: Layout,
    slug: String,
    /// The endpoint field, as typed or saved.
    url: String,
    status: Option<StatusView>,
    /// The outcome of "Send test event", right after it.
    test: Option<TestOutcome>,
    errors: FieldErrors,
}

struct TestOutcome {
    delivered: bool,
    message: String,
}

/// The delivery state, as administrators read it.
struct StatusView {
    enabled: bool,
    delivered_seq: i64,
    /// Entries written but not yet acknowledged.
    waiting: i64,
    last_delivered: Option<String>,
    last_attempt: Option<String>,
    last_error: Option<String>,
    next_retry: Option<String>,
}

fn when(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} ({})", at.format("%Y-%m-%d %H:%M:%S UTC"), ago(at, now))
}

impl StatusView {
    fn of(stream: &AuditStream, head: i64, now: DateTime<Utc>) -> Self {
        let retrying = stream.enabled && stream.attempts > 0;
        StatusView {
            enabled: stream.enabled,
            delivered_seq: stream.delivered_seq,
            waiting: (head - stream.delivered_seq).max(0),
            last_delivered: stream.last_delivered_at.map(|at| when(at, now)),
            last_attempt: stream.last_attempt_at.map(|at| when(at, now)),
            last_error: stream.last_error.clone(),
            next_retry: retrying.then(|| {
                format!(
                    "{} (attempt {})",
                    stream.next_attempt_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    stream.attempts + 1
                )
            }),
        }
    }
}

/// The page with the stream's current state and whatever the request adds.
async fn page(
    member: &OrgMember,
    db: &Db,
    config: &Config,
    edit: impl FnOnce(&mut StreamingPage),
) -> Result<StreamingPage, AppError> {
    let org_id = member.org.id;
    let (stream, head) = db
        .run(move |conn| {
            let stream = audit_streams::find(conn, org_id)?;
            let head = audit_streams::head_seq(conn, org_id)?;
            Ok::<_, AppError>((stream, head))
        })
        .await?;
    let now = config.clock.now();
    let mut page = StreamingPage {
        layout: member.layout(Section::Settings, "Audit log streaming"),
        slug: member.org.slug.clone(),
        url: stream.as_ref().map(|s| s.url.clone()).unwrap_or_default(),
        status: stream.as_ref().map(|s| StatusView::of(s, head, now)),
        test: None,
        errors: FieldErrors::default(),
    };
    edit(&mut page);
    Ok(page)
}

/// GET /orgs/{org}/settings/streaming
pub async fn show_audit_stream(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let page = page(&member, &db, &config, |_| {}).await?;
    html_with_status(StatusCode::OK, &page)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamForm {
    url: String,
    /// Empty: keep the saved secret.
    #[serde(default)]
    secret: String,
}

/// POST /orgs/{org}/settings/streaming: turns streaming on, or changes the endpoint or
/// the secret. Invalid or refused endpoints get 422 with the reason next to the field.
pub async fn update_audit_stream(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    secrets: web::Data<crate::domain::sealed::SecretsKey>,
    web::Form(form): web::Form<StreamForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let policy = stream::policy(&config);
    let mut errors = FieldErrors::default();
    let endpoint = errors.check("url", StreamEndpoint::parse(&form.url, policy));
    let secret = match form.secret.trim() {
        "" => Some(None),
        text => errors.check("secret", StreamSecret::parse(text)).map(Some),
    };
    if let Some(endpoint) = &endpoint
        && let Err(message) = stream::check_resolves_public(endpoint, policy).await
    {
        errors.add("url", message);
    }
    let (Some(endpoint), Some(secret), true) = (endpoint, secret, errors.is_empty()) else {
        let page = page(&member, &db, &config, |page| {
            page.url = form.url;
            page.errors = errors;
        })
        .await?;
        return html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    let key = secrets.get_ref().clone();
    let saved = db
        .run(move |conn| {
            ops::audit_stream::save(conn, org_id, &actor, &endpoint, secret.as_ref(), &key, now)
        })
        .await;
    if let Err(ops::OpError::Invalid(message)) = saved {
        let page = page(&member, &db, &config, |page| {
            page.url = form.url;
            page.errors.add("secret", message);
        })
        .await?;
        return html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    saved?;
    Ok(toast(
        redirect(&member.meta.hx, &location(&member)),
        Level::Success,
        "Audit log streaming saved",
    ))
}

/// POST /orgs/{org}/settings/streaming/disable
pub async fn disable_audit_stream(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    db.run(move |conn| ops::audit_stream::disable(conn, org_id, &actor, now))
        .await?;
    Ok(toast(
        redirect(&member.meta.hx, &location(&member)),
        Level::Success,
        "Audit log streaming turned off",
    ))
}

/// POST /orgs/{org}/settings/streaming/test: "Send test event", signed like an entry but
/// not part of the chain; the page then says what the endpoint answered.
pub async fn test_audit_stream(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let (org_id, actor) = (member.org.id, member.actor());
    let target = db
        .run(move |conn| ops::audit_stream::record_test(conn, org_id, &actor))
        .await?;
    let sender = stream::Sender::for_config(&config).map_err(AppError::Internal)?;
    let sent = sender
        .send_test(&target, org_id, &member.org.slug, config.clock.now())
        .await;
    let test = match sent {
        Ok(()) => TestOutcome {
            delivered: true,
            message: "Test event delivered: the endpoint answered with a 2xx.".into(),
        },
        Err(reason) => TestOutcome {
            delivered: false,
            message: format!("Test event not delivered: {reason}."),
        },
    };
    let page = page(&member, &db, &config, |page| page.test = Some(test)).await?;
    html_with_status(StatusCode::OK, &page)
}

fn location(member: &OrgMember) -> String {
    format!("/orgs/{}/settings/streaming", member.org.slug)
}
