//! Access health: the open items of an organization's access checklist, counted from
//! current data in one statement (never cached), and the sidebar's number of open checks
//! (kept for a minute, or until the next change recorded in the activity log).

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::cached_sql;

/// How many things each check finds. Names follow the checks on the page.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct HealthCounts {
    #[diesel(sql_type = BigInt)]
    pub administrators: i64,
    #[diesel(sql_type = BigInt)]
    pub stale_invitations: i64,
    #[diesel(sql_type = BigInt)]
    pub orphaned_keys: i64,
    #[diesel(sql_type = BigInt)]
    pub unused_keys: i64,
    #[diesel(sql_type = BigInt)]
    pub open_ended_access: i64,
    #[diesel(sql_type = BigInt)]
    pub without_two_factor: i64,
    #[diesel(sql_type = BigInt)]
    pub inactive_administrators: i64,
}

/// An invitation waiting longer than this is a lead gone cold (or an expired link).
pub const STALE_INVITATION_DAYS: i64 = 3;
/// Keys and administrators unused for this long are worth a look.
pub const IDLE_DAYS: i64 = 90;

// The predicates both statements share, so the page and the badge always agree.
// $1 the organization, $2 now - 3 days, $3 now - 90 days, $4 now.
// Subqueries are uncorrelated (`IN`/`NOT IN`, ids are never null) so that Postgres
// hashes each once instead of probing per row: 18,000 keys against 10,000 members.
const LIVE_KEY: &str = "k.org_id = $1 AND k.revoked_at IS NULL \
     AND (k.expires_at IS NULL OR k.expires_at > $4) \
     AND k.project_id IN (SELECT id FROM projects WHERE org_id = $1 AND archived_at IS NULL)";
const ORPHANED: &str = "(k.created_by IS NULL OR k.created_by NOT IN (SELECT user_id FROM \
     memberships WHERE org_id = $1 UNION ALL SELECT user_id FROM project_members WHERE org_id = $1))";
const UNUSED: &str = "coalesce(k.last_used_at, k.created_at) < $3";
const STALE_INVITATION: &str = "i.org_id = $1 AND i.status = 'pending' AND i.sent_at < $2";
const OPEN_ENDED: &str = "pm.org_id = $1 AND pm.access_until IS NULL";
const NO_TWO_FACTOR: &str = "x.user_id NOT IN (SELECT user_id FROM two_factor_secrets \
     WHERE enabled_at IS NOT NULL)";
const INACTIVE_ADMIN: &str = "m.org_id = $1 AND m.role = 'administrator' \
     AND coalesce(u.last_active_at, m.created_at) < $3";

fn people() -> String {
    "(SELECT user_id FROM memberships WHERE org_id = $1 \
      UNION ALL SELECT user_id FROM project_members WHERE org_id = $1) x"
        .to_owned()
}

/// Every check's count, in one statement.
pub fn counts(
    conn: &mut PgConnection,
    org_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<HealthCounts> {
    let sql = format!(
        "SELECT \
          (SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'administrator') AS administrators, \
          (SELECT count(*) FROM invitations i WHERE {STALE_INVITATION}) AS stale_invitations, \
          (SELECT count(*) FROM api_keys k WHERE {LIVE_KEY} AND {ORPHANED}) AS orphaned_keys, \
          (SELECT count(*) FROM api_keys k WHERE {LIVE_KEY} AND {UNUSED}) AS unused_keys, \
          (SELECT count(*) FROM project_members pm WHERE {OPEN_ENDED}) AS open_ended_access, \
          (SELECT count(*) FROM {people} WHERE {NO_TWO_FACTOR}) AS without_two_factor, \
          (SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE {INACTIVE_ADMIN}) \
             AS inactive_administrators",
        people = people()
    );
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(org_id)
        .bind::<Timestamptz, _>(now - Duration::days(STALE_INVITATION_DAYS))
        .bind::<Timestamptz, _>(now - Duration::days(IDLE_DAYS))
        .bind::<Timestamptz, _>(now)
        .get_result(conn)
}

#[derive(QueryableByName)]
struct Open {
    #[diesel(sql_type = Integer)]
    open: i32,
}

/// How long the sidebar's badge is shown as kept (`access_health_badges`) before a page
/// computes it again.
pub const BADGE_FRESH_SECONDS: i64 = 60;

/// The badge as the page's layout statement read it: the number and when it was computed.
#[derive(Debug, Clone, Copy)]
pub struct KeptBadge {
    pub open_checks: i32,
    pub computed_at: DateTime<Utc>,
}

impl KeptBadge {
    /// The kept number while it is younger than [`BADGE_FRESH_SECONDS`] at `now`.
    pub fn fresh_at(self, now: DateTime<Utc>) -> Option<i64> {
        let age = now - self.computed_at;
        (age >= Duration::zero() && age < Duration::seconds(BADGE_FRESH_SECONDS))
            .then_some(i64::from(self.open_checks))
    }
}

/// How many checks are open, from the page's counts: the same rule as the badge's probes.
pub fn open_of(counts: &HealthCounts) -> i64 {
    [
        counts.administrators < 2,
        counts.stale_invitations > 0,
        counts.orphaned_keys > 0,
        counts.unused_keys > 0,
        counts.open_ended_access > 0,
        counts.without_two_factor > 0,
        counts.inactive_administrators > 0,
    ]
    .into_iter()
    .filter(|open| *open)
    .count() as i64
}

// Existence probes, each stopping at the first item it finds, so that the cost does not
// grow with the organization while there is something to fix; then the upsert, in the
// same statement. Built once; the connection keeps it prepared.
static REFRESH_BADGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO access_health_badges (org_id, open_checks, computed_at) SELECT $1, ( \
          (SELECT count(*) < 2 FROM (SELECT 1 FROM memberships WHERE org_id = $1 AND role = 'administrator' LIMIT 2) a)::int \
          + (EXISTS (SELECT 1 FROM invitations i WHERE {STALE_INVITATION}))::int \
          + (EXISTS (SELECT 1 FROM api_keys k WHERE {LIVE_KEY} AND {ORPHANED}))::int \
          + (EXISTS (SELECT 1 FROM api_keys k WHERE {LIVE_KEY} AND {UNUSED}))::int \
          + (EXISTS (SELECT 1 FROM project_members pm WHERE {OPEN_ENDED}))::int \
          + (EXISTS (SELECT 1 FROM {people} WHERE {NO_TWO_FACTOR}))::int \
          + (EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE {INACTIVE_ADMIN}))::int \
         ), $4 \
         ON CONFLICT (org_id) DO UPDATE SET open_checks = EXCLUDED.open_checks, computed_at = EXCLUDED.computed_at \
         RETURNING open_checks AS open",
        people = people()
    )
});

/// How many checks have an open item: the sidebar's badge, computed now and kept for the
/// pages of the next [`BADGE_FRESH_SECONDS`]. One statement.
pub fn refresh_badge(
    conn: &mut PgConnection,
    org_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    Ok(cached_sql::query(REFRESH_BADGE.as_str())
        .bind::<SqlUuid, _>(org_id)
        .bind::<Timestamptz, _>(now - Duration::days(STALE_INVITATION_DAYS))
        .bind::<Timestamptz, _>(now - Duration::days(IDLE_DAYS))
        .bind::<Timestamptz, _>(now)
        .get_result::<Open>(conn)?
        .open
        .into())
}

/// Keeps `open_checks`, counted by the Access health page itself, for the badge.
pub fn keep_badge(
    conn: &mut PgConnection,
    org_id: Uuid,
    open_checks: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use crate::schema::access_health_badges as b;
    let open_checks = i32::try_from(open_checks).unwrap_or(i32::MAX);
    diesel::insert_into(b::table)
        .values((
            b::org_id.eq(org_id),
            b::open_checks.eq(open_checks),
            b::computed_at.eq(now),
        ))
        .on_conflict(b::org_id)
        .do_update()
        .set((b::open_checks.eq(open_checks), b::computed_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// Drops the kept badge of `org_id`, so that the next page computes it: for changes that
/// may open or close a check (every change recorded in the activity log).
pub fn forget_badge(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<()> {
    use crate::schema::access_health_badges as b;
    diesel::delete(b::table.filter(b::org_id.eq(org_id)))
        .execute(conn)
        .map(drop)
}
