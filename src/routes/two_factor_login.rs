//! The second step of signing in to an account with two-factor authentication:
//! "Authentication code" (an app code or a recovery code).

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::RequestMeta;
use crate::auth::pending_sign_in;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::EmailAddress;
use crate::domain::sealed::SecretsKey;
use crate::domain::totp::SubmittedCode;
use crate::error::AppError;
use crate::htmx::{html, html_with_status, redirect};
use crate::layout::Layout;
use crate::ops::{self, OpError};

const PATH: &str = "/login/two-factor";
const EXPIRED: &str = "Your sign-in waited too long for the authentication code. Log in again.";

#[derive(Template)]
#[template(path = "accounts/two_factor.html")]
struct CodePage {
    layout: Layout,
    error: Option<String>,
}

/// After the right password of an account with two-factor authentication: the session
/// only remembers that for a few minutes, and the code page is next.
pub(super) fn ask_for_code(
    req: &HttpRequest,
    meta: &RequestMeta,
    config: &Config,
    user_id: Uuid,
    email: &EmailAddress,
    next: &str,
) -> Result<HttpResponse, AppError> {
    pending_sign_in::start(req, user_id, email.as_str(), next, config.clock.now())?;
    Ok(redirect(&meta.hx, PATH))
}

/// GET /login/two-factor
pub async fn new_two_factor_session(
    req: HttpRequest,
    meta: RequestMeta,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    if pending_sign_in::current(&req, config.clock.now()).is_none() {
        return Ok(redirect(&meta.hx, "/login"));
    }
    html(&CodePage {
        layout: Layout::public("Authentication code", &meta),
        error: None,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeForm {
    code: String,
}

/// POST /login/two-factor: a valid code signs in, through the same end as a password
/// alone; wrong codes are counted per account (5 per 15 minutes).
pub async fn create_two_factor_session(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    secrets: web::Data<SecretsKey>,
    web::Form(form): web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let now = config.clock.now();
    let Some(state) = pending_sign_in::current(&req, now) else {
        return Ok(redirect_with_flash(&req, &meta.hx, "/login", EXPIRED));
    };
    let refuse = |status: StatusCode, message: &str| {
        html_with_status(
            status,
            &CodePage {
                layout: Layout::public("Authentication code", &meta),
                error: Some(message.to_owned()),
            },
        )
    };
    let code = match SubmittedCode::parse(&form.code) {
        Ok(code) => code,
        Err(e) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, e.0),
    };
    let (user_id, key) = (state.user_id, secrets.into_inner());
    let checked = db
        .run(move |conn| {
            ops::two_factor::count_code_attempt(conn, user_id, now)?;
            ops::two_factor::verify_sign_in(conn, user_id, &code, &key, now)
        })
        .await;
    match checked {
        Ok(()) => {
            let email = EmailAddress::parse(&state.email)
                .map_err(|e| AppError::Internal(format!("pending sign-in email: {e}")))?;
            pending_sign_in::end(&req);
            super::accounts::establish_session(
                &req,
                &meta,
                &db,
                user_id,
                email,
                &state.next,
                crate::auth::session::SignedInWith::PasswordAndCode,
            )
            .await
        }
        Err(OpError::Limit {
            message,
            retry_after,
        }) => {
            tracing::warn!(ip = %meta.ip, "two-factor sign-in refused: too many codes");
            let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, &message)?;
            if let Some(wait) = retry_after {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
            }
            Ok(response)
        }
        Err(OpError::Invalid(message)) => {
            tracing::warn!(ip = %meta.ip, "two-factor sign-in: wrong code");
            refuse(StatusCode::UNPROCESSABLE_ENTITY, &message)
        }
        Err(e) => Err(e.into()),
    }
}
