//! Role history: "Members on date" read from the activity log, checked against an
//! independent replay of a generated history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;
use teamwork::domain::Role;
use uuid::Uuid;

use crate::helpers::{TestApp, TestClient};

/// A small deterministic generator (xorshift64*): the history is the same on every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    fn role(&mut self) -> Role {
        Role::ALL[self.below(4) as usize]
    }
}

/// One generated entry, and what it does to whom.
struct Entry {
    at: DateTime<Utc>,
    user: usize,
    /// The role from then on; `None`: no longer a member.
    then: Option<Role>,
    action: &'static str,
    actor: Option<usize>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

const PEOPLE: usize = 60;
/// The first people were members before the log began, since this time.
const BEFORE_LOG: usize = 6;

fn before_log_since() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 8, 20, 10, 0, 0).unwrap()
}

fn id_at(at: DateTime<Utc>) -> Uuid {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        at.timestamp() as u64,
        at.timestamp_subsec_nanos(),
    );
    Uuid::new_v7(ts)
}

/// 1,000 random changes (joins, role changes, removals, leaves, rejoins) of `PEOPLE`
/// people from 2026-09-01, a few minutes to two hours apart, plus entries that must not
/// count (a project-only member leaving their project).
fn generate(initial: &[Option<Role>]) -> Vec<Entry> {
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let mut state = initial.to_vec();
    let mut at = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
    let mut entries = Vec::new();
    let mut changes = 0;
    while changes < 1_000 {
        at += Duration::minutes(1 + dice.below(120) as i64);
        let user = dice.below(PEOPLE as u64) as usize;
        let entry = match state[user] {
            None if dice.below(25) == 0 => Entry {
                at,
                user,
                then: None,
                action: "member.left",
                actor: Some(user),
                before: Some(json!({ "role": "viewer", "project": "Website" })),
                after: None,
            },
            None => {
                let role = dice.role();
                Entry {
                    at,
                    user,
                    then: Some(role),
                    action: "invitation.accepted",
                    actor: Some(user),
                    before: None,
                    after: Some(
                        json!({ "member": format!("Person {user:03}"), "role": role.as_str() }),
                    ),
                }
            }
            Some(role) => match dice.below(10) {
                0..6 => {
                    let mut to = dice.role();
                    while to == role {
                        to = dice.role();
                    }
                    Entry {
                        at,
                        user,
                        then: Some(to),
                        action: "member.role_changed",
                        actor: None,
                        before: Some(json!({ "role": role.as_str() })),
                        after: Some(json!({ "role": to.as_str() })),
                    }
                }
                6..8 => Entry {
                    at,
                    user,
                    then: None,
                    action: "member.removed",
                    actor: None,
                    before: Some(json!({ "role": role.as_str(), "email": email(user) })),
                    after: None,
                },
                _ => Entry {
                    at,
                    user,
                    then: None,
                    action: "member.left",
                    actor: Some(user),
                    before: Some(json!({ "role": role.as_str() })),
                    after: None,
                },
            },
        };
        if entry
            .before
            .as_ref()
            .is_none_or(|b| b.get("project").is_none())
        {
            state[user] = entry.then;
            changes += 1;
        }
        entries.push(entry);
    }
    entries
}

fn email(user: usize) -> String {
    format!("person{user:03}@example.com")
}

/// The independent replay: who held which role at `cutoff`, by email. A member from
/// before the log counts from their membership's date while that membership lasts to
/// today; once it ended, the log cannot say since when, so from the beginning.
fn replay(
    initial: &[Option<Role>],
    entries: &[Entry],
    cutoff: DateTime<Utc>,
) -> BTreeMap<String, Role> {
    let mut held = BTreeMap::new();
    for (user, start) in initial.iter().enumerate() {
        let mine: Vec<&Entry> = entries
            .iter()
            .filter(|e| {
                e.user == user && e.before.as_ref().is_none_or(|b| b.get("project").is_none())
            })
            .collect();
        let ended = mine.iter().any(|e| e.then.is_none());
        let mut state = match start {
            Some(role) if ended || before_log_since() < cutoff => Some(*role),
            _ => None,
        };
        for entry in mine.iter().filter(|e| e.at < cutoff) {
            state = entry.then;
        }
        if let Some(role) = state {
            held.insert(email(user), role);
        }
    }
    held
}

fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.succ_opt()
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
}

/// "Members on date" as the CSV export lists it: email -> role label.
pub(crate) async fn on_date(
    admin: &TestClient,
    slug: &str,
    day: NaiveDate,
) -> BTreeMap<String, String> {
    let response = admin
        .get(&format!("/orgs/{slug}/members.csv?at={day}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let mut lines = body.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("name,email,role,date"));
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells[3], day.to_string());
            (cells[1].to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[actix_web::test]
async fn members_on_date_agrees_with_an_independent_replay_of_1000_random_changes() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let org = app.org_id(&slug);
    let admin_id = app.user_id("ada.admin@example.com");
    let ids: Vec<Uuid> = (0..PEOPLE).map(|_| Uuid::now_v7()).collect();
    let mut dice = Dice(7);
    let initial: Vec<Option<Role>> = (0..PEOPLE)
        .map(|user| (user < BEFORE_LOG).then(|| dice.role()))
        .collect();
    let entries = generate(&initial);

    let mut conn = app.conn();
    let people = (0..PEOPLE)
        .map(|u| format!("('{}', '{}', 'Person {u:03}', 'x')", ids[u], email(u)))
        .collect::<Vec<_>>()
        .join(", ");
    diesel::sql_query(format!(
        "INSERT INTO users (id, email, name, password_hash) VALUES {people}"
    ))
    .execute(&mut conn)
    .unwrap();
    // The entries as the ops write them (the test writes them with their past times).
    let literal = |v: &Option<serde_json::Value>| match v {
        Some(v) => format!("'{v}'::jsonb"),
        None => "NULL".to_owned(),
    };
    for chunk in entries.chunks(200) {
        let values = chunk
            .iter()
            .map(|e| {
                let (actor_id, actor_name) = match e.actor {
                    Some(user) => (ids[user], format!("Person {user:03}")),
                    None => (admin_id, "Ada Admin".to_owned()),
                };
                let (target_type, target_id, label) = if e.action == "invitation.accepted" {
                    ("invitation", Uuid::now_v7(), email(e.user))
                } else {
                    ("member", ids[e.user], format!("Person {:03}", e.user))
                };
                format!(
                    "('{}', '{org}', '{actor_id}', '{actor_name}', '{}', '{target_type}', '{target_id}', '{label}', {}, {}, '{}')",
                    id_at(e.at),
                    e.action,
                    literal(&e.before),
                    literal(&e.after),
                    e.at.to_rfc3339()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        diesel::sql_query(format!(
            "INSERT INTO activity (id, org_id, actor_id, actor_name, action, target_type, target_id, target_label, before, after, created_at) VALUES {values}"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    // Today's memberships: what the history left, each since its last join (or since
    // before the log for those it never touched the membership of).
    let mut now_held = BTreeMap::new();
    for user in 0..PEOPLE {
        let mine: Vec<&Entry> = entries
            .iter()
            .filter(|e| {
                e.user == user && e.before.as_ref().is_none_or(|b| b.get("project").is_none())
            })
            .collect();
        let role = mine.last().map_or(initial[user], |e| e.then);
        let Some(role) = role else { continue };
        let since = mine
            .iter()
            .rev()
            .find(|e| e.action == "invitation.accepted")
            .map_or(before_log_since(), |e| e.at);
        diesel::sql_query(
            "INSERT INTO memberships (id, org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind::<diesel::sql_types::Uuid, _>(Uuid::now_v7())
        .bind::<diesel::sql_types::Uuid, _>(org)
        .bind::<diesel::sql_types::Uuid, _>(ids[user])
        .bind::<diesel::sql_types::Text, _>(role.as_str())
        .bind::<diesel::sql_types::Timestamptz, _>(since)
        .execute(&mut conn)
        .unwrap();
        now_held.insert(email(user), role);
    }
    crate::helpers::recount(&mut conn, org);

    let last = entries.last().unwrap().at.date_naive();
    let mut days = vec![
        NaiveDate::from_ymd_opt(2026, 8, 10).unwrap(),
        NaiveDate::from_ymd_opt(2026, 8, 25).unwrap(),
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        last,
    ];
    for _ in 0..8 {
        days.push(
            NaiveDate::from_ymd_opt(2026, 9, 1).unwrap() + Duration::days(dice.below(40) as i64),
        );
    }
    let mut sizes = BTreeSet::new();
    for day in days {
        let expected: BTreeMap<String, String> = replay(&initial, &entries, end_of(day))
            .into_iter()
            .map(|(email, role)| (email, role.label().to_owned()))
            .collect();
        assert_eq!(
            on_date(&admin, &slug, day).await,
            expected,
            "members at the end of {day}"
        );
        sizes.insert(expected.len());
    }
    assert!(sizes.len() > 3, "the dates checked differ: {sizes:?}");

    // Today: the log's answer is the memberships table (the founder joined today).
    let today = Utc::now().date_naive();
    let mut expected: BTreeMap<String, String> = now_held
        .into_iter()
        .map(|(email, role)| (email, role.label().to_owned()))
        .collect();
    expected.insert("ada.admin@example.com".into(), "Administrator".into());
    assert_eq!(on_date(&admin, &slug, today).await, expected);

    // The page says the same count, and links today's members to their page.
    let day = NaiveDate::from_ymd_opt(2026, 9, 20).unwrap();
    let count = replay(&initial, &entries, end_of(day)).len();
    let page = admin
        .get_text(&format!("/orgs/{slug}/members?at={day}"))
        .await;
    assert!(page.contains("Members on date"));
    assert!(
        page.contains(&format!("{count} members at the end of September 20, 2026")),
        "{count}"
    );
}

#[actix_web::test]
async fn a_date_that_is_no_date_is_answered_with_a_message() {
    let app = TestApp::spawn().await;
    let (admin, slug) = app.admin_with_org("Acme").await;
    let page = admin
        .get(&format!("/orgs/{slug}/members?at=tomorrow"))
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Enter a date as YYYY-MM-DD")
    );
    let csv = admin
        .get(&format!("/orgs/{slug}/members.csv?at=2026-13-01"))
        .await;
    assert_eq!(csv.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
