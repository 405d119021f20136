//! CSRF protection for every unsafe request except the key-authenticated `/api/` (R26).

use actix_session::SessionExt;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, ORIGIN};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use subtle::ConstantTimeEq;

use super::session::TypedSession;
use crate::config::Config;
use crate::error::AppError;

pub const HEADER: &str = "X-CSRF-Token";
pub const FIELD: &str = "_csrf";

/// Refuses cross-site requests and unsafe requests without the session's token.
/// Form posts carry the token as `_csrf`; it is removed from the body before the
/// handler's `deny_unknown_fields` form sees it. htmx sends it as a header.
pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method().is_safe() || req.path().starts_with("/api/") {
        return next.call(req).await;
    }
    let headers = req.headers();
    if headers
        .get("Sec-Fetch-Site")
        .is_some_and(|v| v == "cross-site")
    {
        return Err(AppError::InvalidCsrf.into());
    }
    // A page served with `Referrer-Policy: no-referrer` (join and account links, whose
    // URL is a secret) makes the browser send `Origin: null` with its own forms; the
    // browser's `Sec-Fetch-Site` still says they come from this site.
    let same_site_null_origin = headers.get(ORIGIN).is_some_and(|v| v == "null")
        && headers
            .get("Sec-Fetch-Site")
            .is_some_and(|v| v == "same-origin");
    let config = req.app_data::<web::Data<Config>>();
    if let (Some(origin), Some(config)) = (headers.get(ORIGIN), config)
        && !same_site_null_origin
        && origin.as_bytes() != origin_of(&config.base_url).as_bytes()
    {
        return Err(AppError::InvalidCsrf.into());
    }
    let header = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // The field is stripped even when the header is present: htmx sends both.
    let field = if is_form(&req) {
        take_form_token(&mut req).await?
    } else {
        None
    };
    let sent = header.or(field);
    let expected = TypedSession::from_session(req.get_session()).stored_csrf_token();
    match (sent, expected) {
        (Some(sent), Some(expected)) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => {
            next.call(req).await
        }
        _ => Err(AppError::InvalidCsrf.into()),
    }
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Reads the form body, pulls out `_csrf`, and puts the rest back for the handler.
async fn take_form_token(req: &mut ServiceRequest) -> Result<Option<String>, actix_web::Error> {
    let body = req.extract::<Bytes>().await?;
    let mut token = None;
    let rest: Vec<(String, String)> = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?
        .into_iter()
        .filter_map(|(key, value)| {
            if key == FIELD {
                token = Some(value);
                None
            } else {
                Some((key, value))
            }
        })
        .collect();
    let rest = serde_urlencoded::to_string(rest)
        .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
    req.set_payload(Payload::from(Bytes::from(rest)));
    Ok(token)
}

/// `https://host:port` of a base URL (which may carry a path).
fn origin_of(base_url: &str) -> &str {
    let after_scheme = base_url.find("://").map_or(0, |i| i + 3);
    match base_url[after_scheme..].find('/') {
        Some(slash) => &base_url[..after_scheme + slash],
        None => base_url,
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origin_is_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://console.example.com"),
            "https://console.example.com"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/teamwork"),
            "http://127.0.0.1:8080"
        );
    }
}
