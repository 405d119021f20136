//! htmx request headers, and the helpers that turn templates into responses.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use crate::error::AppError;

/// The htmx headers that decide between a full page and a fragment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hx {
    request: bool,
    boosted: bool,
    history_restore: bool,
}

impl Hx {
    pub fn from_request(req: &HttpRequest) -> Self {
        let flag = |name: &str| req.headers().get(name).is_some_and(|v| v == "true");
        Hx {
            request: flag("HX-Request"),
            boosted: flag("HX-Boosted"),
            history_restore: flag("HX-History-Restore-Request"),
        }
    }

    pub fn is_htmx(&self) -> bool {
        self.request
    }

    /// Boosted navigations and history-cache misses expect a full page.
    pub fn wants_fragment(&self) -> bool {
        self.request && !self.boosted && !self.history_restore
    }
}

impl FromRequest for Hx {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Hx::from_request(req)))
    }
}

/// A 200 HTML response. Every HTML response varies on `HX-Request` (R28).
pub fn html(template: &impl Template) -> Result<HttpResponse, AppError> {
    html_with_status(StatusCode::OK, template)
}

/// Used with 422 for a form re-rendered with its field messages.
pub fn html_with_status(
    status: StatusCode,
    template: &impl Template,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::VARY, "HX-Request"))
        .body(template.render()?))
}

/// A page whose URL holds a secret (a join or reset link): no referrer leaves it and
/// nothing caches it (R16).
pub fn secret_page(status: StatusCode, template: &impl Template) -> Result<HttpResponse, AppError> {
    let mut response = html_with_status(status, template)?;
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// After a successful form post: a 303 for plain forms, `HX-Redirect` for htmx (which
/// would otherwise follow the 303 and swap the whole next page into a fragment).
pub fn redirect(hx: &Hx, location: &str) -> HttpResponse {
    if hx.is_htmx() {
        HttpResponse::Ok()
            .insert_header(("HX-Redirect", location))
            .finish()
    } else {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish()
    }
}

pub use crate::toast::{Level, toast_header};

/// Adds a toast to a response.
pub fn toast(mut response: HttpResponse, level: Level, message: &str) -> HttpResponse {
    let (name, value) = toast_header(level, message);
    response.headers_mut().insert(name, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toast_header_is_ascii_json() {
        let (_, value) = toast_header(Level::Success, "Renamed to “Acmé” 🚀\r\n");
        let text = value.to_str().unwrap();
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(parsed["toast"]["message"], "Renamed to “Acmé” 🚀\r\n");
        assert_eq!(parsed["toast"]["level"], "success");
    }
}
