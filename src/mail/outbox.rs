//! The outbox table: emails written with the change that causes them, and their delivery state.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double};
use uuid::Uuid;

use super::{Email, MAX_NAME_CHARS, MAX_SUBJECT_CHARS, header_text};
use crate::schema::outbox;

const QUEUED: &str = "queued";
const SENDING: &str = "sending";
const SENT: &str = "sent";
const FAILED: &str = "failed";

/// The id of an outbox row; a feature keeps it (e.g. on the invitation) to show delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutboxId(pub Uuid);

impl From<OutboxId> for Uuid {
    fn from(id: OutboxId) -> Uuid {
        id.0
    }
}

/// Where an email stands, as an administrator sees it (e.g. next to an invitation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Waiting for its first attempt, being sent, or waiting for a retry.
    Queued,
    Sent,
    /// Refused by the mail server, or given up after 24 hours of retries: the reason.
    Failed(String),
}

/// Writes `email` to the outbox and returns its id; the worker sends it after the commit.
/// Call it inside the transaction of the change that causes the email, so that both commit
/// or roll back together (R36), then `WorkerHandle::wake` after the commit.
/// `kind` names the email (`invitation`, `password_reset`, ...: lowercase and `_`).
/// `base_url` is `Config::base_url`: its host ends the Message-ID, fixed here for all retries.
pub fn enqueue(
    conn: &mut PgConnection,
    org_id: Option<Uuid>,
    kind: &str,
    email: &Email,
    base_url: &str,
) -> QueryResult<OutboxId> {
    debug_assert!(
        in_transaction(conn),
        "outbox::enqueue belongs inside the transaction of the change it reports"
    );
    let id = Uuid::now_v7();
    let name = email
        .name
        .as_deref()
        .map(|name| header_text(name, MAX_NAME_CHARS))
        .filter(|name| !name.is_empty());
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(id),
            outbox::org_id.eq(org_id),
            outbox::kind.eq(kind),
            outbox::recipient.eq(email.recipient.as_str()),
            outbox::recipient_name.eq(name),
            outbox::subject.eq(header_text(&email.subject, MAX_SUBJECT_CHARS)),
            outbox::body_text.eq(&email.text),
            outbox::body_html.eq(&email.html),
            outbox::message_id.eq(message_id(base_url)),
        ))
        .execute(conn)?;
    Ok(OutboxId(id))
}

/// The delivery state of one email; `None` when there is no such row.
pub fn status(conn: &mut PgConnection, id: OutboxId) -> QueryResult<Option<Delivery>> {
    let row = outbox::table
        .find(id.0)
        .select((outbox::status, outbox::last_error))
        .first::<(String, Option<String>)>(conn)
        .optional()?;
    Ok(row.map(|(status, error)| delivery(&status, error)))
}

/// The delivery states of many emails at once (a list page); unknown ids are left out.
pub fn statuses(
    conn: &mut PgConnection,
    ids: &[OutboxId],
) -> QueryResult<HashMap<OutboxId, Delivery>> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let rows = outbox::table
        .filter(outbox::id.eq_any(ids))
        .select((outbox::id, outbox::status, outbox::last_error))
        .load::<(Uuid, String, Option<String>)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, status, error)| (OutboxId(id), delivery(&status, error)))
        .collect())
}

fn delivery(status: &str, error: Option<String>) -> Delivery {
    match status {
        SENT => Delivery::Sent,
        FAILED => Delivery::Failed(error.unwrap_or_default()),
        _ => Delivery::Queued,
    }
}

fn in_transaction(conn: &mut PgConnection) -> bool {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    matches!(
        AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(Some(_))
    )
}

/// `<random uuid@host of BASE_URL>`: random, so it says nothing about the row or the time.
fn message_id(base_url: &str) -> String {
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .filter(|host| {
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
        })
        .unwrap_or_else(|| "localhost".to_owned());
    format!("<{}@{host}>", Uuid::new_v4().simple())
}

/// An outbox row claimed by a worker. `(id, attempts)` identifies the claim: every record
/// below matches on it, so a worker whose lease ran out cannot overwrite a newer claim.
#[derive(Debug, Clone, QueryableByName)]
#[diesel(table_name = outbox)]
pub(crate) struct Claimed {
    pub id: Uuid,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// Claims up to `batch` due rows for `lease` (rows of a worker whose lease expired count as
/// due) and counts the attempt. One statement, so the claim is committed when it returns;
/// `SKIP LOCKED` lets concurrent workers claim disjoint rows without waiting.
pub(crate) fn claim(
    conn: &mut PgConnection,
    batch: i64,
    lease: Duration,
) -> QueryResult<Vec<Claimed>> {
    let mut rows: Vec<Claimed> = diesel::sql_query(
        "UPDATE outbox \
         SET status = 'sending', locked_until = now() + make_interval(secs => $1), \
             attempts = attempts + 1 \
         WHERE id IN ( \
             SELECT id FROM outbox \
             WHERE status IN ('queued', 'sending') \
               AND (status = 'queued' OR locked_until < now()) \
               AND next_attempt_at <= now() \
             ORDER BY next_attempt_at \
             LIMIT $2 \
             FOR UPDATE SKIP LOCKED) \
         RETURNING id, recipient, recipient_name, subject, body_text, body_html, message_id, \
                   attempts, created_at",
    )
    .bind::<Double, _>(lease.as_secs_f64())
    .bind::<BigInt, _>(batch)
    .load(conn)?;
    rows.sort_by_key(|row| row.id);
    Ok(rows)
}

/// Records a successful send. Sent is final and wins over any other claim of the row.
/// Both bodies are blanked: the secrets they carried are no longer needed here.
pub(crate) fn mark_sent(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::update(outbox::table.find(id).filter(outbox::status.ne(SENT)))
        .set((
            outbox::status.eq(SENT),
            outbox::sent_at.eq(diesel::dsl::now),
            outbox::locked_until.eq(None::<DateTime<Utc>>),
            outbox::last_error.eq(None::<String>),
            outbox::body_text.eq(""),
            outbox::body_html.eq(""),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Puts the claimed row back in the queue until `at`, keeping the error for the operator.
pub(crate) fn retry_later(
    conn: &mut PgConnection,
    id: Uuid,
    attempts: i32,
    at: DateTime<Utc>,
    error: &str,
) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::attempts.eq(attempts))
            .filter(outbox::status.eq(SENDING)),
    )
    .set((
        outbox::status.eq(QUEUED),
        outbox::next_attempt_at.eq(at),
        outbox::locked_until.eq(None::<DateTime<Utc>>),
        outbox::last_error.eq(error),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Marks the claimed row failed for good with the reason shown to administrators.
pub(crate) fn mark_failed(
    conn: &mut PgConnection,
    id: Uuid,
    attempts: i32,
    reason: &str,
) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::attempts.eq(attempts))
            .filter(outbox::status.eq(SENDING)),
    )
    .set((
        outbox::status.eq(FAILED),
        outbox::locked_until.eq(None::<DateTime<Utc>>),
        outbox::last_error.eq(reason),
        outbox::body_text.eq(""),
        outbox::body_html.eq(""),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Gives back a claimed row that was not attempted (the worker is stopping), uncounted.
pub(crate) fn release(conn: &mut PgConnection, id: Uuid, attempts: i32) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::attempts.eq(attempts))
            .filter(outbox::status.eq(SENDING)),
    )
    .set((
        outbox::status.eq(QUEUED),
        outbox::locked_until.eq(None::<DateTime<Utc>>),
        outbox::attempts.eq(outbox::attempts - 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

#[cfg(test)]
mod tests {
    use super::message_id;

    #[test]
    fn message_ids_are_unique_and_end_with_the_host_of_base_url() {
        let a = message_id("https://console.example.com");
        assert!(
            a.starts_with('<') && a.ends_with("@console.example.com>"),
            "{a}"
        );
        assert_ne!(a, message_id("https://console.example.com"));
        assert!(message_id("http://127.0.0.1:8080").ends_with("@127.0.0.1>"));
        assert!(message_id("not a url").ends_with("@localhost>"));
    }
}

/// Outbox figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct OutboxStats {
    /// Waiting for a first attempt, being sent, or waiting for a retry.
    #[diesel(sql_type = BigInt)]
    pub queued: i64,
    #[diesel(sql_type = BigInt)]
    pub sent: i64,
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
    /// Age of the oldest queued email, 0 when none.
    #[diesel(sql_type = Double)]
    pub oldest_queued_seconds: f64,
}

/// One aggregate over the table (rows are small: bodies are blanked once sent).
pub fn stats(conn: &mut PgConnection) -> QueryResult<OutboxStats> {
    diesel::sql_query(
        "SELECT count(*) FILTER (WHERE status IN ('queued', 'sending')) AS queued, \
                count(*) FILTER (WHERE status = 'sent') AS sent, \
                count(*) FILTER (WHERE status = 'failed') AS failed, \
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) \
                    FILTER (WHERE status IN ('queued', 'sending'))), 0)::float8 \
                    AS oldest_queued_seconds \
         FROM outbox",
    )
    .get_result(conn)
}
