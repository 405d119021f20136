//! Prometheus metrics on a separate listener (`METRICS_ADDR`): requests by route pattern
//! and status, the connection pool, the outbox, and rate-limit refusals.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::db::Db;
use crate::error::AppError;

/// The metrics of one `Application`. Counters live in the process; pool and outbox figures
/// are read when scraped.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    refusals: IntCounterVec,
    pool: IntGaugeVec,
    statements: IntCounter,
    statements_seen: AtomicU64,
    database_up: IntGauge,
    outbox: IntGaugeVec,
    outbox_oldest: Gauge,
}

/// Where `/metrics` is served: the local address of the `METRICS_ADDR` listener, if any.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint(pub Option<SocketAddr>);

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "teamwork_http_requests_total",
                "HTTP requests answered, by method, route pattern and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "teamwork_http_request_duration_seconds",
                "Time to answer HTTP requests, by method, route pattern and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let refusals = IntCounterVec::new(
            Opts::new(
                "teamwork_rate_limited_total",
                "Requests refused with 429 (login throttle, invitation limits), by route pattern.",
            ),
            &["route"],
        )
        .expect("valid metric");
        let pool = IntGaugeVec::new(
            Opts::new(
                "teamwork_db_pool_connections",
                "Connections of the request pool, in use or idle.",
            ),
            &["state"],
        )
        .expect("valid metric");
        let statements = IntCounter::new(
            "teamwork_db_statements_total",
            "SQL statements run through the request pool (read before this scrape's own query).",
        )
        .expect("valid metric");
        let database_up = IntGauge::new(
            "teamwork_database_up",
            "1 when the outbox query of this scrape succeeded, else 0.",
        )
        .expect("valid metric");
        let outbox = IntGaugeVec::new(
            Opts::new("teamwork_outbox_emails", "Emails in the outbox, by status."),
            &["status"],
        )
        .expect("valid metric");
        let outbox_oldest = Gauge::new(
            "teamwork_outbox_oldest_queued_seconds",
            "Age of the oldest email not yet sent or failed (0 when none).",
        )
        .expect("valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(refusals.clone()),
            Box::new(pool.clone()),
            Box::new(statements.clone()),
            Box::new(database_up.clone()),
            Box::new(outbox.clone()),
            Box::new(outbox_oldest.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Metrics {
            registry,
            requests,
            latency,
            refusals,
            pool,
            statements,
            statements_seen: AtomicU64::new(0),
            database_up,
            outbox,
            outbox_oldest,
        }
    }

    /// Counts one answered request. `route` is the match pattern (`/orgs/{org}/members`),
    /// never the raw path: bounded label values, and no tokens. Methods other than the
    /// standard ones count as `OTHER`, so that clients cannot mint label values either.
    pub fn observe(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let method = match *method {
            Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
            | Method::OPTIONS => method.as_str(),
            _ => "OTHER",
        };
        let status_text = status.to_string();
        let labels = [method, route, status_text.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
        if status == 429 {
            self.refusals.with_label_values(&[route]).inc();
        }
    }

    /// The text exposition, with the pool and outbox read now.
    pub async fn render(&self, db: &Db) -> String {
        let (open, idle) = db.connections();
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(open.saturating_sub(idle)));
        self.pool.with_label_values(&["idle"]).set(i64::from(idle));
        // Read before the outbox query below, so that a scrape does not count itself.
        // fetch_max: concurrent scrapes add each statement once.
        let now = db.statements();
        let before = self.statements_seen.fetch_max(now, Ordering::Relaxed);
        self.statements.inc_by(now.saturating_sub(before));
        match db
            .run(|conn| Ok::<_, crate::db::DbError>(crate::mail::outbox::stats(conn)?))
            .await
        {
            Ok(stats) => {
                self.database_up.set(1);
                self.outbox.with_label_values(&["queued"]).set(stats.queued);
                self.outbox.with_label_values(&["sent"]).set(stats.sent);
                self.outbox.with_label_values(&["failed"]).set(stats.failed);
                self.outbox_oldest.set(stats.oldest_queued_seconds);
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: outbox figures unavailable");
                self.database_up.set(0);
            }
        }
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for the text format.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// GET /metrics, answered on the `METRICS_ADDR` listener only (404 on the public one).
pub async fn scrape(
    req: HttpRequest,
    metrics: web::Data<Metrics>,
    endpoint: web::Data<Endpoint>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    if endpoint.0 != Some(req.app_config().local_addr()) {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::Ok()
        .content_type(TextEncoder::new().format_type())
        .body(metrics.render(&db).await))
}

/// The metrics listener serves `/metrics` and nothing else: no pages, no sessions.
pub async fn metrics_listener_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let on_metrics_listener = req
        .app_data::<web::Data<Endpoint>>()
        .is_some_and(|endpoint| endpoint.0 == Some(req.app_config().local_addr()));
    if on_metrics_listener && req.path() != "/metrics" {
        return Err(AppError::NotFound.into());
    }
    next.call(req).await
}
