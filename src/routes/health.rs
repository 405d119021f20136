//! Liveness and readiness probes, outside the session middleware (R37).

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

use crate::db::Db;
use crate::error::AppError;

/// GET /healthz: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// GET /readyz: one `SELECT 1` through the pool; 503 within the pool's 3 s checkout
/// timeout when the database cannot be reached.
pub async fn readyz(db: web::Data<Db>) -> HttpResponse {
    match db
        .run(|conn| Ok::<_, AppError>(conn.batch_execute("SELECT 1")?))
        .await
    {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
