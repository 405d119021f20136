//! `teamwork seed-demo`: an organization with people in every role, pending invitations,
//! projects, keys, days of usage with the matching ledger, and an activity log that
//! tells how it all came to be, written with set-based SQL so that ten thousand members
//! and a million entries take seconds.
//!
//! The log is a true story: every entry is something its actor's role allowed at that
//! moment, role changes chain from the role each member joined with to the role they
//! hold, the people it removes are gone, and last-active times follow it.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};

use crate::db::Db;
use crate::domain::{OrgName, Password, PlainToken, Role};
use crate::error::AppError;
use crate::models::billing;
use crate::models::organizations::Organization;

mod activity;
mod money;
mod people;
mod projects;
mod report;

/// The password of every demo account, printed at the end.
pub const PASSWORD: &str = "demo-password-2026";

const PROJECTS: [&str; 5] = [
    "Website",
    "Mobile app",
    "Data pipeline",
    "Support bot",
    "Internal tools",
];
const PENDING_INVITATIONS: i32 = 5;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Generated members, besides one named account per role.
    pub members: i32,
    pub activity: i32,
    pub days: i32,
}

/// The named accounts: (name, email local part, what they are).
const PEOPLE: [(&str, &str, &str); 6] = [
    ("Ada Admin", "ada", "Administrator"),
    ("Dev Developer", "dev", "Developer"),
    ("Bill Billing", "bill", "Billing Manager"),
    ("Vic Viewer", "vic", "Viewer"),
    (
        "Cody Contractor",
        "cody",
        "project-only Developer (Website)",
    ),
    ("Cleo Client", "cleo", "project-only Viewer (Mobile app)"),
];
const ORG_ROLES: [Role; 4] = [
    Role::Administrator,
    Role::Developer,
    Role::BillingManager,
    Role::Viewer,
];

/// When things happen. The organization starts `days` ago; its first `setup` (a tenth
/// of the time, at most a day) is the founding: the named people join, the plan and
/// projects and keys are set up, the first credits bought. The generated members then
/// join until `half`; role changes and cancelled invitations fill the second half, so
/// that they happen to people who are there.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    setup: Duration,
    half: DateTime<Utc>,
}

impl Timeline {
    fn new(now: DateTime<Utc>, days: i32) -> Self {
        let start = now - Duration::days(days.into());
        let setup = ((now - start) / 10).min(Duration::days(1));
        Timeline {
            start,
            now,
            setup,
            half: start + (now - start) / 2,
        }
    }

    /// A moment of the founding: `permille` thousandths of the way through `setup`.
    fn founding(&self, permille: i32) -> DateTime<Utc> {
        self.start + self.setup * permille / 1000
    }
}

/// The demo organization as `seed` leaves it.
struct Seeded {
    slug: String,
    domain: String,
    usage_events: i64,
    ledger_entries: i64,
    balance_micro: i64,
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Seeds a new organization; returns what to print: how to sign in, with URLs on
/// `base_url` (the configured `BASE_URL`, or the one made from `BIND_ADDR`).
pub async fn seed_demo(db: &Db, base_url: &str, options: Options) -> Result<String, String> {
    let started = Instant::now();
    let options = Options {
        members: options.members.max(0),
        activity: options.activity.max(0),
        days: options.days.clamp(1, 3650),
    };
    let password = Password::parse(PASSWORD).map_err(|e| e.to_string())?;
    // One hash for everyone: argon2 is slow by design, ten thousand hashes would take minutes.
    let hash = crate::auth::password::hash(password)
        .await
        .map_err(|e| e.to_string())?;
    let key = PlainToken::generate(crate::domain::API_KEY_PREFIX);
    let (key_hash, key_prefix) = (key.hash().0, key.expose()[..16].to_owned());
    let seeded = db
        .run(move |conn| {
            conn.build_transaction()
                .run(|conn| seed(conn, &hash, &key_hash, &key_prefix, options))
                .map_err(AppError::from)
        })
        .await
        .map_err(|e| e.to_string())?;
    // Fresh statistics, so that the first requests are planned for the seeded sizes
    // rather than for the empty tables autovacuum last saw. Without the pool's 5-second
    // limit: after a million entries on a busy machine ANALYZE takes longer.
    db.run(|conn| {
        conn.transaction(|conn| conn.batch_execute("SET LOCAL statement_timeout = 0; ANALYZE"))
            .map_err(AppError::from)
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(report::text(
        &seeded,
        options,
        started.elapsed(),
        base_url,
        key.expose(),
    ))
}

fn seed(
    conn: &mut PgConnection,
    hash: &str,
    key_hash: &[u8],
    key_prefix: &str,
    options: Options,
) -> QueryResult<Seeded> {
    // The pool's 5-second statement limit is for requests, not for a million rows.
    conn.batch_execute("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0")?;
    let step = Instant::now();
    let time = Timeline::new(Utc::now(), options.days);
    let name = OrgName::parse("Demo Co").map_err(|_| diesel::result::Error::RollbackTransaction)?;
    let org = Organization::create(conn, &name)?;
    diesel::sql_query("UPDATE organizations SET created_at = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(org.id)
        .bind::<diesel::sql_types::Timestamptz, _>(time.start)
        .execute(conn)?;
    billing::open(
        conn,
        org.id,
        Some(crate::domain::billing::STARTING_CREDITS),
        time.start,
    )?;
    let domain = format!("{}.example", org.slug);
    let emails: Vec<String> = PEOPLE.iter().map(|p| format!("{}@{domain}", p.1)).collect();

    people::accounts(conn, org.id, &domain, hash, &time, options.members)?;
    projects::projects_and_keys(conn, org.id, &emails, key_hash, key_prefix, &time)?;
    people::pending_invitations(conn, org.id, &org.name, &domain, &emails[0], &time)?;
    // The rows above were written in bulk, not through the operations that keep counts.
    Organization::recount(conn, org.id)?;
    money::usage_and_ledger(conn, org.id, &emails[2], &time, options.days)?;
    tracing::info!(
        elapsed_ms = step.elapsed().as_millis(),
        "seeded people, projects, keys, usage and ledger"
    );

    let step = Instant::now();
    activity::story(conn, &org, &emails, &time, options.activity)?;
    people::last_active(conn, org.id, &time)?;
    tracing::info!(
        elapsed_ms = step.elapsed().as_millis(),
        entries = options.activity,
        "seeded activity"
    );

    let count = |conn: &mut PgConnection, sql: &str| -> QueryResult<i64> {
        Ok(diesel::sql_query(sql)
            .bind::<SqlUuid, _>(org.id)
            .get_result::<Total>(conn)?
            .n)
    };
    Ok(Seeded {
        usage_events: count(
            conn,
            "SELECT count(*) AS n FROM usage_events WHERE org_id = $1",
        )?,
        ledger_entries: count(
            conn,
            "SELECT count(*) AS n FROM credit_ledger WHERE org_id = $1",
        )?,
        balance_micro: billing::find(conn, org.id)?.balance_micro,
        slug: org.slug,
        domain,
    })
}
