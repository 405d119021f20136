//! What operators see: logs without secrets (R35, T11) and Prometheus metrics.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::cookie::{Cookie, CookieJar};
use diesel::prelude::*;
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use crate::helpers::{TestApp, TestClient};
use crate::projects::{create_key, create_project};

/// Everything logged in this test process from the moment [`captured_logs`] is first called.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

/// Installs (once per process) a subscriber that keeps every line logged at debug level
/// and above by the app and the crates it serves with: what an operator would see with
/// `RUST_LOG=debug`. The HTTP client side of the tests is left out.
fn captured_logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = LogBuffer::default();
        let filter = tracing_subscriber::EnvFilter::new(
            "debug,reqwest=info,hyper=info,hyper_util=info,h2=info,cookie_store=info,rustls=info",
        );
        let subscriber = tracing_subscriber::registry().with(filter).with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(buffer.clone()),
        );
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test process");
        buffer
    })
}

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The session cookie's value in `client`'s jar, and the session key it carries inside
/// (the cookie is encrypted with the app's key).
fn session_secrets(app: &TestApp, client: &TestClient) -> Vec<String> {
    let url: reqwest::Url = app.address.parse().unwrap();
    let header = client.jar.cookies(&url).expect("a session cookie");
    let value = header
        .to_str()
        .unwrap()
        .split("; ")
        .find_map(|pair| pair.strip_prefix("teamwork="))
        .expect("the teamwork cookie")
        .to_owned();
    let decoded = Cookie::parse_encoded(format!("teamwork={value}"))
        .expect("a cookie")
        .into_owned();
    let mut jar = CookieJar::new();
    jar.add_original(decoded.clone());
    let inner = jar
        .private(&app.key)
        .get("teamwork")
        .expect("the cookie decrypts with the app's key")
        .value()
        .to_owned();
    vec![value, decoded.value().to_owned(), inner]
}

/// Every row of every table of the app's database, as JSON text.
fn database_dump(app: &TestApp) -> String {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    let mut conn = app.conn();
    let tables: Vec<String> = diesel::dsl::sql::<diesel::sql_types::Text>(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .load(&mut conn)
    .unwrap();
    assert!(tables.len() > 5, "{tables:?}");
    let mut dump = String::new();
    for table in tables {
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT row_to_json(t)::text AS dump FROM \"{table}\" t"
        ))
        .load(&mut conn)
        .unwrap();
        for row in rows {
            dump.push_str(&row.dump);
            dump.push('\n');
        }
    }
    dump
}

async fn wait_until_all_sent(app: &TestApp) {
    let started = Instant::now();
    loop {
        use teamwork::schema::outbox;
        let pending: i64 = outbox::table
            .filter(outbox::status.ne("sent"))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{pending} emails not sent"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn no_password_key_token_or_session_reaches_the_logs_or_the_database() {
    let logs = captured_logs();
    let app = TestApp::spawn().await;
    let password = "Known-Password-4471-Staple";
    let mut secrets: Vec<(&str, String)> = vec![("password", password.to_owned())];

    let sam = app.client();
    let signup = sam
        .sign_up_and_log_in("Sam Secret", "sam@example.com", password)
        .await;
    assert_eq!(signup.status(), StatusCode::SEE_OTHER);
    for value in session_secrets(&app, &sam) {
        secrets.push(("session", value));
    }
    // Confirmed, so that the organization gets the starting credits the usage needs.
    app.mark_confirmed("sam@example.com");
    let slug = sam.create_org("Secretive").await;
    let invited = sam
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "ivy@example.com"), ("role", "developer")],
        )
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    let join = app.join_path("ivy@example.com", 1).await;
    let token = join.strip_prefix("/invitations/").unwrap().to_owned();
    secrets.push(("join link", format!("{}{join}", app.address)));
    secrets.push(("invitation token", token.clone()));

    // Ivy opens the link, signs up through it, and so joins.
    let ivy = app.client();
    assert_eq!(ivy.get(&join).await.status(), StatusCode::OK);
    let ivy_password = "Ivy-Own-Password-9902";
    secrets.push(("password", ivy_password.to_owned()));
    let joined = ivy
        .post_form(
            &format!("{join}/signup"),
            &[("name", "Ivy Invited"), ("password", ivy_password)],
        )
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER, "join by signing up");
    for value in session_secrets(&app, &ivy) {
        secrets.push(("session", value));
    }

    let project = create_project(&sam, &slug, "Website").await;
    let key = create_key(&sam, &project, "production").await;
    secrets.push(("API key", key.clone()));
    let reported = reqwest::Client::new()
        .post(format!("{}/api/v1/usage", app.address))
        .bearer_auth(&key)
        .json(&json!({ "model": "m", "requests": 1, "input_tokens": 10, "output_tokens": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), StatusCode::CREATED);
    // A failed login with another account's password is logged as a failure, without it.
    let stranger = app.client();
    let wrong = stranger.login("sam@example.com", ivy_password).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let logout = sam.post_form("/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    wait_until_all_sent(&app).await;

    let log = logs.text();
    let dump = database_dump(&app);
    let mut hits = Vec::new();
    for (what, secret) in &secrets {
        if log.contains(secret.as_str()) {
            hits.push(format!("{what} in the logs"));
        }
        if dump.contains(secret.as_str()) {
            hits.push(format!("{what} in the database"));
        }
    }
    // With SMTP configured, join links are never logged, not even as a path.
    let join_links_logged = log.matches("/invitations/inv_").count();
    let request_lines = log.matches("route=/invitations/{token}").count();
    println!(
        "secrets: minted={} log_bytes={} database_bytes={} hits={} join_links_logged={join_links_logged}",
        secrets.len(),
        log.len(),
        dump.len(),
        hits.len()
    );
    assert!(
        request_lines >= 1,
        "the capture sees the app's request lines"
    );
    assert!(log.contains("login failed"), "auth failures are logged");
    assert!(hits.is_empty(), "{hits:?}");
    assert_eq!(join_links_logged, 0);
}

/// The value of the sample `name{labels}` in a scrape, when present.
fn sample(scrape: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
        let matches = metric == name
            && labels
                .iter()
                .all(|(key, value)| rest.contains(&format!("{key}=\"{value}\"")));
        matches.then(|| value.parse().ok()).flatten()
    })
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_on_their_own_listener() {
    let app = TestApp::spawn_with(|config| config.metrics_addr = Some("127.0.0.1:0".into())).await;
    let metrics_url = format!(
        "http://127.0.0.1:{}/metrics",
        app.metrics_port.expect("a metrics listener")
    );
    let scrape = || async {
        reqwest::get(&metrics_url)
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let first = scrape().await;
    assert!(first.contains("teamwork_http_requests_total") || first.contains("teamwork_db_pool"));

    let (admin, slug) = app.admin_with_org("Acme").await;
    for _ in 0..3 {
        assert_eq!(
            admin.get(&format!("/orgs/{slug}/members")).await.status(),
            StatusCode::OK
        );
    }
    let invited = admin
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", "metric@example.com"), ("role", "viewer")],
        )
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    app.smtp
        .wait_for("metric@example.com", Duration::from_secs(10))
        .await;
    wait_until_all_sent(&app).await;
    // The login throttle: wrong passwords until it refuses.
    let intruder = app.client();
    let mut refused = 0;
    for _ in 0..12 {
        let response = intruder
            .login("ada.admin@example.com", "not the password")
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert!(refused >= 1, "the throttle refused");
    // The public listener has no /metrics; the metrics listener has nothing else.
    assert_eq!(
        app.client().get("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );
    let page_on_metrics = reqwest::get(metrics_url.replace("/metrics", "/login"))
        .await
        .unwrap();
    assert_eq!(page_on_metrics.status(), StatusCode::NOT_FOUND);
    assert!(page_on_metrics.headers().get("set-cookie").is_none());

    // Made-up methods cannot mint label values.
    for n in 0..3 {
        let method = reqwest::Method::from_bytes(format!("BREW{n}").as_bytes()).unwrap();
        let response = admin
            .http
            .request(method, admin.url("/login"))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error());
    }

    let text = scrape().await;
    let members = [
        ("method", "GET"),
        ("route", "/orgs/{org}/members"),
        ("status", "200"),
    ];
    let requests = sample(&text, "teamwork_http_requests_total", &members);
    let latency_count = sample(
        &text,
        "teamwork_http_request_duration_seconds_count",
        &members,
    );
    let bucket = sample(
        &text,
        "teamwork_http_request_duration_seconds_bucket",
        &[("route", "/orgs/{org}/members"), ("le", "+Inf")],
    );
    let throttled = sample(&text, "teamwork_rate_limited_total", &[("route", "/login")]);
    let in_use = sample(
        &text,
        "teamwork_db_pool_connections",
        &[("state", "in_use")],
    );
    let idle = sample(&text, "teamwork_db_pool_connections", &[("state", "idle")]);
    let sent = sample(&text, "teamwork_outbox_emails", &[("status", "sent")]);
    let queued = sample(&text, "teamwork_outbox_emails", &[("status", "queued")]);
    let failed = sample(&text, "teamwork_outbox_emails", &[("status", "failed")]);
    let oldest = sample(&text, "teamwork_outbox_oldest_queued_seconds", &[]);
    let up = sample(&text, "teamwork_database_up", &[]);
    println!(
        "metrics: members_page_requests={requests:?} latency_count={latency_count:?} \
         rate_limited_login={throttled:?} pool_in_use={in_use:?} pool_idle={idle:?} \
         outbox_sent={sent:?} queued={queued:?} failed={failed:?} oldest={oldest:?} \
         scrape_bytes={}",
        text.len()
    );
    assert_eq!(requests, Some(3.0), "{text}");
    assert_eq!(latency_count, Some(3.0));
    assert_eq!(bucket, Some(3.0));
    assert_eq!(throttled, Some(refused as f64));
    assert_eq!(
        sample(
            &text,
            "teamwork_http_requests_total",
            &[("route", "/login"), ("status", "429")]
        ),
        Some(refused as f64)
    );
    assert!(in_use.is_some() && idle.unwrap_or(0.0) >= 1.0);
    assert!(
        sent.unwrap_or(0.0) >= 2.0,
        "the confirmation and the invitation"
    );
    assert_eq!(
        (queued, failed, oldest, up),
        (Some(0.0), Some(0.0), Some(0.0), Some(1.0))
    );
    assert!(
        !text.contains(&slug),
        "route patterns only, never raw paths"
    );
    let scrapes = sample(
        &scrape().await,
        "teamwork_http_requests_total",
        &[("route", "/metrics")],
    );
    assert!(scrapes.unwrap_or(0.0) >= 2.0);
}
