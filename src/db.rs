//! Connection pool and the single entry point for running Diesel code.

use std::time::Duration;

use actix_web::web;
use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a request waits for a free connection before it gets a 503 (R37).
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct Db(PgPool);

impl Db {
    /// Builds the pool without connecting, so the app starts (and `/readyz` says 503)
    /// while the database is down, and recovers by itself when it comes back.
    pub fn new(url: &str, max_size: u32) -> Self {
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .test_on_check_out(false)
            .connection_customizer(Box::new(SessionTimeouts))
            .build_unchecked(ConnectionManager::new(with_connect_timeout(url)));
        Db(pool)
    }

    /// Runs blocking Diesel work on actix's blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.0.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Applies pending migrations; run at startup and by `teamwork migrate`.
    pub fn migrate(&self) -> Result<Vec<String>, AppError> {
        let mut conn = self.0.get()?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| AppError::Internal(format!("migrations failed: {e}")))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }

    pub fn pool(&self) -> &PgPool {
        &self.0
    }
}

/// Server-side limits so that a stuck query or an abandoned transaction cannot hold a
/// connection (or a lock) for long (R37).
#[derive(Debug)]
struct SessionTimeouts;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionTimeouts {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            "SET statement_timeout = '5s'; SET lock_timeout = '3s'; \
             SET idle_in_transaction_session_timeout = '10s'",
        )
        .map_err(diesel::r2d2::Error::QueryError)
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
