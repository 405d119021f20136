//! Sign up, log in, log out.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use serde::Deserialize;

use super::FieldErrors;
use crate::auth::RequestMeta;
use crate::auth::password::PasswordHashing;
use crate::auth::session::SignedInWith;
use crate::auth::session::TypedSession;
use crate::config::Config;
use crate::db::Db;
use crate::domain::redirect::safe_next;
use crate::domain::{EmailAddress, Password, PersonName};
use crate::error::AppError;
use crate::htmx::{html, html_with_status, redirect};
use crate::layout::Layout;
use crate::mail::{Context, WorkerHandle, log_link_in_development};
use crate::models::users::User;
use crate::ops::{self, OpError};

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupForm {
    name: String,
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "accounts/signup.html")]
struct SignupPage {
    layout: Layout,
    name: String,
    email: String,
    next: String,
    errors: FieldErrors,
}

/// GET /signup
pub async fn new_account(
    meta: RequestMeta,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    html(&SignupPage {
        layout: Layout::public("Sign up", &meta),
        name: String::new(),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        errors: FieldErrors::default(),
    })
}

/// POST /signup
pub async fn create_account(
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hashing: web::Data<PasswordHashing>,
    mail: web::Data<WorkerHandle>,
    web::Form(form): web::Form<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", PersonName::parse(&form.name));
    let email = errors.check("email", EmailAddress::parse(&form.email));
    let password = errors.check("password", Password::parse(&form.password));
    let next = safe_next(Some(&form.next));
    let invalid = |errors| {
        html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignupPage {
                layout: Layout::public("Sign up", &meta),
                name: form.name.clone(),
                email: form.email.clone(),
                next: next.clone(),
                errors,
            },
        )
    };
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return invalid(errors);
    };
    // Counted before hashing: a flood from one address costs a row update, not Argon2.
    let (ip, limits, now) = (meta.ip.clone(), config.limits.clone(), config.clock.now());
    db.run(move |conn| ops::accounts::count_signup_attempt(conn, &ip, &limits, now))
        .await?;
    let hash = hashing.hash(password).await?;
    let form_email = email.clone();
    let ctx = Context::from_config(&config);
    let created = db
        .run(move |conn| ops::accounts::sign_up(conn, &email, &name, &hash, &ctx))
        .await;
    // A new address and one that has an account get the same answer, so the form does
    // not tell anyone which addresses have accounts; the mail differs (R24-like).
    match created {
        Ok((user, link)) => {
            if let Some(link) = link {
                log_link_in_development(&config, "email confirmation", &user.email, &link);
            }
        }
        Err(OpError::Conflict(_)) => {
            let (taken, ctx) = (form_email.clone(), Context::from_config(&config));
            db.run(move |conn| ops::accounts::notify_signup_attempt(conn, &taken, &ctx))
                .await?;
        }
        Err(e) => return Err(e.into()),
    }
    mail.wake();
    html(&CheckEmailPage {
        layout: Layout::public("Check your email", &meta),
        email: form_email.as_str().to_owned(),
        next,
    })
}

#[derive(Template)]
#[template(path = "accounts/check_email.html")]
struct CheckEmailPage {
    layout: Layout,
    email: String,
    next: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    /// One message for the whole form: which field was wrong is not revealed.
    error: Option<String>,
}

/// GET /login
pub async fn new_session(
    meta: RequestMeta,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    html(&LoginPage {
        layout: Layout::public("Log in", &meta),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
    })
}

/// POST /login
pub async fn create_session(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hashing: web::Data<PasswordHashing>,
    web::Form(form): web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(Some(&form.next));
    let refuse = |status: StatusCode, message: &str| {
        html_with_status(
            status,
            &LoginPage {
                layout: Layout::public("Log in", &meta),
                email: form.email.clone(),
                next: next.clone(),
                error: Some(message.to_owned()),
            },
        )
    };
    let wrong = "That email and password do not match an account.";
    let Ok(email) = EmailAddress::parse(&form.email) else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, wrong);
    };
    let (ip, limits, now) = (meta.ip.clone(), config.limits.clone(), config.clock.now());
    let lookup_email = email.clone();
    // The attempt is counted before the password is checked (R41).
    let checked = db
        .run(move |conn| {
            let gate = ops::accounts::count_login_attempt(conn, &lookup_email, &ip, &limits, now)?;
            let credentials = User::credentials(conn, &lookup_email)?;
            Ok::<_, OpError>((gate, credentials))
        })
        .await;
    let (gate, credentials) = match checked {
        Ok(checked) => checked,
        Err(OpError::Limit {
            message,
            retry_after,
        }) => {
            tracing::warn!(ip = %meta.ip, "login refused: too many attempts");
            let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, &message)?;
            if let Some(wait) = retry_after {
                response.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(wait.as_secs().max(1)),
                );
            }
            return Ok(response);
        }
        Err(e) => return Err(e.into()),
    };
    if gate == ops::accounts::LoginGate::SlowDown {
        // Guesses from many addresses at one account: each costs the guesser time, while
        // the owner, who is not locked out, just waits a moment.
        actix_web::rt::time::sleep(config.limits.login_slowdown).await;
    }
    let (user_id, hash) = (credentials.as_ref().map(|c| c.0), credentials.map(|c| c.1));
    let verified = hashing.verify(form.password.clone(), hash).await?;
    let ip = meta.ip.clone();
    match user_id.filter(|_| verified) {
        Some(user_id) => {
            if db
                .run(move |conn| ops::two_factor::is_enabled(conn, user_id))
                .await?
            {
                // Not signed in yet: the code step establishes the session.
                return super::two_factor_login::ask_for_code(
                    &req, &meta, &config, user_id, &email, &next,
                );
            }
            establish_session(
                &req,
                &meta,
                &db,
                user_id,
                email,
                &next,
                SignedInWith::Password,
            )
            .await
        }
        None => {
            tracing::warn!(ip = %meta.ip, "login failed");
            db.run(move |conn| ops::accounts::login_failed(conn, &email, &ip))
                .await?;
            refuse(StatusCode::UNPROCESSABLE_ENTITY, wrong)
        }
    }
}

/// The end of every successful sign-in (password only, or password then code): the
/// account's password throttle is cleared and the session is signed in on a new id.
pub(super) async fn establish_session(
    req: &HttpRequest,
    meta: &RequestMeta,
    db: &Db,
    user_id: uuid::Uuid,
    email: EmailAddress,
    next: &str,
    how: SignedInWith,
) -> Result<HttpResponse, AppError> {
    let ip = meta.ip.clone();
    db.run(move |conn| ops::accounts::login_succeeded(conn, &email, &ip))
        .await?;
    super::sign_in::session_established(req, meta, user_id, how).await?;
    Ok(redirect(&meta.hx, next))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoutForm {
    /// Where to go next, e.g. back to a join link to continue with another account.
    #[serde(default)]
    next: String,
}

/// POST /logout: deletes the session server-side and clears what the browser kept (R29).
pub async fn delete_session(
    req: HttpRequest,
    meta: RequestMeta,
    form: Option<web::Form<LogoutForm>>,
) -> HttpResponse {
    TypedSession::of(&req).sign_out();
    let next = safe_next(form.as_ref().map(|f| f.next.as_str()));
    let target = if next == "/" { "/login" } else { next.as_str() };
    let mut response = redirect(&meta.hx, target);
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("clear-site-data"),
        actix_web::http::header::HeaderValue::from_static("\"cache\", \"storage\""),
    );
    response
}
