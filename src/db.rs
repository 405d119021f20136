//! Connection pool and the single entry point for running Diesel code.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use actix_web::error::BlockingError;
use actix_web::web;
use diesel::PgConnection;
use diesel::connection::{Connection, Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, ManageConnection, Pool};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type PgPool = Pool<Manager>;

/// Why background work (the mail worker, metrics) could not reach the database. Request
/// handlers use their own error types; this one keeps `db` free of HTTP.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("blocking task: {0}")]
    Blocking(#[from] BlockingError),
    #[error("query: {0}")]
    Query(#[from] DieselError),
}
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
            .build_unchecked(Manager(ConnectionManager::new(with_connect_timeout(url))));
        Db { pool, statements }
    }

    /// Connections open in the pool, and how many of them are idle (for `/metrics`).
    pub fn connections(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// SQL statements run through this pool so far (benchmarks and the
    /// statements-per-page tests read it).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Runs blocking Diesel work on actix's blocking thread pool. Generic over the error,
    /// so that this module knows nothing of HTTP: ops return `OpError`, reads may return
    /// `AppError`, and the edge maps both.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
        E: From<diesel::r2d2::PoolError> + From<BlockingError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        // Logs of the query code keep the request id of the request that runs it.
        let span = tracing::Span::current();
        web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Applies pending migrations; run at startup and by `teamwork migrate`.
    pub fn migrate(&self) -> Result<Vec<String>, String> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| format!("no database connection: {e}"))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| format!("migrations failed: {e}"))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// diesel's connection manager, except that a connection whose server went away is
/// dropped when it is handed back instead of failing every later request: after a
/// Postgres restart the pool reconnects by itself (R37).
#[derive(Debug)]
pub struct Manager(ConnectionManager<PgConnection>);

/// A pooled connection; derefs to `PgConnection`.
pub struct PooledPg {
    conn: PgConnection,
    /// Set when a statement failed because the connection is gone.
    lost: Arc<AtomicBool>,
}

impl Deref for PooledPg {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for PooledPg {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = PooledPg;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PooledPg, Self::Error> {
        Ok(PooledPg {
            conn: self.0.connect()?,
            lost: Arc::new(AtomicBool::new(false)),
        })
    }

    fn is_valid(&self, conn: &mut PooledPg) -> Result<(), Self::Error> {
        self.0.is_valid(&mut conn.conn)
    }

    fn has_broken(&self, conn: &mut PooledPg) -> bool {
        conn.lost.load(Ordering::Relaxed) || self.0.has_broken(&mut conn.conn)
    }
}

/// Prepares each new connection: server-side limits so that a stuck query or an
/// abandoned transaction cannot hold a connection (or a lock) for long (R37), and the
/// statement counter.
#[derive(Debug)]
struct SessionSetup {
    statements: Arc<AtomicU64>,
}

impl CustomizeConnection<PooledPg, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut PooledPg) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            "SET statement_timeout = '5s'; SET lock_timeout = '3s'; \
             SET idle_in_transaction_session_timeout = '10s'",
        )
        .map_err(diesel::r2d2::Error::QueryError)?;
        let watch = StatementWatch {
            statements: self.statements.clone(),
            lost: conn.lost.clone(),
        };
        conn.set_instrumentation(watch);
        Ok(())
    }
}

/// Counts statements, and notices when one fails because the connection is gone.
struct StatementWatch {
    statements: Arc<AtomicU64>,
    lost: Arc<AtomicBool>,
}

impl Instrumentation for StatementWatch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                self.statements.fetch_add(1, Ordering::Relaxed);
            }
            InstrumentationEvent::FinishQuery {
                error:
                    Some(DieselError::DatabaseError(
                        DatabaseErrorKind::ClosedConnection
                        | DatabaseErrorKind::UnableToSendCommand,
                        _,
                    )),
                ..
            } => self.lost.store(true, Ordering::Relaxed),
            _ => {}
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
