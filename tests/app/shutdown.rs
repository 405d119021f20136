//! Stopping (R38, T13): a graceful stop with requests in flight and the mail worker
//! mid-batch, and SIGTERM to the built binary with its embedded Postgres. Each test prints
//! its figures.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::StatusCode;
use teamwork::db::Db;
use teamwork::mail::{Transport, worker};
use teamwork::schema::outbox;

use crate::helpers::{TestApp, TestClient, extract_csrf, test_worker_options};
use crate::reliability::wait_for_mails;
use crate::smtp::{Mode, ReceivedMail};

/// Holds the organization row lock from another connection until told to let go.
fn hold_org_lock(
    app: &TestApp,
    org_id: uuid::Uuid,
) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let mut conn = app.conn();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        conn.transaction(|c| {
            diesel::sql_query("SELECT id FROM organizations WHERE id = $1 FOR UPDATE")
                .bind::<diesel::sql_types::Uuid, _>(org_id)
                .execute(c)?;
            locked_tx.send(()).unwrap();
            let _ = release_rx.recv();
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    });
    locked_rx.recv().unwrap();
    (release_tx, holder)
}

#[actix_web::test]
async fn a_graceful_stop_finishes_requests_in_flight_and_loses_no_claimed_email() {
    const RENAMES: usize = 10;
    const INVITES: usize = 10;
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    app.unlimited_seats(&slug);
    let csrf = admin.csrf().await;
    // Emails wait in the outbox until the mail server is back.
    app.smtp.set_mode(Mode::Down);
    let (release, holder) = hold_org_lock(&app, app.org_id(&slug));

    let mut in_flight = Vec::new();
    for n in 0..RENAMES + INVITES {
        let (http, base, slug, csrf) = (
            admin.http.clone(),
            app.address.clone(),
            slug.clone(),
            csrf.clone(),
        );
        in_flight.push(actix_web::rt::spawn(async move {
            let (path, fields) = if n < RENAMES {
                (
                    format!("/orgs/{slug}/settings"),
                    vec![("name".to_owned(), format!("Acme {n}"))],
                )
            } else {
                let emails = format!("x{n}@example.com\ny{n}@example.com");
                (
                    format!("/orgs/{slug}/invitations"),
                    vec![
                        ("emails".to_owned(), emails),
                        ("role".to_owned(), "viewer".to_owned()),
                    ],
                )
            };
            let mut body = fields;
            body.push(("_csrf".to_owned(), csrf));
            let response = http.post(format!("{base}{path}")).form(&body).send().await;
            response.map(|r| r.status()).map_err(|e| e.to_string())
        }));
    }
    // Wait until the first of them waits for the lock: all are in flight by then.
    let started = Instant::now();
    loop {
        let waiting: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result::<Count>(&mut app.conn())
        .unwrap()
        .n;
        if waiting >= 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no request waits for the lock"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;

    // SIGTERM does this: stop accepting, let what is in flight finish.
    let stop_called = Instant::now();
    let server = app.server.clone();
    let stopped = actix_web::rt::spawn(async move { server.stop(true).await });
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let refused = reqwest::Client::new()
        .get(format!("{}/healthz", app.address))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "new connections are refused once stopping"
    );
    release.send(()).unwrap();
    holder.join().unwrap();

    let mut statuses = Vec::new();
    for request in in_flight {
        statuses.push(request.await.unwrap());
    }
    stopped.await.unwrap();
    let stop_took = stop_called.elapsed();
    let completed = statuses
        .iter()
        .filter(|s| matches!(s, Ok(s) if s.is_success() || s.is_redirection()))
        .count();

    // Then what `serve` does after the server: stop the worker while it is mid-batch.
    let invited = |mail: &ReceivedMail| mail.subject.contains("invited you");
    app.smtp.set_mode(Mode::Accept);
    wait_for_mails(&app.smtp, invited, 1, Duration::from_secs(10)).await;
    app.mail.stop().await;
    let rows: Vec<(String, i32)> = outbox::table
        .filter(outbox::kind.eq("invitation"))
        .select((outbox::status, outbox::attempts))
        .load(&mut app.conn())
        .unwrap();
    let sent_before_stop = rows.iter().filter(|(s, _)| s == "sent").count();
    let given_back = rows.iter().filter(|(s, _)| s == "queued").count();
    let leased = rows.iter().filter(|(s, _)| s == "sending").count();
    let delivered_before_stop = app.smtp.messages().into_iter().filter(invited).count();

    // The next instance's worker sends the rest, once.
    let next = worker::spawn(
        Db::new(&app.database_url(), 2),
        Transport::smtp(&app.smtp.url()).unwrap(),
        test_worker_options(),
    );
    let expected = INVITES * 2;
    let messages = wait_for_mails(&app.smtp, invited, expected, Duration::from_secs(20)).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    next.stop().await;
    let messages_now: Vec<ReceivedMail> = app.smtp.messages().into_iter().filter(invited).collect();
    let ids: HashSet<&str> = messages_now.iter().map(|m| m.message_id.as_str()).collect();
    let renames: i64 = teamwork::schema::activity::table
        .filter(teamwork::schema::activity::action.eq("organization.renamed"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    println!(
        "graceful stop: in_flight={} completed={completed} stop_took={stop_took:?} \
         emails={expected} sent_before_worker_stop={sent_before_stop} given_back={given_back} \
         left_leased={leased} delivered_in_the_end={} duplicates={}",
        RENAMES + INVITES,
        messages_now.len(),
        messages_now.len() - ids.len()
    );
    assert_eq!(completed, RENAMES + INVITES, "{statuses:?}");
    assert_eq!(renames as usize, RENAMES, "every rename committed");
    assert_eq!(rows.len(), expected);
    assert_eq!(leased, 0, "no email left claimed");
    assert_eq!(sent_before_stop + given_back, expected);
    assert_eq!(
        delivered_before_stop, sent_before_stop,
        "every delivery recorded"
    );
    assert!(messages.len() >= expected);
    assert_eq!(messages_now.len(), expected, "nothing sent twice");
    assert_eq!(ids.len(), expected);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Pids of processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            pids.push(pid);
        }
    }
    pids
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The built binary, serving on the embedded Postgres in a temp `DATA_DIR`.
struct Binary {
    child: std::process::Child,
    data_dir: PathBuf,
    address: String,
    stdout: Arc<Mutex<String>>,
}

impl Binary {
    fn start(extra_env: &[(&str, &str)]) -> Binary {
        let data_dir = std::env::temp_dir().join(format!(
            "teamwork-bin-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        std::fs::create_dir_all(&data_dir).unwrap();
        let port = free_port();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_teamwork"));
        // No .env of the checkout, no settings of the environment running the tests.
        command.current_dir(&data_dir);
        for var in [
            "DATABASE_URL",
            "SMTP_URL",
            "SESSION_KEY",
            "BASE_URL",
            "APP_ENV",
            "METRICS_ADDR",
            "LOG_FORMAT",
            "RUST_LOG",
        ] {
            command.env_remove(var);
        }
        command
            .env("DATA_DIR", &data_dir)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .envs(extra_env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("run the teamwork binary");
        let stdout = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let sink = stdout.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                {
                    let mut all = sink.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        Binary {
            child,
            data_dir,
            address: format!("http://127.0.0.1:{port}"),
            stdout,
        }
    }

    async fn wait_until_healthy(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(response) = reqwest::get(format!("{}/healthz", self.address)).await
                && response.status() == StatusCode::OK
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("teamwork exited ({status}):\n{}", self.output());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not healthy within 60 s:\n{}",
                self.output()
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn output(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn pg_data(&self) -> String {
        self.data_dir
            .join("postgres")
            .join("data")
            .display()
            .to_string()
    }

    async fn sigterm_and_wait(&mut self) -> (std::process::ExitStatus, Duration) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let sent = Instant::now();
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, sent.elapsed());
            }
            assert!(
                sent.elapsed() < Duration::from_secs(40),
                "still running 40 s after SIGTERM"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

#[actix_web::test]
async fn sigterm_stops_the_binary_cleanly_and_its_embedded_postgres_with_it() {
    let mut app = Binary::start(&[("LOG_FORMAT", "json")]);
    app.wait_until_healthy().await;
    let client = TestClient::new(&app.address);
    assert_eq!(client.get("/readyz").await.status(), StatusCode::OK);
    let login = client.get_text("/login").await;
    let csrf = extract_csrf(&login).unwrap();
    let failed = client
        .http
        .post(client.url("/login"))
        .form(&[
            ("email", "nobody@example.com"),
            ("password", "not the password"),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let data = app.pg_data();
    let postgres_before = processes_mentioning(&data);
    assert!(!postgres_before.is_empty(), "the embedded Postgres runs");

    let (status, took) = app.sigterm_and_wait().await;
    let postgres_after = processes_mentioning(&data);
    let output = app.output();
    let pg_log = std::fs::read_to_string(Path::new(&app.data_dir).join("postgres/postgres.log"))
        .unwrap_or_default();
    println!(
        "sigterm: exit={status} took={took:?} postgres_before={} postgres_after={}",
        postgres_before.len(),
        postgres_after.len()
    );
    assert!(status.success(), "exit status {status}:\n{output}");
    assert!(
        postgres_after.is_empty(),
        "left running: {postgres_after:?}"
    );
    assert!(pg_log.contains("database system is shut down"), "{pg_log}");

    // LOG_FORMAT=json: every line is a JSON object; the lines of a request carry its id.
    let lines: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let request_id = |line: &serde_json::Value| line["span"]["id"].as_str().map(str::to_owned);
    let requests: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "request")
        .collect();
    assert!(requests.len() >= 3, "{output}");
    assert!(requests.iter().all(|l| request_id(l).is_some()), "{output}");
    let failure = lines
        .iter()
        .find(|l| l["fields"]["message"] == "login failed")
        .expect("the failed login is logged");
    let failure_id = request_id(failure).expect("the failure line carries the request id");
    assert!(
        requests
            .iter()
            .any(|l| request_id(l).as_deref() == Some(failure_id.as_str())
                && l["fields"]["route"] == "/login"),
        "the failure and its request line share the id"
    );
    let worker_stopped = lines
        .iter()
        .position(|l| l["fields"]["message"] == "mail worker stopped")
        .expect("the mail worker is stopped");
    let last_request = lines
        .iter()
        .rposition(|l| l["fields"]["message"] == "request")
        .unwrap();
    assert!(
        worker_stopped > last_request,
        "the worker stops after the server"
    );
}
