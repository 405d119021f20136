//! Refuses NUL bytes in the path or query string at the edge (400): Postgres cannot
//! store them in text and would otherwise fail deep inside a handler with a 500.

use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::error::AppError;

/// True when the raw URI carries a NUL, percent-encoded (`%00`) or not.
pub fn has_nul(path: &str, query: Option<&str>) -> bool {
    let bad = |s: &str| s.contains("%00") || s.contains('\0');
    bad(path) || query.is_some_and(bad)
}

pub async fn refuse_nul_bytes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if has_nul(req.uri().path(), req.uri().query()) {
        const MESSAGE: &str = "The address contains a character that is not allowed.";
        // Machines get the API's JSON error shape; people the error page.
        let response = if req.path().starts_with("/api/") {
            actix_web::HttpResponse::BadRequest()
                .json(serde_json::json!({ "error": "bad_request", "message": MESSAGE }))
        } else {
            AppError::BadRequest(MESSAGE.into()).error_response()
        };
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_encoded_nul_in_path_or_query_only() {
        assert!(has_nul("/orgs/%00/members", None));
        assert!(has_nul("/orgs/acme/members", Some("q=a%00b")));
        assert!(!has_nul("/orgs/acme/members", Some("q=%2500")));
        assert!(!has_nul("/orgs/acme/members", Some("q=100")));
    }
}
