//! The demo's money: hourly usage by every key, the ledger that charges it, and the
//! purchases and plan the named Billing Manager chose.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::{Timeline, Total};
use crate::domain::pricing::PRICES;

/// When the Billing Manager moved the organization to Enterprise, and bought the first
/// credits (then one purchase every 30 days).
pub(super) const PLAN_AT: i32 = 150;
pub(super) const FIRST_PURCHASE_AT: i32 = 160;

/// When the `k`th purchase (from 1) was made.
pub(super) fn purchase_at(time: &Timeline, k: i32) -> chrono::DateTime<chrono::Utc> {
    time.founding(FIRST_PURCHASE_AT) + chrono::Duration::days(30 * i64::from(k - 1))
}

/// How many purchases `days` of usage take.
pub(super) fn purchases(days: i32) -> i32 {
    (days + 29) / 30
}

pub(super) fn usage_and_ledger(
    conn: &mut PgConnection,
    org_id: Uuid,
    billing_email: &str,
    time: &Timeline,
    days: i32,
) -> QueryResult<()> {
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
    .bind::<SqlUuid, _>(org_id)
    .bind::<Array<Text>, _>(&models)
    .bind::<Array<BigInt>, _>(&input)
    .bind::<Array<BigInt>, _>(&output)
    .bind::<Timestamptz, _>(time.now)
    .bind::<Integer, _>(days)
    .bind::<Integer, _>(models.len() as i32)
    .execute(conn)?;

    // The ledger matching it: a purchase every 30 days that covers the month's usage,
    // then every report's charge, in time order with the running balance.
    let usage_cost = diesel::sql_query(
        "SELECT coalesce(sum(cost_micro), 0)::bigint AS n FROM usage_events WHERE org_id = $1",
    )
    .bind::<SqlUuid, _>(org_id)
    .get_result::<Total>(conn)?
    .n;
    let purchases = purchases(days);
    let per_purchase = (usage_cost / i64::from(purchases) / 1_000_000 + 100) * 1_000_000;
    diesel::sql_query(
        "INSERT INTO credit_ledger (org_id, kind, amount_micro, balance_after_micro, reference, \
                                    usage_event_id, actor_id, actor_name, created_at) \
         SELECT $1, kind, amount, $2 + sum(amount) OVER (ORDER BY at, seq), reference, event_id, \
                actor_id, actor_name, at \
         FROM ( \
           SELECT 'purchase' AS kind, $3::bigint AS amount, 'INV-DEMO-' || lpad(k::text, 4, '0') AS reference, \
                  NULL::bigint AS event_id, u.id AS actor_id, u.name AS actor_name, \
                  $5::timestamptz + (k - 1) * interval '30 days' AS at, 0::bigint AS seq \
           FROM generate_series(1, $4) AS k, users u WHERE u.email = $6 \
           UNION ALL \
           SELECT 'usage', -cost_micro, NULL, id, NULL, NULL, occurred_at, id \
           FROM usage_events WHERE org_id = $1) AS entries \
         ORDER BY at, seq",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<BigInt, _>(crate::domain::billing::STARTING_CREDITS.micro())
    .bind::<BigInt, _>(per_purchase)
    .bind::<Integer, _>(purchases)
    .bind::<Timestamptz, _>(purchase_at(time, 1))
    .bind::<Text, _>(billing_email)
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE billing_accounts SET plan = 'enterprise', updated_at = $2, \
                balance_micro = (SELECT sum(amount_micro) FROM credit_ledger WHERE org_id = $1) \
         WHERE org_id = $1",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Timestamptz, _>(time.founding(PLAN_AT))
    .execute(conn)?;
    Ok(())
}
