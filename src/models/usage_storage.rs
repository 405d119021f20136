//! The monthly partitions of the raw usage reports: created ahead, dropped after the
//! retention period (the SQL functions are in the usage-at-scale migration).

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Timestamptz};

#[derive(QueryableByName)]
struct Added {
    #[diesel(sql_type = Bool)]
    added: bool,
}

/// Creates the partitions of the month of `now` and the `ahead` months after it that do
/// not exist yet, and of every month the default partition caught rows of (moving those
/// rows in, so that old months can be dropped whole). Returns how many were created.
pub fn add_partitions(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    ahead: u32,
) -> QueryResult<usize> {
    let first = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("first of the month");
    let mut added = 0;
    for n in 0..=ahead {
        let month = first + Months::new(n);
        let row: Added = diesel::sql_query("SELECT usage_events_add_partition($1) AS added")
            .bind::<Date, _>(month)
            .get_result(conn)?;
        added += usize::from(row.added);
    }
    let caught: Vec<Count> = diesel::sql_query(
        "SELECT count(*) FILTER (WHERE usage_events_add_partition(month)) AS n \
         FROM (SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS month \
               FROM usage_events_default) AS caught",
    )
    .load(conn)?;
    Ok(added + caught.iter().map(|c| c.n as usize).sum::<usize>())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Dropped {
    #[diesel(sql_type = Integer)]
    dropped: i32,
}

/// Drops the monthly partitions whose every report is older than `cutoff`. The hourly
/// rollup keeps their totals. Returns how many were dropped.
pub fn drop_partitions_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<usize> {
    let row: Dropped = diesel::sql_query("SELECT usage_events_drop_partitions($1) AS dropped")
        .bind::<Timestamptz, _>(cutoff)
        .get_result(conn)?;
    Ok(row.dropped as usize)
}
