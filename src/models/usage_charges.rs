//! Charging usage reports in groups: the organization's balance row locked once, then
//! the reports, their ledger entry and request ids written by one set-based statement
//! (arrays bound as parameters and unnested), whatever the number of reports.
//!
//! The balance lives on one row: every charge of an organization, from any app
//! instance, takes its lock first, so charges queue on it, each group charges the
//! balance the previous one left, and the ledger's sum stays the balance.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// One accepted report, priced, with the balance right after its charge.
pub struct Charge<'a> {
    pub project_id: Uuid,
    pub api_key_id: Uuid,
    pub model: &'a str,
    pub requests: i32,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micro: i64,
    pub occurred_at: DateTime<Utc>,
    /// The gateway's request id, remembered for retries.
    pub request_id: Option<&'a str>,
    pub balance_after_micro: i64,
}

#[derive(QueryableByName)]
struct Balance {
    #[diesel(sql_type = BigInt)]
    balance_micro: i64,
}

/// Locks the organization's balance row until the transaction ends and reads it;
/// `None` when the organization has no billing account.
pub fn lock_balance(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<i64>> {
    super::cached_sql::query(
        "SELECT balance_micro FROM billing_accounts WHERE org_id = $1 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(org_id)
    .get_result::<Balance>(conn)
    .optional()
    .map(|b| b.map(|b| b.balance_micro))
}

#[derive(QueryableByName)]
struct RecordedId {
    #[diesel(sql_type = Text)]
    request_id: String,
    #[diesel(sql_type = BigInt)]
    usage_event_id: i64,
    #[diesel(sql_type = BigInt)]
    cost_micro: i64,
}

/// Which of these request ids were recorded already: the usage event and cost of each.
/// Call it after [`lock_balance`], in its own statement: its snapshot then sees every
/// group that committed before the lock was granted.
pub fn recorded_ids(
    conn: &mut PgConnection,
    org_id: Uuid,
    request_ids: &[&str],
) -> QueryResult<HashMap<String, (i64, i64)>> {
    if request_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<RecordedId> = super::cached_sql::query(
        "SELECT request_id, usage_event_id, cost_micro FROM usage_request_ids \
         WHERE org_id = $1 AND request_id = ANY($2)",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Array<Text>, _>(request_ids)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.request_id, (r.usage_event_id, r.cost_micro)))
        .collect())
}

#[derive(QueryableByName)]
struct EventId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Writes the charges in one statement: the usage events, one ledger entry for all of
/// them (their total, the balance after the last, and their ids in order: one entry per
/// event cost three index entries and a foreign-key check per report), the request ids,
/// and the balance minus their sum. The events' insert trigger adds them to the hourly rollup, in the same
/// statement. The caller holds [`lock_balance`]'s lock and computed each
/// `balance_after_micro` from the balance it read. Returns the events' ids, in order.
///
/// A request id recorded twice fails the statement (the primary key of
/// `usage_request_ids`): under the lock the caller has filtered those out, so this only
/// guards against a path that forgot the lock, which then fails instead of charging
/// twice.
pub fn insert(
    conn: &mut PgConnection,
    org_id: Uuid,
    charges: &[Charge<'_>],
    now: DateTime<Utc>,
) -> QueryResult<Vec<i64>> {
    if charges.is_empty() {
        return Ok(Vec::new());
    }
    let column = |f: fn(&Charge<'_>) -> i64| charges.iter().map(f).collect::<Vec<i64>>();
    let project_ids: Vec<Uuid> = charges.iter().map(|c| c.project_id).collect();
    let key_ids: Vec<Uuid> = charges.iter().map(|c| c.api_key_id).collect();
    let models: Vec<&str> = charges.iter().map(|c| c.model).collect();
    let requests: Vec<i32> = charges.iter().map(|c| c.requests).collect();
    let occurred: Vec<DateTime<Utc>> = charges.iter().map(|c| c.occurred_at).collect();
    let request_ids: Vec<Option<&str>> = charges.iter().map(|c| c.request_id).collect();
    let ids: Vec<EventId> = super::cached_sql::query(
        "WITH input AS ( \
           SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::int4[], $6::int8[], \
                                $7::int8[], $8::int8[], $9::timestamptz[], $10::int8[], $11::text[]) \
             WITH ORDINALITY AS t(project_id, api_key_id, model, requests, input_tokens, \
                                  output_tokens, cost_micro, occurred_at, balance_after, \
                                  request_id, ord)), \
         numbered AS MATERIALIZED ( \
           SELECT input.*, nextval('usage_events_id_seq') AS id \
           FROM input ORDER BY ord), \
         events AS ( \
           INSERT INTO usage_events \
             (id, org_id, project_id, api_key_id, model, requests, input_tokens, output_tokens, \
              cost_micro, occurred_at, created_at) \
           SELECT id, $1, project_id, api_key_id, model, requests, input_tokens, output_tokens, \
                  cost_micro, occurred_at, $12 FROM numbered), \
         ledger AS ( \
           INSERT INTO credit_ledger (org_id, kind, amount_micro, balance_after_micro, \
                                      usage_event_id, usage_event_ids, created_at) \
           SELECT $1, 'usage', -sum(cost_micro), (array_agg(balance_after ORDER BY ord DESC))[1], \
                  (array_agg(id ORDER BY ord))[1], array_agg(id ORDER BY ord), $12 FROM numbered), \
         request_ids AS ( \
           INSERT INTO usage_request_ids (org_id, request_id, usage_event_id, cost_micro, created_at) \
           SELECT $1, request_id, id, cost_micro, $12 FROM numbered WHERE request_id IS NOT NULL), \
         account AS ( \
           UPDATE billing_accounts \
           SET balance_micro = balance_micro - (SELECT sum(cost_micro) FROM numbered), updated_at = $12 \
           WHERE org_id = $1) \
         SELECT id FROM numbered ORDER BY ord",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Array<SqlUuid>, _>(&project_ids)
    .bind::<Array<SqlUuid>, _>(&key_ids)
    .bind::<Array<Text>, _>(&models)
    .bind::<Array<Int4>, _>(&requests)
    .bind::<Array<BigInt>, _>(column(|c| c.input_tokens))
    .bind::<Array<BigInt>, _>(column(|c| c.output_tokens))
    .bind::<Array<BigInt>, _>(column(|c| c.cost_micro))
    .bind::<Array<Timestamptz>, _>(&occurred)
    .bind::<Array<BigInt>, _>(column(|c| c.balance_after_micro))
    .bind::<Array<Nullable<Text>>, _>(&request_ids)
    .bind::<Timestamptz, _>(now)
    .load(conn)?;
    Ok(ids.into_iter().map(|e| e.id).collect())
}

/// Forgets request ids recorded before `before`. Returns how many.
pub fn forget_request_ids(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    super::cached_sql::query("DELETE FROM usage_request_ids WHERE created_at < $1")
        .bind::<Timestamptz, _>(before)
        .execute(conn)
}

/// Records that these keys were used, at most once a minute per key, so that busy keys
/// do not serialize every group on their rows.
pub fn touch_keys(
    conn: &mut PgConnection,
    key_ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    super::cached_sql::query(
        "UPDATE api_keys SET last_used_at = $2 \
         WHERE id = ANY($1) AND (last_used_at IS NULL OR last_used_at < $2 - interval '1 minute')",
    )
    .bind::<Array<SqlUuid>, _>(key_ids)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .map(drop)
}
