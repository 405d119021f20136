//! Fixed-window attempt counters shared by every instance (`throttle_counters`).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz};

#[derive(Debug, QueryableByName)]
pub struct Window {
    #[diesel(sql_type = Integer)]
    pub hits: i32,
    #[diesel(sql_type = Timestamptz)]
    pub window_start: DateTime<Utc>,
}

impl Window {
    /// When this window ends, i.e. when a refused caller may try again.
    pub fn ends_at(&self, window: Duration) -> DateTime<Utc> {
        self.window_start + window
    }
}

/// Counts one attempt under `key` and returns the window with this attempt included. A
/// window older than `window` starts over at 1. One statement holding the row lock: two
/// concurrent attempts never see the same count.
pub fn hit(
    conn: &mut PgConnection,
    key: &str,
    window: Duration,
    now: DateTime<Utc>,
) -> QueryResult<Window> {
    diesel::sql_query(
        "INSERT INTO throttle_counters AS t (key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN t.window_start <= $3 THEN 1 ELSE t.hits + 1 END, \
           window_start = CASE WHEN t.window_start <= $3 THEN $2 ELSE t.window_start END \
         RETURNING hits, window_start",
    )
    .bind::<Text, _>(key)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(now - window)
    .get_result(conn)
}

/// Takes one attempt back (it turned out legitimate, e.g. a successful log-in).
pub fn forgive(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("UPDATE throttle_counters SET hits = GREATEST(hits - 1, 0) WHERE key = $1")
        .bind::<Text, _>(key)
        .execute(conn)
        .map(drop)
}

/// Forgets every attempt under `key`.
pub fn clear(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM throttle_counters WHERE key = $1")
        .bind::<Text, _>(key)
        .execute(conn)
        .map(drop)
}

pub fn delete_before(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM throttle_counters WHERE window_start < $1")
        .bind::<Timestamptz, _>(cutoff)
        .execute(conn)
}
