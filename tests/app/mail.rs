//! The mail path: outbox rows written in transactions, the worker, retries, and a real SMTP server.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use teamwork::db::Db;
use teamwork::domain::{EmailAddress, OrgName};
use teamwork::mail::outbox::{self, Delivery, OutboxId};
use teamwork::mail::{Email, Transport, WorkerOptions, worker};
use teamwork::models::organizations::Organization;
use teamwork::schema::outbox as rows;

use crate::helpers::{TestApp, test_config, test_worker_options};
use crate::smtp::Mode;

const BASE_URL: &str = "https://console.example.com";
const WAIT: Duration = Duration::from_secs(10);

fn email(to: &str, subject: &str) -> Email {
    Email {
        recipient: EmailAddress::parse(to).unwrap(),
        name: None,
        subject: subject.to_owned(),
        text: format!("Hello {to},\n\nJoin here: {BASE_URL}/invitations/tok-{to}\n"),
        html: format!("<p>Hello, <a href=\"{BASE_URL}/invitations/tok-{to}\">join here</a>.</p>"),
    }
}

/// Enqueues in a transaction of its own, as a handler would with its change.
fn enqueue(app: &TestApp, email: &Email) -> OutboxId {
    let id = app
        .conn()
        .transaction(|c| outbox::enqueue(c, None, "test", email, BASE_URL))
        .unwrap();
    app.mail.wake();
    id
}

/// Status, attempts and last error of a row.
fn row(app: &TestApp, id: OutboxId) -> (String, i32, Option<String>) {
    rows::table
        .find(id.0)
        .select((rows::status, rows::attempts, rows::last_error))
        .first(&mut app.conn())
        .unwrap()
}

async fn wait_until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(started.elapsed() < WAIT, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_status(app: &TestApp, id: OutboxId, done: fn(&Delivery) -> bool) -> Delivery {
    wait_until("a delivery status", || {
        outbox::status(&mut app.conn(), id).unwrap().filter(done)
    })
    .await
}

#[actix_web::test]
async fn an_email_is_delivered_once_with_text_and_html_parts_its_message_id_and_sender() {
    let app = TestApp::spawn().await;
    let mut ada = email("ada@example.com", "You are invited to Acme");
    ada.name = Some("Ada Lovelace".into());
    // The change and its email in one transaction, as every handler does.
    let (org, id) = app
        .conn()
        .transaction(|c| {
            let org = Organization::create(c, &OrgName::parse("Acme").unwrap())?;
            let id = outbox::enqueue(c, Some(org.id), "invitation", &ada, BASE_URL)?;
            Ok::<_, diesel::result::Error>((org, id))
        })
        .unwrap();
    assert_eq!(
        outbox::status(&mut app.conn(), id).unwrap(),
        Some(Delivery::Queued)
    );
    app.mail.wake();

    let mail = app.smtp.wait_for("ada@example.com", WAIT).await;
    assert_eq!(mail.subject, "You are invited to Acme");
    assert_eq!(mail.from, "teamwork@example.com");
    assert_eq!(mail.header("From"), Some("Teamwork <teamwork@example.com>"));
    assert_eq!(
        mail.header("To"),
        Some("\"Ada Lovelace\" <ada@example.com>")
    );
    assert!(
        mail.text
            .contains("Join here: https://console.example.com/invitations/tok-ada@example.com")
    );
    assert_eq!(
        mail.link("https://console.example.com/invitations/")
            .as_deref(),
        Some("https://console.example.com/invitations/tok-ada@example.com")
    );
    assert!(
        mail.html
            .contains("<a href=\"https://console.example.com/invitations/tok-ada@example.com\">")
    );
    let stored_id: String = rows::table
        .find(id.0)
        .select(rows::message_id)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(mail.message_id, stored_id);
    assert!(stored_id.ends_with("@console.example.com>"), "{stored_id}");

    assert_eq!(
        wait_for_status(&app, id, |s| *s == Delivery::Sent).await,
        Delivery::Sent
    );
    // A second (wrong) delivery would happen in the worker's next passes.
    app.mail_settled().await;
    assert_eq!(app.smtp.messages().len(), 1, "delivered exactly once");
    let (org_id, attempts, body): (Option<uuid::Uuid>, i32, String) = rows::table
        .find(id.0)
        .select((rows::org_id, rows::attempts, rows::body_text))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!((org_id, attempts), (Some(org.id), 1));
    assert_eq!(
        body, "",
        "the join link does not stay in the outbox once sent"
    );
    let statuses = outbox::statuses(&mut app.conn(), &[id]).unwrap();
    assert_eq!(statuses.get(&id), Some(&Delivery::Sent));
}

#[actix_web::test]
async fn a_rolled_back_transaction_sends_nothing() {
    let app = TestApp::spawn().await;
    let rolled_back = app.conn().transaction(|c| {
        Organization::create(c, &OrgName::parse("Acme").unwrap())?;
        outbox::enqueue(
            c,
            None,
            "invitation",
            &email("ghost@example.com", "Never"),
            BASE_URL,
        )?;
        // The change fails after the email was written (e.g. the last-admin check).
        Err::<(), _>(diesel::result::Error::RollbackTransaction)
    });
    assert!(rolled_back.is_err());
    app.mail.wake();
    // A committed email sent afterwards proves the worker ran past the rolled-back one.
    enqueue(&app, &email("real@example.com", "Committed"));
    app.smtp.wait_for("real@example.com", WAIT).await;
    app.mail_settled().await;
    let recipients: Vec<Vec<String>> = app.smtp.messages().into_iter().map(|m| m.to).collect();
    assert_eq!(recipients, [["real@example.com".to_owned()]]);
    assert_eq!(app.count("outbox"), 1);
    assert_eq!(app.count("organizations"), 0);
}

#[actix_web::test]
async fn an_email_is_delivered_exactly_once_after_the_smtp_server_comes_back() {
    let app = TestApp::spawn().await;
    app.smtp.set_mode(Mode::Down);
    let started = Instant::now();
    let id = enqueue(&app, &email("bob@example.com", "Welcome"));
    wait_until("two refused attempts recorded", || {
        let (status, attempts, _) = row(&app, id);
        (status == "queued" && attempts >= 2).then_some(())
    })
    .await;
    // Then the server answers but turns mail away for now (421).
    app.smtp.set_mode(Mode::TempFail);
    wait_until("a 421 recorded", || {
        let (status, _, error) = row(&app, id);
        (status == "queued" && error.is_some_and(|e| e.contains("421"))).then_some(())
    })
    .await;
    app.smtp.set_mode(Mode::Accept);

    app.smtp.wait_for("bob@example.com", WAIT).await;
    let delay = started.elapsed();
    wait_for_status(&app, id, |s| *s == Delivery::Sent).await;
    app.mail_settled().await;
    let (status, attempts, _) = row(&app, id);
    println!(
        "smtp outage: attempts={attempts} delivered_after={delay:?} smtp_connections={} deliveries={}",
        app.smtp.connections(),
        app.smtp.messages().len()
    );
    assert_eq!(status, "sent");
    assert!(attempts >= 4, "{attempts}");
    assert_eq!(app.smtp.messages().len(), 1, "delivered exactly once");
}

#[actix_web::test]
async fn a_rejected_email_fails_with_the_reason_and_is_not_retried() {
    let app = TestApp::spawn().await;
    app.smtp.set_mode(Mode::Reject);
    let id = enqueue(&app, &email("nobody@example.com", "Hello"));
    let delivery = wait_for_status(&app, id, |s| matches!(s, Delivery::Failed(_))).await;
    let Delivery::Failed(reason) = delivery else {
        unreachable!()
    };
    assert!(reason.contains("550"), "{reason}");
    assert!(reason.contains("mailbox unavailable"), "{reason}");
    // Well past several backoff periods (50 ms in tests), and two more passes of the
    // worker: still one attempt, nothing delivered.
    app.smtp.set_mode(Mode::Accept);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    app.mail_settled().await;
    let (status, attempts, _) = row(&app, id);
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(app.smtp.messages().is_empty());
    println!("550: attempts={attempts} reason={reason:?}");
}

#[actix_web::test]
async fn retries_stop_a_day_after_the_email_was_queued() {
    let app = TestApp::spawn().await;
    app.smtp.set_mode(Mode::Down);
    let id = app
        .conn()
        .transaction(|c| {
            let id = outbox::enqueue(c, None, "test", &email("late@example.com", "Hi"), BASE_URL)?;
            diesel::update(rows::table.find(id.0))
                .set(rows::created_at.eq(chrono::Utc::now() - chrono::TimeDelta::hours(25)))
                .execute(c)?;
            Ok::<_, diesel::result::Error>(id)
        })
        .unwrap();
    app.mail.wake();
    let delivery = wait_for_status(&app, id, |s| matches!(s, Delivery::Failed(_))).await;
    let Delivery::Failed(reason) = delivery else {
        unreachable!()
    };
    assert!(reason.starts_with("gave up after 24 hours"), "{reason}");
    assert_eq!(row(&app, id).1, 1);
}

#[actix_web::test]
async fn two_workers_on_one_database_deliver_each_email_exactly_once() {
    const N: usize = 50;
    let app = TestApp::spawn().await;
    let second = worker::spawn(
        Db::new(&app.database_url(), 3),
        Transport::smtp(&app.smtp.url()).unwrap(),
        WorkerOptions {
            batch: 5,
            ..test_worker_options()
        },
    );
    let ids: Vec<OutboxId> = app
        .conn()
        .transaction(|c| {
            (0..N)
                .map(|n| {
                    let to = format!("user{n}@example.com");
                    outbox::enqueue(c, None, "test", &email(&to, &format!("Mail {n}")), BASE_URL)
                })
                .collect::<QueryResult<Vec<_>>>()
        })
        .unwrap();
    app.mail.wake();
    second.wake();

    app.smtp.wait_for_count(N, WAIT).await;
    wait_until("all rows sent", || {
        let sent: i64 = rows::table
            .filter(rows::status.eq("sent"))
            .count()
            .get_result(&mut app.conn())
            .unwrap();
        (sent == N as i64).then_some(())
    })
    .await;
    app.mail_settled().await;
    let messages = app.smtp.messages();
    let mut per_message_id: HashMap<String, usize> = HashMap::new();
    for mail in &messages {
        *per_message_id.entry(mail.message_id.clone()).or_default() += 1;
    }
    let (first, other) = (app.mail.stats(), second.stats());
    println!(
        "two workers: enqueued={N} delivered={} distinct={} worker_a_sent={} worker_b_sent={} retried={}",
        messages.len(),
        per_message_id.len(),
        first.sent,
        other.sent,
        first.retried + other.retried
    );
    assert_eq!(ids.len(), N);
    assert_eq!(messages.len(), N);
    assert_eq!(per_message_id.len(), N);
    assert!(per_message_id.values().all(|&n| n == 1));
    assert_eq!(first.sent + other.sent, N as u64);
    second.stop().await;
}

#[actix_web::test]
async fn line_breaks_in_subject_or_name_add_no_header() {
    let app = TestApp::spawn().await;
    let mut hostile = email(
        "carol@example.com",
        "Invitation\r\nBcc: eve@evil.example\r\nX-Injected: yes",
    );
    hostile.name = Some("Carol\r\nBcc: eve@evil.example".into());
    let id = enqueue(&app, &hostile);
    let mail = app.smtp.wait_for("carol@example.com", WAIT).await;
    wait_for_status(&app, id, |s| *s == Delivery::Sent).await;

    assert_eq!(mail.to, ["carol@example.com"], "envelope recipients");
    let (head, _) = mail.raw.split_once("\r\n\r\n").unwrap();
    for line in head.lines() {
        let lower = line.to_ascii_lowercase();
        assert!(
            !lower.starts_with("bcc:") && !lower.starts_with("x-injected:"),
            "injected header line {line:?} in\n{head}"
        );
    }
    assert_eq!(
        mail.subject,
        "Invitation Bcc: eve@evil.example X-Injected: yes"
    );
    let subjects = mail
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("subject"))
        .count();
    assert_eq!(subjects, 1);
    assert!(app.smtp.messages().len() == 1);
}

#[actix_web::test]
async fn without_smtp_url_emails_are_written_as_eml_files_under_data_dir() {
    let app = TestApp::spawn().await;
    app.mail.stop().await;
    let data_dir = std::env::temp_dir().join(format!("teamwork-mail-{}", uuid::Uuid::new_v4()));
    let mut config = test_config(0, "postgres://unused");
    config.smtp_url = None;
    config.data_dir = data_dir.clone();
    let transport = Transport::from_config(&config).unwrap();
    assert!(matches!(&transport, Transport::Files(dir) if *dir == data_dir.join("mail")));
    let files = worker::spawn(
        Db::new(&app.database_url(), 2),
        transport,
        test_worker_options(),
    );

    let id = app
        .conn()
        .transaction(|c| {
            outbox::enqueue(
                c,
                None,
                "test",
                &email("dev@example.com", "Dev mail"),
                BASE_URL,
            )
        })
        .unwrap();
    files.wake();
    wait_for_status(&app, id, |s| *s == Delivery::Sent).await;
    files.stop().await;

    let written: Vec<_> = std::fs::read_dir(data_dir.join("mail"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(
        written[0].file_name().unwrap().to_string_lossy(),
        format!("{}.eml", id.0)
    );
    let mode = std::fs::metadata(&written[0]).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "join links are readable by the owner only"
    );
    let eml = std::fs::read_to_string(&written[0]).unwrap();
    assert!(eml.contains("Subject: Dev mail\r\n"), "{eml}");
    assert!(eml.contains("To: dev@example.com\r\n"), "{eml}");
    assert!(eml.contains("Message-ID: <"), "{eml}");
    assert!(app.smtp.messages().is_empty());
    std::fs::remove_dir_all(&data_dir).unwrap();
}

#[actix_web::test]
async fn a_stopped_worker_finishes_its_send_and_gives_back_what_it_did_not_send() {
    const N: i64 = 30;
    let app = TestApp::spawn().await;
    app.conn()
        .transaction(|c| {
            for n in 0..N {
                let to = format!("user{n}@example.com");
                outbox::enqueue(c, None, "test", &email(&to, "Batch"), BASE_URL)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    app.mail.wake();
    app.smtp.wait_for_count(1, WAIT).await;
    app.mail.stop().await;

    let by_status: Vec<(String, i32)> = rows::table
        .select((rows::status, rows::attempts))
        .load(&mut app.conn())
        .unwrap();
    let sent = by_status.iter().filter(|(s, _)| s == "sent").count();
    let queued: Vec<i32> = by_status
        .iter()
        .filter(|(s, _)| s == "queued")
        .map(|(_, attempts)| *attempts)
        .collect();
    println!(
        "stop: sent={sent} given_back={} delivered={}",
        queued.len(),
        app.smtp.messages().len()
    );
    assert!(
        by_status.iter().all(|(s, _)| s != "sending"),
        "no row left leased"
    );
    assert_eq!(sent + queued.len(), N as usize);
    assert!(queued.iter().all(|&attempts| attempts == 0), "{queued:?}");
    assert_eq!(
        app.smtp.messages().len(),
        sent,
        "every delivery was recorded"
    );
}

#[actix_web::test]
async fn a_connection_dropped_after_data_is_retried_with_the_same_message_id() {
    let app = TestApp::spawn().await;
    app.smtp.set_mode(Mode::DropAfterData);
    let id = enqueue(&app, &email("dan@example.com", "Maybe twice"));
    app.smtp.wait_for_count(1, WAIT).await;
    app.smtp.set_mode(Mode::Accept);
    wait_for_status(&app, id, |s| *s == Delivery::Sent).await;
    let messages = app.smtp.messages();
    println!(
        "drop after DATA: deliveries={} attempts={}",
        messages.len(),
        row(&app, id).1
    );
    // The sender cannot know that the first copy arrived: a duplicate is expected, and the
    // same Message-ID lets the receiving side recognize it.
    assert!(messages.len() >= 2);
    assert!(
        messages
            .iter()
            .all(|m| m.message_id == messages[0].message_id)
    );
}
