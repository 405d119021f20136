//! The one error type of the app and how each case becomes an HTTP response.

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
    #[error("forbidden")]
    Forbidden,
    /// An unsafe request without the session's CSRF token, or from another site (R26).
    #[error("missing or wrong CSRF token")]
    InvalidCsrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    /// A refused change that the person can understand and fix (e.g. the last administrator).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
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
            AppError::NotFound => (
                "Page not found",
                "There is nothing here, or you do not have access to it.".into(),
            ),
            AppError::Conflict(message) => ("That did not work", message.clone()),
            AppError::TooManyRequests(message) => ("Too many attempts", message.clone()),
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
            AppError::Unauthenticated { .. } => StatusCode::SEE_OTHER,
            AppError::Forbidden | AppError::InvalidCsrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            let login = format!("/login?next={}", crate::auth::redirect::encode_next(next));
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
            .insert_header(crate::htmx::toast_header(
                crate::htmx::Level::Error,
                &message,
            ));
        for header in crate::startup::SECURITY_HEADERS {
            response.insert_header(header);
        }
        response.body(body)
    }
}

impl AppError {
    /// A unique violation means the value is already taken: a conflict the person can
    /// fix (`message` says how); any other database error stays what it is.
    pub fn taken(error: diesel::result::Error, message: &str) -> AppError {
        if crate::models::is_unique_violation(&error) {
            AppError::Conflict(message.to_owned())
        } else {
            error.into()
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
