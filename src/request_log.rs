//! One log line per request, with the route pattern instead of the raw path, so that
//! tokens in paths and query strings never reach the logs (R35); the same pattern labels
//! the request metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use crate::metrics::Metrics;

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    // From the app's resource map, so it is known for errors of middleware too.
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!("request", id = %uuid::Uuid::new_v4());
    let result = next.call(req).instrument(span.clone()).await;
    let _entered = span.enter();
    let elapsed = started.elapsed().as_secs_f64();
    let elapsed_ms = elapsed * 1000.0;
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(error) => error.as_response_error().status_code().as_u16(),
    };
    tracing::info!(%method, %route, status, elapsed_ms, "request");
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed);
    }
    result
}
