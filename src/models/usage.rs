//! Usage for the project page and the Usage page, read from the hourly rollup
//! (`usage_hourly`) only, so that these reads cost the same however many raw reports
//! there are. Reports are written (and charged) by `usage_charges::insert`; the rollup
//! is kept by the raw table's insert trigger.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// Requests and tokens of a project since a time.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct Totals {
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
    #[diesel(sql_type = BigInt)]
    pub input_tokens: i64,
    #[diesel(sql_type = BigInt)]
    pub output_tokens: i64,
}

/// Since the hour that holds `since`.
pub fn project_totals(
    conn: &mut PgConnection,
    org_id: Uuid,
    project_id: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<Totals> {
    diesel::sql_query(
        "SELECT coalesce(sum(requests), 0)::bigint AS requests, \
                coalesce(sum(input_tokens), 0)::bigint AS input_tokens, \
                coalesce(sum(output_tokens), 0)::bigint AS output_tokens \
         FROM usage_hourly \
         WHERE org_id = $1 AND project_id = $2 AND hour >= date_trunc('hour', $3, 'UTC')",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<SqlUuid, _>(project_id)
    .bind::<Timestamptz, _>(since)
    .get_result(conn)
}

/// One project's usage on one day (UTC).
#[derive(Debug, Clone, QueryableByName)]
pub struct DailyUsage {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = SqlUuid)]
    pub project_id: Uuid,
    #[diesel(sql_type = Text)]
    pub project_name: String,
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
    #[diesel(sql_type = BigInt)]
    pub tokens: i64,
    #[diesel(sql_type = BigInt)]
    pub cost_micro: i64,
}

/// Usage since `since` by day and project, oldest first; of one project when `project`
/// is set. One statement over the rollup; `since` is a UTC midnight (the rollup is
/// by hour); names joined after aggregating.
pub fn daily(
    conn: &mut PgConnection,
    org_id: Uuid,
    project: Option<Uuid>,
    since: DateTime<Utc>,
) -> QueryResult<Vec<DailyUsage>> {
    diesel::sql_query(
        "SELECT u.day, u.project_id, p.name AS project_name, u.requests, u.tokens, u.cost_micro \
         FROM (SELECT (hour AT TIME ZONE 'UTC')::date AS day, project_id, \
                      sum(requests)::bigint AS requests, \
                      sum(input_tokens + output_tokens)::bigint AS tokens, \
                      sum(cost_micro)::bigint AS cost_micro \
               FROM usage_hourly \
               WHERE org_id = $1 AND hour >= $2 AND ($3::uuid IS NULL OR project_id = $3) \
               GROUP BY 1, 2) u \
         JOIN projects p ON p.id = u.project_id \
         ORDER BY u.day, p.name, u.project_id",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Timestamptz, _>(since)
    .bind::<Nullable<SqlUuid>, _>(project)
    .load(conn)
}

/// One key's usage over a period, with its project.
#[derive(Debug, Clone, QueryableByName)]
pub struct KeyUsage {
    #[diesel(sql_type = SqlUuid)]
    pub project_id: Uuid,
    #[diesel(sql_type = Text)]
    pub project_name: String,
    #[diesel(sql_type = SqlUuid)]
    pub key_id: Uuid,
    #[diesel(sql_type = Text)]
    pub key_name: String,
    #[diesel(sql_type = Text)]
    pub key_prefix: String,
    #[diesel(sql_type = BigInt)]
    pub requests: i64,
    #[diesel(sql_type = BigInt)]
    pub input_tokens: i64,
    #[diesel(sql_type = BigInt)]
    pub output_tokens: i64,
    #[diesel(sql_type = BigInt)]
    pub cost_micro: i64,
}

impl KeyUsage {
    pub fn cost(&self) -> crate::domain::Credits {
        crate::domain::Credits::from_micro(self.cost_micro)
    }
}

/// Usage since `since` by project and key, dearest first (one statement).
pub fn by_key(
    conn: &mut PgConnection,
    org_id: Uuid,
    project: Option<Uuid>,
    since: DateTime<Utc>,
) -> QueryResult<Vec<KeyUsage>> {
    diesel::sql_query(
        "SELECT u.project_id, p.name AS project_name, u.api_key_id AS key_id, k.name AS key_name, \
                k.prefix AS key_prefix, u.requests, u.input_tokens, u.output_tokens, u.cost_micro \
         FROM (SELECT project_id, api_key_id, sum(requests)::bigint AS requests, \
                      sum(input_tokens)::bigint AS input_tokens, \
                      sum(output_tokens)::bigint AS output_tokens, \
                      sum(cost_micro)::bigint AS cost_micro \
               FROM usage_hourly \
               WHERE org_id = $1 AND hour >= $2 AND ($3::uuid IS NULL OR project_id = $3) \
               GROUP BY 1, 2) u \
         JOIN projects p ON p.id = u.project_id \
         JOIN api_keys k ON k.id = u.api_key_id \
         ORDER BY u.cost_micro DESC, p.name, k.name, u.api_key_id",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Timestamptz, _>(since)
    .bind::<Nullable<SqlUuid>, _>(project)
    .load(conn)
}
