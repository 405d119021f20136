//! The `audit_streams` row of an organization: where its activity log is streamed, and
//! the delivery cursor over the chain's gapless `seq` (the outbox is the chain itself).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::activity::ActivityRow;
use crate::schema::{activity, activity_chains, audit_streams};

/// An organization's stream settings and delivery state. The secret is left out: only
/// the worker and "Send test event" read it, through [`Claimed`] and [`target`].
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_streams)]
pub struct AuditStream {
    pub org_id: Uuid,
    pub url: String,
    pub enabled: bool,
    pub delivered_seq: i64,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

/// Where to send and how to sign. `secret` is sealed under `SECRETS_KEY` (base64),
/// bound to the organization: the sender opens it just before signing.
#[derive(Clone)]
pub struct Target {
    pub org_id: Uuid,
    pub url: String,
    pub secret: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("url", &self.url).finish()
    }
}

pub fn find(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<AuditStream>> {
    audit_streams::table
        .find(org_id)
        .select(AuditStream::as_select())
        .first(conn)
        .optional()
}

/// The stream of `org_id` with its row locked, for an operation that changes it.
pub fn lock(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<AuditStream>> {
    audit_streams::table
        .find(org_id)
        .select(AuditStream::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn target(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<Target>> {
    audit_streams::table
        .find(org_id)
        .filter(audit_streams::enabled)
        .select((audit_streams::url, audit_streams::secret))
        .first::<(String, String)>(conn)
        .optional()
        .map(|t| {
            t.map(|(url, secret)| Target {
                org_id,
                url,
                secret,
            })
        })
}

/// Turns the stream on with this endpoint and sealed secret (`None`: keep the secret). A new
/// stream starts after `head_seq`, the last entry written before it was turned on;
/// an existing one keeps its cursor, so nothing written while it was off is skipped.
/// A failing stream is retried at once with the new settings.
pub fn save(
    conn: &mut PgConnection,
    org_id: Uuid,
    url: &str,
    secret: Option<&str>,
    head_seq: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use audit_streams as s;
    let updated = diesel::update(s::table.find(org_id))
        .set((
            s::url.eq(url),
            s::enabled.eq(true),
            s::attempts.eq(0),
            s::next_attempt_at.eq(now),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        let secret = secret.unwrap_or_default();
        diesel::insert_into(s::table)
            .values((
                s::org_id.eq(org_id),
                s::url.eq(url),
                s::secret.eq(secret),
                s::delivered_seq.eq(head_seq),
                s::next_attempt_at.eq(now),
                s::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else if let Some(secret) = secret {
        diesel::update(s::table.find(org_id))
            .set(s::secret.eq(secret))
            .execute(conn)?;
    }
    Ok(())
}

pub fn disable(conn: &mut PgConnection, org_id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    use audit_streams as s;
    diesel::update(s::table.find(org_id))
        .set((s::enabled.eq(false), s::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// The head of the organization's chain (0 before its first entry).
pub fn head_seq(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<i64> {
    activity_chains::table
        .find(org_id)
        .select(activity_chains::seq)
        .first(conn)
        .optional()
        .map(Option::unwrap_or_default)
}

/// A stream claimed by one worker until `leased_until`.
#[derive(Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub org_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub url: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub secret: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub delivered_seq: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
}

/// Claims up to `limit` enabled streams that are due and have undelivered entries, for
/// `lease`, under `token`. `SKIP LOCKED`: streams another worker is claiming are left
/// to it; a lease that ran out (a worker that died) is taken over.
pub fn claim(
    conn: &mut PgConnection,
    token: Uuid,
    limit: i64,
    lease: std::time::Duration,
) -> QueryResult<Vec<Claimed>> {
    use diesel::sql_types::{BigInt, Double, Uuid as SqlUuid};
    diesel::sql_query(
        "UPDATE audit_streams s SET lease_token = $1,
                leased_until = now() + make_interval(secs => $3)
          WHERE s.org_id IN (
                SELECT d.org_id FROM audit_streams d
                  JOIN activity_chains c ON c.org_id = d.org_id
                 WHERE d.enabled AND d.next_attempt_at <= now()
                   AND (d.leased_until IS NULL OR d.leased_until < now())
                   AND c.seq > d.delivered_seq
                 ORDER BY d.next_attempt_at
                 LIMIT $2
                 FOR UPDATE OF d SKIP LOCKED)
      RETURNING s.org_id, s.url, s.secret, s.delivered_seq, s.attempts",
    )
    .bind::<SqlUuid, _>(token)
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(lease.as_secs_f64())
    .load(conn)
}

/// The entries after `after_seq`, oldest first.
pub fn entries_after(
    conn: &mut PgConnection,
    org_id: Uuid,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<ActivityRow>> {
    activity::table
        .filter(activity::org_id.eq(org_id))
        .filter(activity::seq.gt(after_seq))
        .order(activity::seq.asc())
        .limit(limit)
        .select(ActivityRow::as_select())
        .load(conn)
}

/// Records that entry `seq` was delivered, if this worker still holds the lease and the
/// stream is on; false otherwise (the caller stops: someone else owns the stream now).
pub fn delivered(
    conn: &mut PgConnection,
    org_id: Uuid,
    token: Uuid,
    seq: i64,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    use audit_streams as s;
    diesel::update(
        s::table
            .find(org_id)
            .filter(s::lease_token.eq(token))
            .filter(s::enabled)
            .filter(s::delivered_seq.eq(seq - 1)),
    )
    .set((
        s::delivered_seq.eq(seq),
        s::attempts.eq(0),
        s::last_attempt_at.eq(now),
        s::last_delivered_at.eq(now),
        s::last_error.eq(None::<String>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records a failed attempt and when to try again, and gives the lease back.
pub fn failed(
    conn: &mut PgConnection,
    org_id: Uuid,
    token: Uuid,
    attempts: i32,
    error: &str,
    now: DateTime<Utc>,
    retry_at: DateTime<Utc>,
) -> QueryResult<()> {
    use audit_streams as s;
    diesel::update(s::table.find(org_id).filter(s::lease_token.eq(token)))
        .set((
            s::attempts.eq(attempts),
            s::last_attempt_at.eq(now),
            s::last_error.eq(error),
            s::next_attempt_at.eq(retry_at),
            s::lease_token.eq(None::<Uuid>),
            s::leased_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .map(drop)
}

/// Gives the lease back after a batch, so the next pass (of any worker) goes on.
pub fn release(conn: &mut PgConnection, org_id: Uuid, token: Uuid) -> QueryResult<()> {
    use audit_streams as s;
    diesel::update(s::table.find(org_id).filter(s::lease_token.eq(token)))
        .set((
            s::lease_token.eq(None::<Uuid>),
            s::leased_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .map(drop)
}
