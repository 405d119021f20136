//! Confirming an email address and resetting a forgotten password, from mailed links.
//! GET shows a page; only the POST behind its button uses the link (mail scanners).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use serde::Deserialize;

use super::FieldErrors;
use crate::auth::password::PasswordHashing;
use crate::auth::session::SignedInWith;
use crate::auth::session::TypedSession;
use crate::auth::session::redirect_with_flash;
use crate::auth::{CurrentUser, RequestMeta};
use crate::config::Config;
use crate::db::Db;
use crate::domain::redirect::encode_next;
use crate::domain::{EmailAddress, Password};
use crate::error::AppError;
use crate::htmx::{html_with_status, redirect, secret_page};
use crate::layout::Layout;
use crate::mail::{Context, WorkerHandle, log_link_in_development};
use crate::models::user_tokens::{self, Purpose};
use crate::ops;
use crate::ops::account_links::{self, Confirmation};
use crate::ops::account_settings::EmailChange;

/// Which version of a link page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ConfirmEmail,
    ChooseNewPassword,
    ConfirmNewEmail,
    /// Used, expired or unknown.
    Invalid,
}

#[derive(Template)]
#[template(path = "account_links/show.html")]
struct LinkPage {
    layout: Layout,
    mode: Mode,
    purpose: Purpose,
    action: String,
    errors: FieldErrors,
}

fn respond(page: &LinkPage) -> Result<HttpResponse, AppError> {
    let status = match (page.mode, page.errors.is_empty()) {
        (Mode::Invalid, _) => StatusCode::GONE,
        (_, false) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    secret_page(status, page)
}

async fn link_page(
    db: &Db,
    config: &Config,
    meta: &RequestMeta,
    purpose: Purpose,
    raw: &str,
) -> Result<LinkPage, AppError> {
    let live = match account_links::parse(purpose, raw) {
        Some(hash) => {
            let now = config.clock.now();
            db.run(move |conn| Ok::<_, AppError>(user_tokens::holder(conn, purpose, &hash, now)?))
                .await?
                .is_some()
        }
        None => false,
    };
    let (title, mode, base) = match purpose {
        Purpose::VerifyEmail => (
            "Confirm your email address",
            Mode::ConfirmEmail,
            "/verify-email/",
        ),
        Purpose::ResetPassword => (
            "Choose a new password",
            Mode::ChooseNewPassword,
            "/password/reset/",
        ),
        Purpose::ChangeEmail => (
            "Confirm your new email address",
            Mode::ConfirmNewEmail,
            "/account/email/",
        ),
    };
    Ok(LinkPage {
        layout: Layout::public(title, meta),
        mode: if live { mode } else { Mode::Invalid },
        purpose,
        action: format!("{base}{raw}"),
        errors: FieldErrors::default(),
    })
}

/// GET /verify-email/{token}
pub async fn show_email_confirmation(
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    respond(&link_page(&db, &config, &meta, Purpose::VerifyEmail, &token).await?)
}

/// POST /verify-email/{token}: confirms only for a session of the link's account (R43);
/// signed out, the person logs in first and comes back to the link.
pub async fn confirm_email(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let invalid =
        || async { respond(&link_page(&db, &config, &meta, Purpose::VerifyEmail, &token).await?) };
    let Some(hash) = account_links::parse(Purpose::VerifyEmail, &token) else {
        return invalid().await;
    };
    let Some(signed_in) = TypedSession::of(&req).user_id()? else {
        let page = link_page(&db, &config, &meta, Purpose::VerifyEmail, &token).await?;
        if page.mode == Mode::Invalid {
            return respond(&page);
        }
        let back = format!("/verify-email/{}", token.as_str());
        return Ok(redirect(
            &meta.hx,
            &format!("/login?next={}", encode_next(&back)),
        ));
    };
    let ctx = Context::from_config(&config);
    match db
        .run(move |conn| account_links::verify(conn, &hash, signed_in, &ctx))
        .await?
    {
        Confirmation::Confirmed(user) => Ok(redirect_with_flash(
            &req,
            &meta.hx,
            "/",
            &format!("Thanks, {} is confirmed.", user.email),
        )),
        Confirmation::OtherAccount => Err(AppError::Conflict(
            "This link confirms the address of another account. Log out, then log in with the address the email was sent to.".into(),
        )),
        Confirmation::Invalid => invalid().await,
    }
}

/// GET /account/email/{token}
pub async fn show_email_change(
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    respond(&link_page(&db, &config, &meta, Purpose::ChangeEmail, &token).await?)
}

/// POST /account/email/{token}: makes the new address the account's, only for a
/// session of that account; signed out, the person logs in first and comes back.
pub async fn confirm_email_change(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page = link_page(&db, &config, &meta, Purpose::ChangeEmail, &token).await?;
    let Some(hash) = account_links::parse(Purpose::ChangeEmail, &token) else {
        return respond(&page);
    };
    let Some(signed_in) = TypedSession::of(&req).user_id()? else {
        if page.mode == Mode::Invalid {
            return respond(&page);
        }
        let back = format!("/account/email/{}", token.as_str());
        return Ok(redirect(
            &meta.hx,
            &format!("/login?next={}", encode_next(&back)),
        ));
    };
    let ctx = Context::from_config(&config);
    match db
        .run(move |conn| ops::account_settings::confirm_email_change(conn, &hash, signed_in, &ctx))
        .await?
    {
        EmailChange::Changed { user, .. } => {
            mail.wake();
            Ok(redirect_with_flash(
                &req,
                &meta.hx,
                "/account",
                &format!("Your email address is now {}.", user.email),
            ))
        }
        EmailChange::OtherAccount => Err(AppError::Conflict(
            "This link changes the address of another account. Sign out, then sign in to the account that asked for the change.".into(),
        )),
        EmailChange::Invalid => respond(&page_invalid(page)),
    }
}

fn page_invalid(mut page: LinkPage) -> LinkPage {
    page.mode = Mode::Invalid;
    page
}

/// POST /verify-email: sends the confirmation link again to the signed-in account.
pub async fn resend_email_confirmation(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
) -> Result<HttpResponse, AppError> {
    if current.user.email_verified_at.is_some() {
        return Ok(redirect(&current.meta.hx, "/"));
    }
    let (user, ctx) = (current.user.clone(), Context::from_config(&config));
    let link = db
        .run(move |conn| account_links::request_email_confirmation(conn, &user, &ctx))
        .await?;
    let Some(link) = link else {
        return Err(AppError::too_many(
            "We already sent several links in the last hour. Check your inbox (and spam folder), or try again later.",
        ));
    };
    mail.wake();
    log_link_in_development(&config, "email confirmation", &current.user.email, &link);
    Ok(redirect_with_flash(
        &req,
        &current.meta.hx,
        "/",
        &format!("We sent a new link to {}.", current.user.email),
    ))
}

#[derive(Template)]
#[template(path = "account_links/forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    sent_to: Option<String>,
    errors: FieldErrors,
}

/// GET /password/forgot
pub async fn new_password_reset(meta: RequestMeta) -> Result<HttpResponse, AppError> {
    html_with_status(
        StatusCode::OK,
        &ForgotPage {
            layout: Layout::public("Reset your password", &meta),
            email: String::new(),
            sent_to: None,
            errors: FieldErrors::default(),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgotForm {
    email: String,
}

/// POST /password/forgot: the same answer whether or not the address has an account (R24).
pub async fn create_password_reset(
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    web::Form(form): web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let layout = Layout::public("Reset your password", &meta);
    let mut errors = FieldErrors::default();
    let Some(email) = errors.check("email", EmailAddress::parse(&form.email)) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ForgotPage {
                layout,
                email: form.email,
                sent_to: None,
                errors,
            },
        );
    };
    let (lookup, ctx) = (email.clone(), Context::from_config(&config));
    let sent = db
        .run(move |conn| account_links::request_password_reset(conn, &lookup, &ctx))
        .await?;
    if let Some(link) = sent {
        mail.wake();
        log_link_in_development(&config, "password reset", email.as_str(), &link);
    }
    html_with_status(
        StatusCode::OK,
        &ForgotPage {
            layout,
            email: String::new(),
            sent_to: Some(email.as_str().to_owned()),
            errors,
        },
    )
}

/// GET /password/reset/{token}
pub async fn edit_password(
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    respond(&link_page(&db, &config, &meta, Purpose::ResetPassword, &token).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPasswordForm {
    password: String,
}

/// POST /password/reset/{token}: sets the password, ends every session of the account,
/// and signs this browser in afresh.
pub async fn update_password(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hashing: web::Data<PasswordHashing>,
    token: web::Path<String>,
    web::Form(form): web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut page = link_page(&db, &config, &meta, Purpose::ResetPassword, &token).await?;
    let (Some(hash), Mode::ChooseNewPassword) = (
        account_links::parse(Purpose::ResetPassword, &token),
        page.mode,
    ) else {
        return respond(&page);
    };
    let Some(new_password) = page
        .errors
        .check("password", Password::parse(&form.password))
    else {
        return respond(&page);
    };
    let password_hash = hashing.hash(new_password).await?;
    let ctx = Context::from_config(&config);
    match db
        .run(move |conn| account_links::reset_password(conn, &hash, &password_hash, &ctx))
        .await?
    {
        Some(user) => {
            // The notice that the password changed.
            if let Some(mail) = req.app_data::<web::Data<WorkerHandle>>() {
                mail.wake();
            }
            // A mailbox alone does not pass a second factor: the code step comes first.
            let user_id = user.id;
            if db
                .run(move |conn| crate::ops::two_factor::is_enabled(conn, user_id))
                .await?
            {
                let email = EmailAddress::parse(&user.email)
                    .map_err(|e| AppError::Internal(format!("stored email: {e}")))?;
                return super::two_factor_login::ask_for_code(
                    &req, &meta, &config, user.id, &email, "/",
                );
            }
            super::sign_in::session_established(&req, &meta, user.id, SignedInWith::Password)
                .await?;
            TypedSession::of(&req)
                .set_flash("Your password was changed. Other devices were signed out.");
            Ok(redirect(&meta.hx, "/"))
        }
        None => {
            page.mode = Mode::Invalid;
            respond(&page)
        }
    }
}
