//! The worker's retry schedule.

use super::*;

fn at(hours: i64, seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + TimeDelta::hours(hours) + TimeDelta::seconds(seconds)
}

#[test]
fn retries_back_off_exponentially_up_to_an_hour_and_stop_after_a_day() {
    let base = Duration::from_secs(5);
    let cap = Duration::from_secs(3600);
    let created = at(0, 0);
    let now = at(0, 10);
    let delays: Vec<i64> = (1..=12)
        .map(|n| (next_attempt(created, now, n, base, cap).unwrap() - now).num_seconds())
        .collect();
    assert_eq!(
        delays,
        [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
    );
    // Never scheduled past the give-up time, and nothing once it has come.
    assert_eq!(
        next_attempt(created, at(23, 3590), 20, base, cap),
        Some(at(24, 0))
    );
    assert_eq!(next_attempt(created, at(24, 0), 20, base, cap), None);
    assert_eq!(
        next_attempt(created, now, i32::MAX, base, cap),
        Some(now + TimeDelta::hours(1))
    );
}

fn row(name: Option<&str>, subject: &str) -> Claimed {
    Claimed {
        id: uuid::Uuid::now_v7(),
        recipient: "ada@example.com".into(),
        recipient_name: name.map(str::to_owned),
        subject: subject.into(),
        body_text: "Join: https://console.example.com/invitations/abc".into(),
        body_html: "<p><a href=\"https://console.example.com/invitations/abc\">Join</a></p>".into(),
        message_id: "<0123@console.example.com>".into(),
        attempts: 1,
        created_at: Utc::now(),
    }
}

#[test]
fn messages_carry_the_fixed_message_id_sender_and_both_parts() {
    let from: Mailbox = "Teamwork <teamwork@example.com>".parse().unwrap();
    let raw = String::from_utf8(
        message(&from, &row(Some("Ada Lovelace"), "You are invited"))
            .unwrap()
            .formatted(),
    )
    .unwrap();
    assert!(
        raw.contains("Message-ID: <0123@console.example.com>\r\n"),
        "{raw}"
    );
    assert!(
        raw.contains("From: Teamwork <teamwork@example.com>\r\n"),
        "{raw}"
    );
    assert!(
        raw.contains("To: \"Ada Lovelace\" <ada@example.com>\r\n"),
        "{raw}"
    );
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(
        raw.contains("text/plain") && raw.contains("text/html"),
        "{raw}"
    );
}

#[test]
fn hostile_names_and_subjects_add_no_header() {
    // As if a row had been written without enqueue's cleaning.
    let from: Mailbox = "Teamwork <teamwork@example.com>".parse().unwrap();
    let raw = String::from_utf8(
        message(
            &from,
            &row(
                Some("Eve\r\nBcc: eve@evil.example"),
                "Hi\r\nBcc: eve@evil.example",
            ),
        )
        .unwrap()
        .formatted(),
    )
    .unwrap();
    assert!(
        !raw.lines()
            .any(|line| line.to_ascii_lowercase().starts_with("bcc:")),
        "{raw}"
    );
}

#[test]
fn a_recipient_lettre_refuses_is_a_permanent_failure() {
    let from: Mailbox = "Teamwork <teamwork@example.com>".parse().unwrap();
    let mut bad = row(None, "x");
    bad.recipient = "not an address".into();
    assert!(message(&from, &bad).unwrap_err().contains("recipient"));
}
