//! Reliability under failure (R36, R37): Postgres outage and restart, the app started with
//! the database down, an SMTP outage, two instances on one database. Each test prints its
//! figures; shutdown is in `shutdown.rs`.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::db::MIGRATIONS;
use teamwork::dev_postgres::{ClusterOptions, PostgresCluster};
use teamwork::domain::Role;
use teamwork::schema::outbox;

use crate::helpers::{Instance, TestApp, TestClient};
use crate::smtp::{Mode, ReceivedMail, TestSmtp};

const PASSWORD: &str = "correct horse battery";

/// A Postgres cluster of one test, under the system temp dir (reachable by the `postgres`
/// user), never the shared one. Dropping it stops the server and removes the folder.
struct OwnCluster {
    dir: PathBuf,
    cluster: Option<PostgresCluster>,
}

impl OwnCluster {
    /// A folder for a cluster that is not started yet.
    fn new(name: &str) -> OwnCluster {
        let dir = std::env::temp_dir().join(format!(
            "teamwork-{name}-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        OwnCluster {
            dir: dir.canonicalize().unwrap(),
            cluster: None,
        }
    }

    /// The URL of database `teamwork`, valid whether or not the server runs.
    fn url(&self) -> String {
        format!("postgres://postgres@/teamwork?host={}", self.dir.display())
    }

    /// Starts the server on the folder (its data kept from an earlier start), off the
    /// async threads.
    async fn start(&mut self) {
        let dir = self.dir.clone();
        let cluster = actix_web::rt::task::spawn_blocking(move || {
            // Fast shutdown checkpoints, so fsync does not matter to what survives a stop.
            PostgresCluster::start(&dir, ClusterOptions { durable: false })
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot start the test's own Postgres: {e}"));
        self.cluster = Some(cluster);
    }

    /// Stops the server (fast shutdown: every connection is cut) and waits for it.
    async fn stop(&mut self) {
        let cluster = self.cluster.take().expect("running");
        actix_web::rt::task::spawn_blocking(move || cluster.stop())
            .await
            .unwrap();
    }

    /// Creates and migrates the `teamwork` database.
    fn create_database(&self) {
        let admin_url = format!("postgres://postgres@/postgres?host={}", self.dir.display());
        let mut admin = PgConnection::establish(&admin_url).expect("connect to own cluster");
        diesel::sql_query("CREATE DATABASE teamwork")
            .execute(&mut admin)
            .unwrap();
        let mut conn = PgConnection::establish(&self.url()).unwrap();
        use diesel_migrations::MigrationHarness;
        conn.run_pending_migrations(MIGRATIONS).unwrap();
    }

    fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url()).expect("connect to own cluster")
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        drop(self.cluster.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// GET of a page that needs the database (members list).
    Page,
    /// GET /readyz.
    Ready,
    /// POST of a form that writes a row (create a project).
    Write,
}

#[derive(Debug, Clone)]
struct Sample {
    kind: Kind,
    start: Instant,
    end: Instant,
    /// 0 when no answer came (connection error or the client's 10 s timeout).
    status: u16,
    /// A failure that said nothing about the inside (no SQL, socket, pool or stack).
    generic: bool,
    /// For an acknowledged write: the project name.
    written: Option<String>,
}

impl Sample {
    fn ok(&self) -> bool {
        matches!(self.status, 200 | 303)
    }
}

/// Nothing of the inside: the error page (or the probe's one line) only.
fn is_generic(content_type: &str, body: &str, secrets: &[&str]) -> bool {
    let lower = body.to_lowercase();
    let leaks = [
        "sql",
        "diesel",
        "r2d2",
        "socket",
        "pool",
        "panicked",
        "connection",
    ];
    let page = if content_type.starts_with("text/html") {
        body.contains("Temporarily unavailable")
    } else {
        body == "database unavailable"
    };
    page && !leaks.iter().any(|word| lower.contains(word))
        && !secrets.iter().any(|secret| body.contains(secret))
}

/// One signed-in person creating projects in their organization.
struct LoadClient {
    client: TestClient,
    slug: String,
    csrf: String,
}

async fn one_request(load: &LoadClient, kind: Kind, n: usize, id: usize, dir: &str) -> Sample {
    let start = Instant::now();
    let timeout = Duration::from_secs(10);
    let http = &load.client.http;
    let name = format!("Load {id}-{n}");
    let request = match kind {
        Kind::Page => http.get(load.client.url(&format!("/orgs/{}/members", load.slug))),
        Kind::Ready => http.get(load.client.url("/readyz")),
        Kind::Write => http
            .post(load.client.url(&format!("/orgs/{}/projects", load.slug)))
            .form(&[("name", name.as_str()), ("_csrf", load.csrf.as_str())]),
    };
    let (status, generic) = match request.timeout(timeout).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let body = response.text().await.unwrap_or_default();
            (status, is_generic(&content_type, &body, &[dir]))
        }
        Err(_) => (0, false),
    };
    Sample {
        kind,
        start,
        end: Instant::now(),
        status,
        generic,
        written: (kind == Kind::Write && status == 303).then_some(name),
    }
}

/// Signs up `name` on `address` and gives them an organization.
async fn load_client(address: &str, name: &str) -> LoadClient {
    let client = TestClient::new(address);
    let email = format!("{}@example.com", name.to_lowercase());
    let signup = client.sign_up_and_log_in(name, &email, PASSWORD).await;
    assert_eq!(signup.status(), StatusCode::SEE_OTHER, "signup of {name}");
    let slug = client.create_org(&format!("{name} Org")).await;
    let csrf = client.csrf().await;
    LoadClient { client, slug, csrf }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[actix_web::test]
async fn a_postgres_outage_fails_fast_and_closed_and_the_app_recovers_by_itself() {
    const CLIENTS: usize = 8;
    let mut pg = OwnCluster::new("outage");
    pg.start().await;
    pg.create_database();
    let smtp = TestSmtp::start();
    let app = Instance::start(&pg.url(), actix_web::cookie::Key::generate(), &smtp.url()).await;
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        clients.push(Arc::new(
            load_client(&app.address, &format!("Load{n}")).await,
        ));
    }

    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let dir = pg.dir.display().to_string();
    let mut tasks = Vec::new();
    for (id, load) in clients.iter().enumerate() {
        let (load, samples, stop, dir) = (load.clone(), samples.clone(), stop.clone(), dir.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let kinds = [Kind::Page, Kind::Ready, Kind::Write];
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let sample = one_request(&load, kinds[(n + id) % 3], n, id, &dir).await;
                samples.lock().unwrap().push(sample);
                n += 1;
                // A steady load, not a flood: the rest of the suite shares the two cores.
                actix_web::rt::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }

    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    let down_begins = Instant::now();
    pg.stop().await;
    let down_at = Instant::now();
    actix_web::rt::time::sleep(Duration::from_secs(12)).await;
    let up_begins = Instant::now();
    pg.start().await;
    let up_at = Instant::now();
    // Load goes on until every request has succeeded for 2 s (15 s at most).
    loop {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        let last_failure = samples
            .lock()
            .unwrap()
            .iter()
            .filter(|s| !s.ok())
            .map(|s| s.end)
            .max()
            .unwrap_or(up_at)
            .max(up_at);
        if last_failure.elapsed() > Duration::from_secs(2)
            || up_at.elapsed() > Duration::from_secs(15)
        {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    let samples = samples.lock().unwrap().clone();

    let before: Vec<&Sample> = samples.iter().filter(|s| s.end < down_begins).collect();
    let during: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.start >= down_at && s.end <= up_begins)
        .collect();
    let failures: Vec<&Sample> = samples.iter().filter(|s| !s.ok()).collect();
    let mut failure_latencies: Vec<Duration> = failures.iter().map(|s| s.end - s.start).collect();
    failure_latencies.sort();
    let max_failure = failure_latencies.last().copied().unwrap_or_default();
    // Back: the first success after the database is up, with no failure after it.
    let last_failure = failures.iter().map(|s| s.end).max().unwrap_or(up_at);
    let recovered_at = samples
        .iter()
        .filter(|s| s.ok() && s.end > up_at && s.end >= last_failure)
        .map(|s| s.end)
        .min()
        .expect("a success after the outage");
    let recovery = recovered_at - up_at;
    let share_503 = during.iter().filter(|s| s.status == 503).count() as f64
        / during.len().max(1) as f64
        * 100.0;
    let during_kinds: HashSet<Kind> = during.iter().map(|s| s.kind).collect();
    let acknowledged: Vec<String> = samples.iter().filter_map(|s| s.written.clone()).collect();

    // Every acknowledged write is there, each with its activity entry (no half writes).
    let names: Vec<String> = teamwork::schema::projects::table
        .select(teamwork::schema::projects::name)
        .load(&mut pg.conn())
        .unwrap();
    let names: HashSet<String> = names.into_iter().collect();
    let lost = acknowledged.iter().filter(|n| !names.contains(*n)).count();
    let audited: i64 = teamwork::schema::activity::table
        .filter(teamwork::schema::activity::action.eq("project.created"))
        .count()
        .get_result(&mut pg.conn())
        .unwrap();
    println!(
        "postgres outage: requests={} before={} during_outage={} share_503={share_503:.1}% \
         failures={} max_failure_latency={max_failure:?} p99_failure_latency={:?} \
         recovery={recovery:?} acknowledged_writes={} lost_writes={lost} projects={} audited={audited}",
        samples.len(),
        before.len(),
        during.len(),
        failures.len(),
        percentile(&failure_latencies, 0.99),
        acknowledged.len(),
        names.len(),
    );

    assert!(before.iter().all(|s| s.ok()), "all good before the outage");
    assert!(
        during.len() >= CLIENTS * 2,
        "{} requests during the outage",
        during.len()
    );
    assert_eq!(
        during_kinds.len(),
        3,
        "pages, probes and writes during the outage"
    );
    assert_eq!(share_503, 100.0, "every request during the outage is a 503");
    for failure in &failures {
        assert_eq!(failure.status, 503, "a failure other than 503: {failure:?}");
        assert!(failure.generic, "a failure with details: {failure:?}");
    }
    assert!(max_failure <= Duration::from_secs(4), "{max_failure:?}");
    assert!(recovery <= Duration::from_secs(10), "{recovery:?}");
    let after: Vec<&Sample> = samples.iter().filter(|s| s.start > last_failure).collect();
    for kind in [Kind::Page, Kind::Ready, Kind::Write] {
        assert!(
            after.iter().any(|s| s.kind == kind && s.ok()),
            "{kind:?} works again"
        );
    }
    assert!(!acknowledged.is_empty());
    assert_eq!(lost, 0, "acknowledged writes lost");
    assert_eq!(
        audited as usize,
        names.len(),
        "each project has its activity entry"
    );
    app.server.stop(true).await;
    app.mail.stop().await;
}

#[actix_web::test]
async fn the_app_starts_with_the_database_down_and_serves_once_it_comes_up() {
    let mut pg = OwnCluster::new("late");
    let smtp = TestSmtp::start();
    // Nothing listens yet: the build must not connect.
    let app = Instance::start(&pg.url(), actix_web::cookie::Key::generate(), &smtp.url()).await;
    let client = app.client();
    assert_eq!(client.get("/healthz").await.status(), StatusCode::OK);
    for path in ["/readyz", "/login"] {
        let started = Instant::now();
        let response = client.get(path).await;
        let took = started.elapsed();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.text().await.unwrap();
        let dir = pg.dir.display().to_string();
        assert!(is_generic(&content_type, &body, &[&dir]), "{path}: {body}");
        assert!(took <= Duration::from_secs(4), "{path} took {took:?}");
    }

    pg.start().await;
    pg.create_database();
    let up_at = Instant::now();
    loop {
        let ready = client.get("/readyz").await.status() == StatusCode::OK;
        if ready && client.get("/login").await.status() == StatusCode::OK {
            break;
        }
        assert!(
            up_at.elapsed() < Duration::from_secs(10),
            "not serving 10 s after the database came up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let recovery = up_at.elapsed();
    let signup = client
        .sign_up_and_log_in("Late", "late@example.com", PASSWORD)
        .await;
    assert_eq!(signup.status(), StatusCode::SEE_OTHER);
    println!("database down at start: serving {recovery:?} after it came up, no restart");
    app.server.stop(true).await;
    app.mail.stop().await;
}

async fn invite(client: &TestClient, slug: &str, emails: &[String]) -> (StatusCode, Duration) {
    let started = Instant::now();
    let response = client
        .post_form(
            &format!("/orgs/{slug}/invitations"),
            &[("emails", &emails.join("\n")), ("role", "developer")],
        )
        .await;
    (response.status(), started.elapsed())
}

fn addresses(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| format!("{prefix}{n}@example.com")).collect()
}

/// Waits until `n` delivered messages match `wanted`, and returns them.
pub(crate) async fn wait_for_mails(
    smtp: &TestSmtp,
    wanted: impl Fn(&ReceivedMail) -> bool,
    n: usize,
    timeout: Duration,
) -> Vec<ReceivedMail> {
    let started = Instant::now();
    loop {
        let found: Vec<ReceivedMail> = smtp.messages().into_iter().filter(&wanted).collect();
        if found.len() >= n {
            return found;
        }
        assert!(
            started.elapsed() < timeout,
            "{} of {n} mails within {timeout:?}",
            found.len()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn to_prefix(prefix: &'static str) -> impl Fn(&ReceivedMail) -> bool {
    move |mail| mail.to.iter().any(|to| to.starts_with(prefix))
}

#[actix_web::test]
async fn invitations_during_an_smtp_outage_answer_as_usual_and_are_all_delivered_once() {
    let app = TestApp::spawn().await;
    // The usual latency: 50 invitations by someone else while the mail server is up.
    let usual = app.signed_up("Bea Baseline").await;
    let usual_slug = usual.create_org("Baseline").await;
    app.unlimited_seats(&usual_slug);
    let (status, baseline) = invite(&usual, &usual_slug, &addresses("base", 0..50)).await;
    assert_eq!(status, StatusCode::OK);
    wait_for_mails(&app.smtp, to_prefix("base"), 50, Duration::from_secs(20)).await;

    app.smtp.set_mode(Mode::Down);
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    let mut latencies = Vec::new();
    for batch in [0..50, 50..100] {
        let (status, took) = invite(&admin, &slug, &addresses("guest", batch)).await;
        assert_eq!(status, StatusCode::OK);
        latencies.push(took);
    }
    let connections_while_down = app.smtp.connections();
    // Let the worker fail a few rounds against the dead server.
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    let refused = app.smtp.connections() - connections_while_down;
    let queued_in_outage: i64 = outbox::table
        .filter(outbox::kind.eq("invitation"))
        .filter(outbox::status.eq_any(["queued", "sending"]))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    let mid_outage_delivered = app
        .smtp
        .messages()
        .into_iter()
        .filter(to_prefix("guest"))
        .count();
    app.smtp.set_mode(Mode::Accept);
    let back = Instant::now();
    wait_for_mails(&app.smtp, to_prefix("guest"), 100, Duration::from_secs(30)).await;
    let drained = back.elapsed();
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;

    let guests: Vec<ReceivedMail> = app
        .smtp
        .messages()
        .into_iter()
        .filter(to_prefix("guest"))
        .collect();
    let ids: HashSet<&str> = guests.iter().map(|m| m.message_id.as_str()).collect();
    let recipients: HashSet<&str> = guests
        .iter()
        .flat_map(|m| m.to.iter().map(String::as_str))
        .collect();
    let sent: i64 = outbox::table
        .filter(outbox::kind.eq("invitation"))
        .filter(outbox::status.eq("sent"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    let slowest = latencies.iter().max().copied().unwrap();
    println!(
        "smtp outage: invited=100 invite_latency={latencies:?} usual_latency={baseline:?} \
         queued_during_outage={queued_in_outage} refused_connections={refused} \
         delivered_during_outage={mid_outage_delivered} delivered_after={} lost={} duplicates={} \
         drained_in={drained:?}",
        guests.len(),
        100 - recipients.len(),
        guests.len() - ids.len(),
    );
    assert_eq!(queued_in_outage, 100);
    assert_eq!(mid_outage_delivered, 0);
    assert!(refused > 0, "the worker kept trying");
    assert_eq!(guests.len(), 100, "delivered exactly once each");
    assert_eq!(ids.len(), 100, "distinct Message-IDs");
    assert_eq!(recipients.len(), 100, "every address");
    assert_eq!(sent, 150);
    // Requests never wait for SMTP: as fast as with the server up (slack for a busy machine).
    assert!(
        slowest <= baseline * 4 + Duration::from_secs(1),
        "{slowest:?} against {baseline:?}"
    );
}

#[actix_web::test]
async fn two_instances_share_sessions_memberships_and_the_outbox() {
    let app = TestApp::spawn().await;
    let b = app.second_instance().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    let members = format!("/orgs/{slug}/members");

    // A session made on A is valid on B, and one made on B on A.
    let admin_on_b = admin.on(&b.address);
    assert_eq!(admin_on_b.get(&members).await.status(), StatusCode::OK);
    let bob = b.client();
    let signup = bob
        .sign_up_and_log_in("Bob", "bob@example.com", PASSWORD)
        .await;
    assert_eq!(signup.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        bob.on(&app.address).get("/orgs/new").await.status(),
        StatusCode::OK
    );

    // A role change made through B governs the next request on A, and back.
    let dev = app.member_with_role(&slug, "Dev", Role::Developer).await;
    let dev_on_b = dev.on(&b.address);
    let projects = format!("/orgs/{slug}/projects");
    let created = dev_on_b.post_form(&projects, &[("name", "Before")]).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let dev_id = app.user_id("dev@example.com");
    let demote = admin_on_b
        .post_form(&format!("{members}/{dev_id}/role"), &[("role", "viewer")])
        .await;
    assert!(demote.status().is_success() || demote.status().is_redirection());
    let refused = dev.post_form(&projects, &[("name", "After")]).await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "A sees B's change at once"
    );
    let promote = admin
        .post_form(
            &format!("{members}/{dev_id}/role"),
            &[("role", "developer")],
        )
        .await;
    assert!(promote.status().is_success() || promote.status().is_redirection());
    let allowed = dev_on_b.post_form(&projects, &[("name", "Again")]).await;
    assert_eq!(
        allowed.status(),
        StatusCode::SEE_OTHER,
        "B sees A's change at once"
    );
    let removed = admin
        .post_form(&format!("{members}/{dev_id}/remove"), &[])
        .await;
    assert!(removed.status().is_success() || removed.status().is_redirection());
    assert_eq!(dev_on_b.get(&members).await.status(), StatusCode::NOT_FOUND);

    // Invitations through both; both workers send; each email goes out once.
    let (status, _) = invite(&admin, &slug, &addresses("a", 0..50)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = invite(&admin_on_b, &slug, &addresses("b", 0..50)).await;
    assert_eq!(status, StatusCode::OK);
    let expected = 100;
    let started = Instant::now();
    loop {
        let sent: i64 = outbox::table
            .filter(outbox::status.eq("sent"))
            .filter(outbox::kind.eq("invitation"))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        if sent == expected {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{sent} of {expected} sent"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let invitations: Vec<_> = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.subject.contains("invited you"))
        .collect();
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for mail in &invitations {
        *per_id.entry(mail.message_id.as_str()).or_default() += 1;
    }
    let (on_a, on_b) = (app.mail.stats(), b.mail.stats());
    println!(
        "two instances: session_shared=yes role_change_seen_next_request=yes invitations=100 \
         delivered={} distinct={} sent_by_a={} sent_by_b={} duplicates={}",
        invitations.len(),
        per_id.len(),
        on_a.sent,
        on_b.sent,
        invitations.len() - per_id.len()
    );
    assert_eq!(per_id.len(), 100);
    assert!(per_id.values().all(|&n| n == 1), "each email once");
    b.server.stop(true).await;
    b.mail.stop().await;
}
