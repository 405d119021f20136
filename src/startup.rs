//! Builds the HTTP server from a `Config`: the same path for `serve` and for tests.

use std::net::TcpListener;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};

use crate::auth::csrf;
use crate::auth::session_store::{self, PgSessionStore};
use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;
use crate::mail::WorkerHandle;
use crate::metrics::{self, Metrics};
use crate::{nul_guard, request_log, routes};

pub struct Application {
    server: Server,
    port: u16,
    metrics_port: Option<u16>,
}

impl Application {
    /// The caller passes the public listener, so tests can use port 0; `METRICS_ADDR`,
    /// when set, is bound here (`metrics_port` tells the port it got).
    /// `mail` is the worker that handlers wake after enqueueing an email.
    pub fn build(
        config: Config,
        listener: TcpListener,
        db: Db,
        session_key: Key,
        mail: WorkerHandle,
    ) -> Result<Self, AppError> {
        let port = listener
            .local_addr()
            .map_err(|e| AppError::Internal(e.to_string()))?
            .port();
        let metrics_listener = config
            .metrics_addr
            .as_deref()
            .map(|addr| {
                TcpListener::bind(addr).map_err(|e| {
                    AppError::Internal(format!("cannot listen on {addr} (METRICS_ADDR): {e}"))
                })
            })
            .transpose()?;
        let metrics_addr = metrics_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let metrics_data = web::Data::new(Metrics::new());
        let endpoint_data = web::Data::new(metrics::Endpoint(metrics_addr));
        let https = config.is_https();
        if !https {
            tracing::info!("BASE_URL is http: session cookies are sent without the Secure flag");
        }
        let store = PgSessionStore::new(
            db.clone(),
            config.session_idle_timeout,
            config.session_lifetime,
        );
        let lifetime =
            actix_web::cookie::time::Duration::seconds(config.session_lifetime.as_secs() as i64);
        let hashing_data = web::Data::new(crate::auth::password::PasswordHashing::sized_to_cores(
            config.password_cost,
        ));
        let secrets_data = web::Data::new(
            crate::secrets_key::load_or_create(&config).map_err(AppError::Internal)?,
        );
        let queue_data = web::Data::new(crate::ops::usage_queue::UsageQueue::new(
            db.clone(),
            config.clock.clone(),
            config.limits.overdraft_micro,
        ));
        let config_data = web::Data::new(config);
        let db_data = web::Data::new(db);
        let mail_data = web::Data::new(mail);
        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(store.clone(), session_key.clone())
                .cookie_name(if https { "__Host-teamwork" } else { "teamwork" }.to_owned())
                .cookie_secure(https)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_path("/".to_owned())
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(lifetime)
                        .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            let mut headers = crate::security_headers::SECURITY_HEADERS
                .into_iter()
                .fold(DefaultHeaders::new(), DefaultHeaders::add);
            if https {
                headers = headers.add((
                    "Strict-Transport-Security",
                    "max-age=63072000; includeSubDomains",
                ));
            }
            App::new()
                .app_data(config_data.clone())
                .app_data(db_data.clone())
                .app_data(queue_data.clone())
                .app_data(mail_data.clone())
                .app_data(hashing_data.clone())
                .app_data(secrets_data.clone())
                .app_data(metrics_data.clone())
                .app_data(endpoint_data.clone())
                .app_data(
                    web::FormConfig::default()
                        .limit(64 * 1024)
                        .error_handler(|e, _| {
                            AppError::BadRequest(format!("The form could not be read: {e}")).into()
                        }),
                )
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()),
                )
                .app_data(web::QueryConfig::default().error_handler(|_, _| {
                    AppError::BadRequest("The address has a malformed query string.".into()).into()
                }))
                .wrap(from_fn(metrics::metrics_listener_only))
                .wrap(headers)
                .wrap(from_fn(nul_guard::refuse_nul_bytes))
                .wrap(from_fn(request_log::log_request))
                .route("/metrics", web::get().to(metrics::scrape))
                .route("/healthz", web::get().to(routes::health::healthz))
                .route("/readyz", web::get().to(routes::health::readyz))
                .route("/static/{file}", web::get().to(routes::assets::serve))
                .route("/favicon.ico", web::get().to(routes::assets::favicon))
                // The organization API (admin keys) and its document, then the project
                // keys' API: key-authenticated, outside the session and CSRF layers.
                .route(
                    "/api/v1/openapi.json",
                    web::get().to(routes::admin_api::openapi::openapi_json),
                )
                .service(
                    web::scope("/api/v1/organization")
                        .wrap(from_fn(routes::admin_api::rate_headers))
                        .configure(routes::admin_api::configure),
                )
                .service(web::scope("/api/v1").configure(routes::api::configure))
                // SCIM, for the organization's SCIM token only (R45).
                .service(web::scope("/scim/v2").configure(routes::scim::configure))
                .service(
                    web::scope("")
                        .wrap(from_fn(csrf::protect))
                        .wrap(sessions)
                        .wrap(from_fn(session_store::unavailable_on_store_error))
                        .configure(routes::configure)
                        .default_service(web::to(|| async {
                            Err::<actix_web::HttpResponse, _>(AppError::NotFound)
                        })),
                )
        })
        .listen(listener)
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let server = match metrics_listener {
            Some(listener) => server
                .listen(listener)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            None => server,
        };
        let server = server.shutdown_timeout(30).run();
        let metrics_port = metrics_addr.map(|addr| addr.port());
        Ok(Application {
            server,
            port,
            metrics_port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the `METRICS_ADDR` listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM: in-flight requests get up to 30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Every minute: reminders of project-only access that ends soon, and the end of access
/// whose last day is over ("Access until"). Every instance runs it; the job is safe with
/// several (see `ops::access_expiry`).
pub fn spawn_access_expiry(db: Db, base_url: String, clock: crate::clock::Clock) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let (base, now) = (base_url.clone(), clock.now());
            let pass = db
                .run(move |conn| crate::ops::access_expiry::run(conn, now, &base))
                .await;
            match pass {
                Ok(pass) if pass.expired + pass.reminded > 0 => {
                    tracing::info!(
                        pass.expired,
                        pass.reminded,
                        "access until: ended and reminded"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "access until job failed"),
            }
        }
    });
}

/// Every ten minutes: deletes expired sessions and old login failures, purges
/// organizations deleted longer ago than their restore window, redacts personal values
/// past their retention, verifies new activity entries, keeps the raw usage partitions
/// (created ahead, dropped after `usage_retention_days`); hourly, signs checkpoints.
pub fn spawn_maintenance(
    db: Db,
    audit_key: Option<ed25519_dalek::SigningKey>,
    base_url: String,
    usage_retention_days: u32,
) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(600));
        // Checkpoints hourly: every sixth pass, the first one at start.
        let mut pass: u64 = 0;
        loop {
            tick.tick().await;
            if let Some(key) = audit_key.clone().filter(|_| pass.is_multiple_of(6)) {
                let signed = db
                    .run(move |conn| crate::ops::audit::checkpoint(conn, &key, chrono::Utc::now()))
                    .await;
                if let Err(e) = signed {
                    tracing::warn!(error = %e, "activity checkpoint failed");
                }
            }
            pass += 1;
            let result = db
                .run(|conn| crate::ops::maintenance::purge_expired(conn, chrono::Utc::now()))
                .await;
            match result {
                Ok((sessions, failures)) => {
                    tracing::debug!(sessions, failures, "expired rows deleted")
                }
                Err(e) => tracing::warn!(error = %e, "maintenance failed"),
            }
            let purged = db.run(crate::ops::maintenance::purge_deleted_orgs).await;
            match purged {
                Ok(0) => {}
                Ok(orgs) => tracing::info!(orgs, "deleted organizations purged"),
                Err(e) => tracing::warn!(error = %e, "purging deleted organizations failed"),
            }
            let partitions = db
                .run(move |conn| {
                    crate::ops::maintenance::usage_partitions(
                        conn,
                        chrono::Utc::now(),
                        usage_retention_days,
                    )
                })
                .await;
            match partitions {
                Ok((0, 0)) => {}
                Ok((added, dropped)) => tracing::info!(added, dropped, "usage partitions"),
                Err(e) => tracing::warn!(error = %e, "usage partition upkeep failed"),
            }
            let redacted = db
                .run(|conn| crate::ops::maintenance::redact_personal(conn, chrono::Utc::now()))
                .await;
            match redacted {
                Ok(0) => {}
                Ok(entries) => tracing::info!(entries, "IP addresses and user agents redacted"),
                Err(e) => tracing::warn!(error = %e, "activity redaction failed"),
            }
            let base = base_url.clone();
            let verified = db
                .run(move |conn| {
                    crate::ops::audit::verify_incrementally(conn, chrono::Utc::now(), &base)
                })
                .await;
            match verified {
                Ok(broken) => {
                    for (org_id, at) in broken {
                        tracing::error!(%org_id, seq = at.seq, reason = at.reason,
                            expected = %at.expected, found = %at.found,
                            "activity log integrity check failed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "activity verification failed"),
            }
        }
    });
}

/// Every 15 seconds, mails the alerts whose minute of grouping is over
/// (`ops::alerts::flush_due`), then wakes the mail worker.
pub fn spawn_alert_mail(
    db: Db,
    clock: crate::clock::Clock,
    base_url: String,
    mail: crate::mail::WorkerHandle,
) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(15));
        loop {
            tick.tick().await;
            let (now, base) = (clock.now(), base_url.clone());
            match db
                .run(move |conn| crate::ops::alerts::flush_due(conn, now, &base))
                .await
            {
                Ok(0) => {}
                Ok(emails) => {
                    tracing::debug!(emails, "alert emails queued");
                    mail.wake();
                }
                Err(e) => tracing::warn!(error = %e, "alert emails failed"),
            }
        }
    });
}
