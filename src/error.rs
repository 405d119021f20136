//! The one error type of the app and how each case becomes an HTTP response.
//!
//! One status policy for every page, fragment and form:
//! - invalid input: 422, with the message next to the field (forms re-render themselves);
//! - a rule of the product refused the change (the last administrator, seats, a stale
//!   actor): 409, with the rule's message;
//! - a rate or daily limit: 429, with `Retry-After` when the wait is known;
//! - a missing thing, or another organization's: 404 (the same answer for both, R3);
//! - a role too low for the action: 403;
//! - a malformed request (bytes no form can hold): 400;
//! - the database unreachable or overloaded: 503, never an allow (R37).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

/// Everything a handler can fail with. Messages of the user-facing cases are shown as
/// they are; internal cases are logged and answered with a generic page (R35).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No signed-in user. `next` is the path to come back to after logging in.
    #[error("not signed in")]
    Unauthenticated { htmx: bool, next: String },
    /// The organization `org` (its slug) requires two-factor sign-in and the member has
    /// none: they are sent to set it up (their membership stays).
    #[error("two-factor authentication required")]
    TwoFactorRequired { htmx: bool, org: String },
    /// The organization requires single sign-on for this member's address and the
    /// session came another way: they are sent to the page that leads to their IdP.
    #[error("single sign-on required")]
    SsoRequired { htmx: bool, org: String },
    #[error("forbidden")]
    Forbidden,
    /// An unsafe request without the session's CSRF token, or from another site (R26).
    #[error("missing or wrong CSRF token")]
    InvalidCsrf,
    /// A request no form could have sent (malformed bytes, unknown choices in a URL).
    #[error("{0}")]
    BadRequest(String),
    /// A value the person typed or chose is not acceptable.
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    /// A refused change that the person can understand and fix (e.g. the last administrator).
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after: Option<std::time::Duration>,
    },
    /// Too much expensive work is queued (password hashing): 503 with Retry-After (R40).
    #[error("busy")]
    Busy { retry_after: std::time::Duration },
    /// The database cannot be reached or is overloaded: fail closed with a 503 (R37).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl AppError {
    fn title_and_message(&self) -> (&'static str, String) {
        match self {
            AppError::Unauthenticated { .. } => ("Log in required", "Log in to continue.".into()),
            AppError::TwoFactorRequired { .. } => (
                "Two-factor authentication required",
                "This organization requires two-factor authentication. Set it up to continue."
                    .into(),
            ),
            AppError::SsoRequired { .. } => (
                "Single sign-on required",
                "This organization requires single sign-on. Continue with SSO.".into(),
            ),
            AppError::Forbidden => (
                "Not allowed",
                "Your role in this organization does not allow this. Ask an administrator if you need it."
                    .into(),
            ),
            AppError::InvalidCsrf => (
                "Page expired",
                "This page is out of date or was submitted from another site. Reload it and try again."
                    .into(),
            ),
            AppError::BadRequest(message) => ("Bad request", message.clone()),
            AppError::Invalid(message) => ("Check what you entered", message.clone()),
            AppError::NotFound => (
                "Page not found",
                "There is nothing here, or you do not have access to it.".into(),
            ),
            AppError::Conflict(message) => ("That did not work", message.clone()),
            AppError::TooManyRequests { message, .. } => ("Too many attempts", message.clone()),
            AppError::Busy { .. } => (
                "Temporarily busy",
                "The console is busy checking passwords right now. Try again in a few seconds.".into(),
            ),
            AppError::Unavailable(_) => (
                "Temporarily unavailable",
                "The console cannot reach its database right now. Try again in a moment.".into(),
            ),
            AppError::Internal(_) => (
                "Something went wrong",
                "An unexpected error happened. It has been logged; try again.".into(),
            ),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated { .. }
            | AppError::TwoFactorRequired { .. }
            | AppError::SsoRequired { .. } => StatusCode::SEE_OTHER,
            AppError::Forbidden | AppError::InvalidCsrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Unavailable(detail) => tracing::warn!(%detail, "database unavailable"),
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            _ => {}
        }
        if let AppError::Unauthenticated { htmx, next } = self {
            let login = format!("/login?next={}", crate::domain::redirect::encode_next(next));
            return if *htmx {
                // htmx would follow a 303 and swap the login page into a fragment.
                HttpResponse::Ok()
                    .insert_header(("HX-Redirect", login))
                    .finish()
            } else {
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, login))
                    .finish()
            };
        }
        let detour = match self {
            AppError::TwoFactorRequired { htmx, org } => Some((
                *htmx,
                format!(
                    "/account/security?org={}",
                    crate::domain::redirect::encode_next(org)
                ),
            )),
            AppError::SsoRequired { htmx, org } => {
                Some((*htmx, format!("/orgs/{org}/sso/required")))
            }
            _ => None,
        };
        if let Some((htmx, setup)) = detour {
            return if htmx {
                HttpResponse::Ok()
                    .insert_header(("HX-Redirect", setup))
                    .finish()
            } else {
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, setup))
                    .finish()
            };
        }
        let status = self.status_code();
        let (title, message) = self.title_and_message();
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message: &message,
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("{} {title}", status.as_u16()));
        let mut response = HttpResponse::build(status);
        response
            .content_type(ContentType::html())
            .insert_header(crate::toast::toast_header(
                crate::toast::Level::Error,
                &message,
            ));
        if let AppError::TooManyRequests {
            retry_after: Some(wait),
            ..
        } = self
        {
            response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
        }
        if let AppError::Busy { retry_after } = self {
            response.insert_header((
                header::RETRY_AFTER,
                retry_after.as_secs().max(1).to_string(),
            ));
        }
        for header in crate::security_headers::SECURITY_HEADERS {
            response.insert_header(header);
        }
        response.body(body)
    }
}

impl AppError {
    pub fn too_many(message: impl Into<String>) -> Self {
        AppError::TooManyRequests {
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<crate::ops::OpError> for AppError {
    fn from(e: crate::ops::OpError) -> Self {
        use crate::ops::OpError;
        match e {
            OpError::NotFound => AppError::NotFound,
            OpError::Refused(message) | OpError::Conflict(message) => AppError::Conflict(message),
            OpError::Invalid(message) => AppError::Invalid(message),
            OpError::Limit {
                message,
                retry_after,
            } => AppError::TooManyRequests {
                message,
                retry_after,
            },
            OpError::Db(e) => e.into(),
            OpError::Unavailable(detail) => AppError::Unavailable(detail),
            OpError::Internal(detail) => AppError::Internal(detail),
            OpError::Scim(refusal) => match refusal.status {
                404 => AppError::NotFound,
                409 => AppError::Conflict(refusal.detail),
                _ => AppError::Invalid(refusal.detail),
            },
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => {
                AppError::Unavailable(e.to_string())
            }
            // statement_timeout / lock_timeout fired: the database is overloaded or locked.
            Error::DatabaseError(_, info)
                if info.message().contains("canceling statement due to")
                    || info.message().contains("lock timeout") =>
            {
                AppError::Unavailable(e.to_string())
            }
            _ => AppError::Internal(e.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}
