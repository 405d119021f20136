//! Connection pool and the single entry point for running Diesel code.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::web;
use diesel::PgConnection;
use diesel::connection::{Connection, Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a request waits for a free connection before it gets a 503 (R37).
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    statements: Arc<AtomicU64>,
}

impl Db {
    /// Builds the pool without connecting, so the app starts (and `/readyz` says 503)
    /// while the database is down, and recovers by itself when it comes back.
    pub fn new(url: &str, max_size: u32) -> Self {
        let statements = Arc::new(AtomicU64::new(0));
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .test_on_check_out(false)
            .connection_customizer(Box::new(SessionSetup {
                statements: statements.clone(),
            }))
            .build_unchecked(ConnectionManager::new(with_connect_timeout(url)));
        Db { pool, statements }
    }

    /// SQL statements run through this pool so far (benchmarks and the
    /// statements-per-page tests read it).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Runs blocking Diesel work on actix's blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Applies pending migrations; run at startup and by `teamwork migrate`.
    pub fn migrate(&self) -> Result<Vec<String>, AppError> {
        let mut conn = self.pool.get()?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| AppError::Internal(format!("migrations failed: {e}")))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Prepares each new connection: server-side limits so that a stuck query or an
/// abandoned transaction cannot hold a connection (or a lock) for long (R37), and the
/// statement counter.
#[derive(Debug)]
struct SessionSetup {
    statements: Arc<AtomicU64>,
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            "SET statement_timeout = '5s'; SET lock_timeout = '3s'; \
             SET idle_in_transaction_session_timeout = '10s'",
        )
        .map_err(diesel::r2d2::Error::QueryError)?;
        conn.set_instrumentation(StatementCounter(self.statements.clone()));
        Ok(())
    }
}

struct StatementCounter(Arc<AtomicU64>);

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Adds libpq's `connect_timeout` and TCP keepalives unless the URL sets them.
fn with_connect_timeout(url: &str) -> String {
    let mut url = url.to_owned();
    for (key, value) in [("connect_timeout", "3"), ("keepalives_idle", "10")] {
        if !url.contains(&format!("{key}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{key}={value}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::with_connect_timeout;

    #[test]
    fn connect_timeout_is_added_once() {
        assert_eq!(
            with_connect_timeout("postgres://h/db"),
            "postgres://h/db?connect_timeout=3&keepalives_idle=10"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?host=/s&connect_timeout=1"),
            "postgres://h/db?host=/s&connect_timeout=1&keepalives_idle=10"
        );
    }
}
