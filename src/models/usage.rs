use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::usage_events;

/// One report from the gateway, already validated.
pub struct NewUsage<'a> {
    pub org_id: Uuid,
    pub project_id: Uuid,
    pub api_key_id: Uuid,
    pub model: &'a str,
    pub requests: i32,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub occurred_at: DateTime<Utc>,
}

pub fn record(conn: &mut PgConnection, usage: NewUsage<'_>) -> QueryResult<i64> {
    diesel::insert_into(usage_events::table)
        .values((
            usage_events::org_id.eq(usage.org_id),
            usage_events::project_id.eq(usage.project_id),
            usage_events::api_key_id.eq(usage.api_key_id),
            usage_events::model.eq(usage.model),
            usage_events::requests.eq(usage.requests),
            usage_events::input_tokens.eq(usage.input_tokens),
            usage_events::output_tokens.eq(usage.output_tokens),
            usage_events::occurred_at.eq(usage.occurred_at),
        ))
        .returning(usage_events::id)
        .get_result(conn)
}

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
