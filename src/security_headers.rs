//! The headers every response carries (R28).

/// Strict by default: no inline script or style, nothing from other origins (R28).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Sent with every response (R28). Error pages built outside the header middleware (a
/// refusal by the CSRF or session layer) add them themselves (see `error.rs`).
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
];
