//! Toasts: short messages that htmx responses carry in `HX-Trigger` for static/app.js.

use actix_web::http::header::{HeaderName, HeaderValue};

#[derive(Debug, Clone, Copy)]
pub enum Level {
    Success,
    Error,
    Info,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Success => "success",
            Level::Error => "error",
            Level::Info => "info",
        }
    }
}

/// `HX-Trigger: {"toast": {...}}`, which static/app.js shows as a toast.
pub fn toast_header(level: Level, message: &str) -> (HeaderName, HeaderValue) {
    let payload = serde_json::json!({ "toast": { "level": level.as_str(), "message": message } });
    // serde_json escapes control characters and non-ASCII stays valid UTF-8 JSON; header
    // values must be visible ASCII, so non-ASCII is escaped as \uXXXX.
    let value = payload
        .to_string()
        .chars()
        .fold(String::new(), |mut out, c| {
            if (' '..='~').contains(&c) {
                out.push(c);
            } else {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            out
        });
    (
        HeaderName::from_static("hx-trigger"),
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("{}")),
    )
}
