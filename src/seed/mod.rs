//! `teamwork seed-demo`: an organization with people in every role, pending invitations,
//! projects, keys, days of usage with the matching ledger, and activity, written with
//! set-based SQL so that ten thousand members and a million entries take seconds.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, Integer, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::Db;
use crate::domain::billing::group_digits;
use crate::domain::pricing::PRICES;
use crate::domain::{OrgName, Password, PlainToken, Role};
use crate::error::AppError;
use crate::models::billing;
use crate::models::organizations::Organization;

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

struct Seeded {
    slug: String,
    usage_events: i64,
    ledger_entries: i64,
    balance_micro: i64,
}

/// Seeds a new organization and prints how to sign in.
pub async fn seed_demo(db: &Db, base_url: &str, options: Options) -> Result<(), String> {
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
    // rather than for the empty tables autovacuum last saw.
    db.run(|conn| Ok::<_, AppError>(conn.batch_execute("ANALYZE")?))
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed().as_secs_f64();
    let slug = &seeded.slug;
    println!(
        "Seeded the organization {slug} in {elapsed:.1} s: {} members and {} project-only \
         members, {PENDING_INVITATIONS} pending invitations, {} projects with 2 API keys each, \
         {} usage reports over {} days, {} ledger entries (balance {} credits), {} activity entries.",
        group_digits((options.members + 4) as u64),
        2,
        PROJECTS.len(),
        group_digits(seeded.usage_events as u64),
        options.days,
        group_digits(seeded.ledger_entries as u64),
        crate::domain::Credits::from_micro(seeded.balance_micro),
        group_digits(options.activity as u64),
    );
    println!();
    println!("Sign in at {base_url}/login with the password {PASSWORD} as:");
    for (name, local, what) in PEOPLE {
        println!("  {local}@{slug}.example  {name}, {what}");
    }
    println!(
        "  member1@{slug}.example ... member{}@{slug}.example  generated members",
        options.members
    );
    println!();
    println!("Report usage with this key of Website (shown only now):");
    println!(
        "  curl -X POST {base_url}/api/v1/usage -H 'Authorization: Bearer {}' \
         -H 'Content-Type: application/json' \
         -d '{{\"model\": \"gpt-large\", \"input_tokens\": 1200, \"output_tokens\": 300}}'",
        key.expose()
    );
    Ok(())
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
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
    let now = Utc::now();
    let start = now - Duration::days(options.days.into());
    let name = OrgName::parse("Demo Co").map_err(|_| diesel::result::Error::RollbackTransaction)?;
    let org = Organization::create(conn, &name)?;
    billing::open(
        conn,
        org.id,
        Some(crate::domain::billing::STARTING_CREDITS),
        start,
    )?;
    let domain = format!("{}.example", org.slug);

    // The named accounts, and the generated members with a mix of roles.
    let emails: Vec<String> = PEOPLE.iter().map(|p| format!("{}@{domain}", p.1)).collect();
    let names: Vec<&str> = PEOPLE.iter().map(|p| p.0).collect();
    diesel::sql_query(
        "INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at) \
         SELECT gen_random_uuid(), e, n, $3, $4, $4 FROM unnest($1::text[], $2::text[]) AS t(e, n)",
    )
    .bind::<Array<Text>, _>(&emails)
    .bind::<Array<Text>, _>(&names)
    .bind::<Text, _>(hash)
    .bind::<Timestamptz, _>(start)
    .execute(conn)?;
    let roles: Vec<&str> = ORG_ROLES.iter().map(|r| r.as_str()).collect();
    diesel::sql_query(
        "INSERT INTO memberships (id, org_id, user_id, role, created_at) \
         SELECT gen_random_uuid(), $1, u.id, t.role, $4 \
         FROM unnest($2::text[], $3::text[]) AS t(email, role) JOIN users u ON u.email = t.email",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Array<Text>, _>(&emails[..4])
    .bind::<Array<Text>, _>(&roles)
    .bind::<Timestamptz, _>(start)
    .execute(conn)?;
    diesel::sql_query(
        "WITH new_users AS ( \
           INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at) \
           SELECT gen_random_uuid(), 'member' || i || '@' || $2, \
                  (ARRAY['Alex','Sam','Robin','Kim','Lee','Noor','Mika','Jo','Ari','Tess', \
                         'Ravi','Lena','Omar','Yuki','Iris','Pablo','Zoe','Hugo','Maya','Finn'])[1 + i % 20] \
                  || ' ' || \
                  (ARRAY['Garcia','Smith','Okafor','Tanaka','Muller','Rossi','Novak','Silva','Kowalski','Nguyen', \
                         'Haddad','Larsen','Dubois','Moreau','Ivanova','Costa','Kim','Patel','Berg','Walsh'])[1 + (i / 20) % 20] \
                  || ' ' || i, \
                  $3, $4, $4 + (i % 1000) * interval '1 minute' \
           FROM generate_series(1, $5) AS i \
           RETURNING id, email) \
         INSERT INTO memberships (id, org_id, user_id, role, created_at) \
         SELECT gen_random_uuid(), $1, id, \
                CASE WHEN n % 50 = 0 THEN 'administrator' \
                     ELSE (ARRAY['developer','developer','viewer','billing_manager','viewer'])[1 + n % 5] END, $4 \
         FROM (SELECT id, substring(email from '^member([0-9]+)@')::int AS n FROM new_users) m",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Text, _>(&domain)
    .bind::<Text, _>(hash)
    .bind::<Timestamptz, _>(start)
    .bind::<Integer, _>(options.members)
    .execute(conn)?;

    // Projects, their project-only members, and pending invitations.
    let admin_email = &emails[0];
    diesel::sql_query(
        "INSERT INTO projects (id, org_id, name, created_by, created_at) \
         SELECT gen_random_uuid(), $1, p, (SELECT id FROM users WHERE email = $3), $4 \
         FROM unnest($2::text[]) AS p",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Array<Text>, _>(PROJECTS.to_vec())
    .bind::<Text, _>(admin_email)
    .bind::<Timestamptz, _>(start)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO project_members (id, org_id, project_id, user_id, role, created_at) \
         SELECT gen_random_uuid(), $1, p.id, u.id, t.role, $6 \
         FROM (VALUES ($2, $3, 'developer'), ($4, $5, 'viewer')) AS t(email, project, role) \
         JOIN users u ON u.email = t.email JOIN projects p ON p.org_id = $1 AND p.name = t.project",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Text, _>(&emails[4])
    .bind::<Text, _>(PROJECTS[0])
    .bind::<Text, _>(&emails[5])
    .bind::<Text, _>(PROJECTS[1])
    .bind::<Timestamptz, _>(start)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, invited_by_name, \
                                  expires_at, sent_at) \
         SELECT gen_random_uuid(), $1, 'invitee' || i || '@' || $2, \
                (ARRAY['developer','viewer','billing_manager'])[1 + i % 3], \
                sha256(convert_to(gen_random_uuid()::text, 'UTF8')), u.id, u.name, \
                $4 + interval '7 days' - i * interval '1 day', $4 - i * interval '1 day' \
         FROM generate_series(1, $5) AS i, users u WHERE u.email = $3",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Text, _>(&domain)
    .bind::<Text, _>(admin_email)
    .bind::<Timestamptz, _>(now)
    .bind::<Integer, _>(PENDING_INVITATIONS)
    .execute(conn)?;
    // Their emails as the worker leaves them once delivered (sent, bodies blanked), so
    // that the Members page reads "Sent" rather than a queue that never moves: the demo
    // addresses are not real, nothing is mailed.
    diesel::sql_query(
        "WITH mail AS ( \
           INSERT INTO outbox (id, org_id, kind, recipient, subject, body_text, body_html, \
                               message_id, status, attempts, next_attempt_at, created_at, sent_at) \
           SELECT gen_random_uuid(), i.org_id, 'invitation', i.email, 'Join ' || $2 || ' on Teamwork', \
                  '', '', '<' || gen_random_uuid() || '@seed-demo.invalid>', 'sent', 1, \
                  i.sent_at, i.sent_at, i.sent_at \
           FROM invitations i WHERE i.org_id = $1 AND i.outbox_id IS NULL \
           RETURNING id, recipient) \
         UPDATE invitations SET outbox_id = mail.id \
         FROM mail WHERE invitations.org_id = $1 AND invitations.email = mail.recipient",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Text, _>(&org.name)
    .execute(conn)?;
    // The rows above were written in bulk, not through the operations that keep counts.
    Organization::recount(conn, org.id)?;

    // Two keys per project; Website's "production" is the one whose secret is printed.
    diesel::sql_query(
        "INSERT INTO api_keys (id, org_id, project_id, name, prefix, secret_hash, created_by, \
                               created_by_name, created_at, last_used_at) \
         SELECT gen_random_uuid(), $1, p.id, k.name, \
                CASE WHEN p.name = $2 AND k.name = 'production' THEN $4 \
                     ELSE 'tw_live_' || substr(md5(random()::text), 1, 8) END, \
                CASE WHEN p.name = $2 AND k.name = 'production' THEN $3 \
                     ELSE sha256(convert_to(gen_random_uuid()::text, 'UTF8')) END, \
                u.id, u.name, $6, $7 \
         FROM projects p CROSS JOIN (VALUES ('production'), ('staging')) AS k(name) \
         JOIN users u ON u.email = $5 WHERE p.org_id = $1",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Text, _>(PROJECTS[0])
    .bind::<Bytea, _>(key_hash)
    .bind::<Text, _>(key_prefix)
    .bind::<Text, _>(&emails[1])
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;

    // Hourly reports by every key; each key uses one model of the price list and pays
    // its price, rounded up per report like the API does.
    let models: Vec<&str> = PRICES.iter().map(|p| p.model).collect();
    let input: Vec<i64> = PRICES.iter().map(|p| p.input_per_1k).collect();
    let output: Vec<i64> = PRICES.iter().map(|p| p.output_per_1k).collect();
    diesel::sql_query(
        "WITH keys AS ( \
           SELECT k.id, k.project_id, row_number() OVER (ORDER BY k.created_at, k.id) AS n, \
                  CASE WHEN k.name = 'staging' THEN 1 ELSE 4 END AS weight \
           FROM api_keys k WHERE k.org_id = $1), \
         prices AS (SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[]) \
                    WITH ORDINALITY AS p(model, input_per_1k, output_per_1k, n)), \
         reports AS ( \
           SELECT k.id AS key_id, k.project_id, p.model, p.input_per_1k, p.output_per_1k, \
                  date_trunc('hour', $5::timestamptz) - h * interval '1 hour' AS at, \
                  (1 + random() * 20 * k.weight)::int AS requests, \
                  (200 + random() * 4000 * k.weight)::bigint AS input_tokens, \
                  (50 + random() * 800 * k.weight)::bigint AS output_tokens \
           FROM keys k JOIN prices p ON p.n = 1 + (k.n - 1) % $7 \
           CROSS JOIN generate_series(0, $6 * 24 - 1) AS h) \
         INSERT INTO usage_events (org_id, project_id, api_key_id, model, requests, input_tokens, \
                                   output_tokens, cost_micro, occurred_at, created_at) \
         SELECT $1, project_id, key_id, model, requests, input_tokens, output_tokens, \
                (input_tokens * input_per_1k + output_tokens * output_per_1k + 999) / 1000, at, at \
         FROM reports ORDER BY at",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Array<Text>, _>(&models)
    .bind::<Array<BigInt>, _>(&input)
    .bind::<Array<BigInt>, _>(&output)
    .bind::<Timestamptz, _>(now)
    .bind::<Integer, _>(options.days)
    .bind::<Integer, _>(models.len() as i32)
    .execute(conn)?;

    // The ledger matching it: a purchase every 30 days that covers the month's usage,
    // then every report's charge, in time order with the running balance.
    let usage_cost = diesel::sql_query(
        "SELECT coalesce(sum(cost_micro), 0)::bigint AS n FROM usage_events WHERE org_id = $1",
    )
    .bind::<SqlUuid, _>(org.id)
    .get_result::<Total>(conn)?
    .n;
    let purchases = (options.days + 29) / 30;
    let per_purchase = (usage_cost / i64::from(purchases) / 1_000_000 + 100) * 1_000_000;
    diesel::sql_query(
        "INSERT INTO credit_ledger (org_id, kind, amount_micro, balance_after_micro, reference, \
                                    usage_event_id, actor_id, actor_name, created_at) \
         SELECT $1, kind, amount, $2 + sum(amount) OVER (ORDER BY at, seq), reference, event_id, \
                actor_id, actor_name, at \
         FROM ( \
           SELECT 'purchase' AS kind, $3::bigint AS amount, 'INV-DEMO-' || lpad(k::text, 4, '0') AS reference, \
                  NULL::bigint AS event_id, u.id AS actor_id, u.name AS actor_name, \
                  $5::timestamptz + interval '1 hour' + k * interval '30 days' AS at, 0::bigint AS seq \
           FROM generate_series(1, $4) AS k, users u WHERE u.email = $6 \
           UNION ALL \
           SELECT 'usage', -cost_micro, NULL, id, NULL, NULL, occurred_at, id \
           FROM usage_events WHERE org_id = $1) AS entries \
         ORDER BY at, seq",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<BigInt, _>(crate::domain::billing::STARTING_CREDITS.micro())
    .bind::<BigInt, _>(per_purchase)
    .bind::<Integer, _>(purchases)
    .bind::<Timestamptz, _>(start - Duration::days(30))
    .bind::<Text, _>(&emails[2])
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE billing_accounts SET plan = 'enterprise', updated_at = $2, \
                balance_micro = (SELECT sum(amount_micro) FROM credit_ledger WHERE org_id = $1) \
         WHERE org_id = $1",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;

    tracing::info!(
        elapsed_ms = step.elapsed().as_millis(),
        "seeded people, projects, keys, usage and ledger"
    );
    let step = Instant::now();
    seed_activity(conn, org.id, start, now, options.activity)?;
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
    })
}

/// `n` entries spread evenly from `start` to `now`, by the named administrator and the
/// members, about the members, keys and billing.
///
/// Ids are UUIDv7 made from each entry's time, so that paging by id is paging by time:
/// the first 48 bits are the Unix time in milliseconds (`int8send` of the bigint gives
/// 8 big-endian bytes, the last 6 of which replace the start of a random v4 UUID), then
/// bits 52 and 53 turn the version nibble from 4 (0100) into 7 (0111); the variant bits
/// and the 74 random bits of the v4 UUID stay. Entries in the same millisecond order
/// randomly among themselves, as UUIDv7 allows.
fn seed_activity(
    conn: &mut PgConnection,
    org_id: Uuid,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    n: i32,
) -> QueryResult<()> {
    if n == 0 {
        return Ok(());
    }
    let step_ms = ((now - start).num_milliseconds() / i64::from(n)).max(1);
    // A table with statistics, so that the planner hash-joins a million entries to their
    // people instead of scanning the people for each entry.
    diesel::sql_query(
        "CREATE TEMPORARY TABLE seed_people ON COMMIT DROP AS \
         SELECT u.id, u.name, row_number() OVER (ORDER BY u.email) AS n \
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1",
    )
    .bind::<SqlUuid, _>(org_id)
    .execute(conn)?;
    conn.batch_execute("ANALYZE seed_people")?;
    diesel::sql_query(
        "WITH size AS (SELECT count(*) AS n FROM seed_people), \
         entries AS ( \
           SELECT i, i % 8 AS kind, $2::timestamptz + i * $3 * interval '1 millisecond' AS at, \
                  1 + (i::bigint * 7919) % size.n AS target, 1 + (i::bigint * 104729) % size.n AS actor \
           FROM generate_series(1, $4) AS i, size) \
         INSERT INTO activity (id, org_id, actor_id, actor_name, action, target_type, target_id, \
                               target_label, before, after, ip, user_agent, created_at) \
         SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) \
                  PLACING substring(int8send(floor(extract(epoch FROM at) * 1000)::bigint) FROM 3) \
                  FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid, \
                $1, a.id, a.name, \
                (ARRAY['invitation.sent','invitation.accepted','member.role_changed','api_key.created', \
                       'api_key.rotated','project_access.granted','billing.credits_added', \
                       'member.removed'])[1 + kind], \
                (ARRAY['invitation','invitation','member','api_key','api_key','member','organization', \
                       'member'])[1 + kind], \
                CASE WHEN kind IN (2, 5, 7) THEN t.id ELSE gen_random_uuid() END, \
                CASE WHEN kind IN (0, 1) THEN 'invitee' || i || '@example.com' \
                     WHEN kind IN (3, 4) THEN 'key-' || i \
                     WHEN kind = 6 THEN 'Demo Co' ELSE t.name END, \
                CASE kind WHEN 2 THEN jsonb_build_object('role', 'viewer') \
                          WHEN 4 THEN jsonb_build_object('prefix', 'tw_live_' || lpad(i::text, 8, '0')) \
                          WHEN 7 THEN jsonb_build_object('role', 'developer') END, \
                CASE kind WHEN 0 THEN jsonb_build_object('email', 'invitee' || i || '@example.com', 'role', 'developer') \
                          WHEN 1 THEN jsonb_build_object('member', t.name, 'role', 'developer') \
                          WHEN 2 THEN jsonb_build_object('role', 'developer') \
                          WHEN 3 THEN jsonb_build_object('name', 'key-' || i, 'project', 'Website') \
                          WHEN 4 THEN jsonb_build_object('new_prefix', 'tw_live_' || lpad((i + 1)::text, 8, '0')) \
                          WHEN 5 THEN jsonb_build_object('project', 'Website', 'role', 'viewer') \
                          WHEN 6 THEN jsonb_build_object('amount_micro', 100000000, 'reference', 'INV-' || i) END, \
                '203.0.113.' || (i % 250 + 1), 'Mozilla/5.0 (teamwork seed-demo)', at \
         FROM entries e JOIN seed_people a ON a.n = e.actor JOIN seed_people t ON t.n = e.target",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Timestamptz, _>(start)
    .bind::<BigInt, _>(step_ms)
    .bind::<Integer, _>(n)
    .execute(conn)
    .map(drop)
}
