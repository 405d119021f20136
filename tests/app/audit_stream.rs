//! Audit log streaming: a plain-HTTP receiver on 127.0.0.1 (development only) gets every
//! entry once and in order, across its own downtime; signatures check with the README's
//! verifier; bad endpoints get 422; only administrators reach the page.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;
use teamwork::db::Db;
use teamwork::domain::audit_stream::{EndpointPolicy, signature};
use teamwork::stream::Sender;
use teamwork::stream::worker::{self, StreamOptions, StreamWorker};

use crate::helpers::{TestApp, TestClient};

pub(crate) const SECRET: &str = "whsec-0123456789abcdef";
const WAIT: Duration = Duration::from_secs(20);

/// One POST as the receiver got it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) event: String,
    pub(crate) signature: String,
    pub(crate) body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

pub(crate) type Inbox = Arc<Mutex<Vec<Received>>>;

/// A SIEM stand-in: answers 200 to every POST and keeps it.
pub(crate) struct Receiver {
    port: u16,
    server: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Listens on `port` (0: any free port), appending to `inbox`.
    pub(crate) fn start(port: u16, inbox: &Inbox) -> Receiver {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
        let port = listener.local_addr().unwrap().port();
        let inbox = web::Data::new(inbox.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(inbox.clone())
                .route("/in", web::post().to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            port,
            server: handle,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/in", self.port)
    }

    /// Down: the port refuses connections until a receiver starts on it again.
    pub(crate) async fn stop(self) {
        self.server.stop(false).await;
    }
}

async fn receive(request: HttpRequest, body: web::Bytes, inbox: web::Data<Inbox>) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    inbox.lock().unwrap().push(Received {
        event: header("X-Teamwork-Event"),
        signature: header("X-Teamwork-Signature"),
        body: body.to_vec(),
    });
    HttpResponse::Ok().finish()
}

/// A stream worker with test pauses: polls every 50 ms, retries after 50 ms, 100 ms, ...
/// at most 400 ms apart.
fn start_worker(app: &TestApp) -> StreamWorker {
    let options = StreamOptions {
        poll_interval: Duration::from_millis(50),
        backoff_base: Duration::from_millis(50),
        backoff_cap: Duration::from_millis(400),
        ..StreamOptions::default()
    };
    let key = teamwork::secrets_key::parse(crate::helpers::TEST_SECRETS_KEY).expect("the test key");
    let sender = Sender::new(EndpointPolicy::Development, key).expect("HTTP client");
    worker::spawn(Db::new(&app.database_url(), 2), sender, options)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < WAIT, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn head_seq(app: &TestApp, slug: &str) -> i64 {
    use teamwork::schema::activity_chains as c;
    let org_id = app.org_id(slug);
    app.with_conn(|conn| c::table.find(org_id).select(c::seq).first(conn))
        .expect("the organization's chain")
}

/// The seqs of the activity deliveries, in arrival order.
fn delivered_seqs(inbox: &Inbox) -> Vec<i64> {
    inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.event == "activity")
        .map(|r| r.json()["seq"].as_i64().expect("a seq"))
        .collect()
}

pub(crate) async fn turn_on(admin: &TestClient, slug: &str, url: &str) {
    let path = format!("/orgs/{slug}/settings/streaming");
    let response = admin
        .post_form(&path, &[("url", url), ("secret", SECRET)])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "saving the stream"
    );
}

/// Writes `n` entries through the app: renames of the organization.
async fn write_entries(admin: &TestClient, slug: &str, n: usize, tag: &str) {
    for i in 0..n {
        let name = format!("Acme {tag} {i}");
        let response = admin
            .post_form(&format!("/orgs/{slug}/settings"), &[("name", &name)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
}

/// Every entry from the one that turned streaming on up to `head`, once, in order,
/// signed with the secret, each linking to the one before.
fn assert_complete(received: &[Received], first: i64, head: i64) {
    let entries: Vec<&Received> = received.iter().filter(|r| r.event == "activity").collect();
    let seqs: Vec<i64> = entries
        .iter()
        .map(|r| r.json()["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (first..=head).collect::<Vec<_>>(),
        "once each, in order"
    );
    for pair in entries.windows(2) {
        assert_eq!(pair[1].json()["prev_hash"], pair[0].json()["hash"]);
    }
    for r in &entries {
        let t: i64 = r.signature[2..r.signature.find(',').unwrap()]
            .parse()
            .unwrap();
        assert_eq!(
            r.signature,
            signature(SECRET, t, &r.body),
            "signed with the secret"
        );
    }
}

#[actix_web::test]
async fn a_local_receiver_gets_every_entry_once_and_in_order_from_two_workers() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let inbox = Inbox::default();
    let receiver = Receiver::start(0, &inbox);
    // Two workers, as two app instances would run: the lease lets one at a time deliver.
    let (streams, other) = (start_worker(&app), start_worker(&app));
    write_entries(&admin, &slug, 3, "before").await;
    let first = head_seq(&app, &slug) + 1;
    turn_on(&admin, &slug, &receiver.url()).await;
    write_entries(&admin, &slug, 20, "during").await;
    let head = head_seq(&app, &slug);
    wait_for("every entry", || {
        delivered_seqs(&inbox).last() == Some(&head)
    })
    .await;
    // Stopped before counting: nothing can arrive after the count.
    streams.stop().await;
    other.stop().await;
    let received = inbox.lock().unwrap().clone();
    assert_complete(&received, first, head);
    let turned_on = received[0].json();
    assert_eq!(turned_on["action"], "organization.audit_stream_updated");
    assert_eq!(turned_on["org_id"], app.org_id(&slug).to_string());
    for field in [
        "id",
        "time",
        "actor",
        "summary",
        "created_at",
        "personal",
        "hash",
    ] {
        assert!(turned_on.get(field).is_some(), "the export's field {field}");
    }
    let page = admin
        .get_text(&format!("/orgs/{slug}/settings/streaming"))
        .await;
    assert!(page.contains("Delivered up to") && page.contains(&format!("#{head}")));
    assert!(page.contains("Up to date"), "{page}");
    assert!(!page.contains(SECRET), "the secret is never shown again");
    let stored: String = app.with_conn(|conn| {
        use diesel::prelude::*;
        teamwork::schema::audit_streams::table
            .select(teamwork::schema::audit_streams::secret)
            .first(conn)
            .expect("the stream's row")
    });
    assert!(
        !stored.contains(SECRET),
        "the secret is stored sealed, not as typed"
    );
    println!("audit stream: entries #{first}..#{head} delivered once each, in order");
    receiver.stop().await;
}

#[actix_web::test]
async fn entries_written_while_the_receiver_is_down_arrive_when_it_is_back() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let inbox = Inbox::default();
    let receiver = Receiver::start(0, &inbox);
    let port = receiver.port;
    let streams = start_worker(&app);
    let first = head_seq(&app, &slug) + 1;
    turn_on(&admin, &slug, &receiver.url()).await;
    write_entries(&admin, &slug, 2, "up").await;
    let head = head_seq(&app, &slug);
    wait_for("the first entries", || {
        delivered_seqs(&inbox).last() == Some(&head)
    })
    .await;

    receiver.stop().await;
    write_entries(&admin, &slug, 10, "down").await;
    let org_id = app.org_id(&slug);
    wait_for("two failed attempts", || {
        app.count_where(
            "audit_streams",
            &format!("org_id = '{org_id}' AND attempts >= 2 AND last_error IS NOT NULL"),
        ) == 1
    })
    .await;
    let page = admin
        .get_text(&format!("/orgs/{slug}/settings/streaming"))
        .await;
    assert!(page.contains("Failing, retrying") && page.contains("Next retry"));
    assert!(
        page.contains("could not connect"),
        "the last error is shown"
    );
    let during = delivered_seqs(&inbox).len();

    let receiver = Receiver::start(port, &inbox);
    write_entries(&admin, &slug, 3, "back").await;
    let head = head_seq(&app, &slug);
    wait_for("the backlog", || {
        delivered_seqs(&inbox).last() == Some(&head)
    })
    .await;
    streams.stop().await;
    let received = inbox.lock().unwrap().clone();
    assert_complete(&received, first, head);
    println!(
        "audit stream: {during} entries before the receiver went down, {} after, 0 lost, 0 twice",
        delivered_seqs(&inbox).len() - during
    );
    receiver.stop().await;
}

/// The verifier block of the README, run as it is printed there.
fn readme_verifier(secret: &str, header: &str, body: &[u8]) -> (bool, String) {
    const README: &str = include_str!("../../README.md");
    let marker = README
        .find("<!-- stream signature verifier")
        .expect("the README's verifier marker");
    let block = &README[marker..];
    let start = block.find("```python\n").expect("a python block") + "```python\n".len();
    let code = &block[start..start + block[start..].find("```").unwrap()];
    let mut child = Command::new("python3")
        .args(["-c", code, secret, header])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(body).unwrap();
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success(), said)
}

#[actix_web::test]
async fn send_test_event_is_signed_and_the_readme_verifier_refuses_a_wrong_signature() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let inbox = Inbox::default();
    let receiver = Receiver::start(0, &inbox);
    turn_on(&admin, &slug, &receiver.url()).await;
    let entries = app.count("activity");
    let page = admin
        .post_form(&format!("/orgs/{slug}/settings/streaming/test"), &[])
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Test event delivered"));
    assert_eq!(
        app.count("activity"),
        entries + 1,
        "the log records the test"
    );
    let test = inbox.lock().unwrap()[0].clone();
    assert_eq!(test.event, "test");
    assert_eq!(test.json()["test"], true);
    assert!(
        test.json().get("seq").is_none(),
        "not an entry of the chain"
    );

    assert_eq!(
        readme_verifier(SECRET, &test.signature, &test.body),
        (true, "OK".into())
    );
    let refused = (false, "BAD signature".to_owned());
    assert_eq!(
        readme_verifier("another-secret-0000", &test.signature, &test.body),
        refused
    );
    let mut tampered = test.body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(readme_verifier(SECRET, &test.signature, &tampered), refused);
    let forged = test.signature.replace("v1=", "v1=00");
    assert_eq!(readme_verifier(SECRET, &forged, &test.body), refused);
    let stale = chrono::Utc::now().timestamp() - 3600;
    let replayed = signature(SECRET, stale, &test.body);
    assert_eq!(readme_verifier(SECRET, &replayed, &test.body), refused);
    receiver.stop().await;
}
