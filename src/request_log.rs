//! One log line per request, with the route pattern instead of the raw path, so that
//! tokens in paths and query strings never reach the logs (R35).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing::Instrument;

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let span = tracing::info_span!("request", id = %uuid::Uuid::new_v4());
    let result = next.call(req).instrument(span.clone()).await;
    let _entered = span.enter();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(response) => {
            let route = response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into());
            let status = response.status().as_u16();
            tracing::info!(%method, %route, status, elapsed_ms, "request");
        }
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            tracing::info!(%method, status, elapsed_ms, "request");
        }
    }
    result
}
