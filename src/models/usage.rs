//! Usage reports, aggregated for the project page and the Usage page. Reports are
//! written (and charged) by `usage_charges::insert`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::schema::usage_events;

/// Requests and tokens of a project since a time.
#[derive(Debug, Clone, Copy, Default, Queryable)]
pub struct Totals {
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

pub fn project_totals(
    conn: &mut PgConnection,
    org_id: Uuid,
    project_id: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<Totals> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    // Sums of bigint are numeric in Postgres; cast back (totals stay far below 2^63).
    usage_events::table
        .filter(usage_events::org_id.eq(org_id))
        .filter(usage_events::project_id.eq(project_id))
        .filter(usage_events::occurred_at.ge(since))
        .select((
            sql::<BigInt>("coalesce(sum(requests), 0)::bigint"),
            sql::<BigInt>("coalesce(sum(input_tokens), 0)::bigint"),
            sql::<BigInt>("coalesce(sum(output_tokens), 0)::bigint"),
        ))
        .first(conn)
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
/// is set. One statement over the covering index, names joined after aggregating.
pub fn daily(
    conn: &mut PgConnection,
    org_id: Uuid,
    project: Option<Uuid>,
    since: DateTime<Utc>,
) -> QueryResult<Vec<DailyUsage>> {
    diesel::sql_query(
        "SELECT u.day, u.project_id, p.name AS project_name, u.requests, u.tokens, u.cost_micro \
         FROM (SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, project_id, \
                      sum(requests)::bigint AS requests, \
                      sum(input_tokens + output_tokens)::bigint AS tokens, \
                      sum(cost_micro)::bigint AS cost_micro \
               FROM usage_events \
               WHERE org_id = $1 AND occurred_at >= $2 AND ($3::uuid IS NULL OR project_id = $3) \
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
               FROM usage_events \
               WHERE org_id = $1 AND occurred_at >= $2 AND ($3::uuid IS NULL OR project_id = $3) \
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
