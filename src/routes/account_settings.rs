//! The Account page: name, email address, password, and the account's organizations.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::FieldErrors;
use crate::auth::CurrentUser;
use crate::auth::password::PasswordHashing;
use crate::auth::session::{TypedSession, redirect_with_flash};
use crate::config::Config;
use crate::db::Db;
use crate::domain::{EmailAddress, Password, PersonName};
use crate::error::AppError;
use crate::htmx::{html, html_with_status};
use crate::layout::Layout;
use crate::mail::{Context, WorkerHandle, log_link_in_development};
use crate::models::account_orgs::{self, AccountOrg};
use crate::models::user_tokens;
use crate::models::users::User;
use crate::ops::{self, OpError};

#[derive(Template)]
#[template(path = "account/show.html")]
struct AccountPage {
    layout: Layout,
    /// The value of the "Name" field.
    name: String,
    email: String,
    verified: bool,
    /// The value of the "New email address" field.
    new_email: String,
    /// The address a change was asked for, until its link is opened or expires.
    pending_email: Option<String>,
    orgs: Vec<AccountOrg>,
    /// The organizations this account deleted and can still restore.
    deleted_orgs: Vec<super::org_deletion::DeletedOrgRow>,
    /// "Email me about other changes" (security alerts are always sent).
    non_security_email: bool,
    errors: FieldErrors,
}

impl AccountPage {
    async fn load(current: &CurrentUser, db: &Db, config: &Config) -> Result<Self, AppError> {
        let (user_id, now) = (current.user.id, config.clock.now());
        let (pending_email, orgs, non_security_email) = db
            .run(move |conn| {
                let pending = user_tokens::pending_change(conn, user_id, now)?;
                let orgs = account_orgs::of_user(conn, user_id)?;
                let emails = ops::alerts::wants_non_security_email(conn, user_id)?;
                Ok::<_, AppError>((pending, orgs, emails))
            })
            .await?;
        let deleted_orgs = super::org_deletion::deleted_orgs(db, user_id, now).await?;
        Ok(AccountPage {
            layout: current.layout("Account"),
            name: current.user.name.clone(),
            email: current.user.email.clone(),
            verified: current.user.email_verified_at.is_some(),
            new_email: String::new(),
            pending_email,
            orgs,
            deleted_orgs,
            non_security_email,
            errors: FieldErrors::default(),
        })
    }
}

/// GET /account
pub async fn show_account(
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    html(&AccountPage::load(&current, &db, &config).await?)
}

/// The Account page again, with what was typed and why it was refused.
async fn refused(
    current: &CurrentUser,
    db: &Db,
    config: &Config,
    status: StatusCode,
    edit: impl FnOnce(&mut AccountPage),
) -> Result<HttpResponse, AppError> {
    let mut page = AccountPage::load(current, db, config).await?;
    edit(&mut page);
    html_with_status(status, &page)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameForm {
    name: String,
}

/// POST /account/name
pub async fn update_name(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("name", PersonName::parse(&form.name)) else {
        return refused(
            &current,
            &db,
            &config,
            StatusCode::UNPROCESSABLE_ENTITY,
            |page| {
                page.name = form.name;
                page.errors = errors;
            },
        )
        .await;
    };
    let user_id = current.user.id;
    db.run(move |conn| ops::account_settings::rename(conn, user_id, &name))
        .await?;
    Ok(redirect_with_flash(
        &req,
        &current.meta.hx,
        "/account",
        "Your name was changed.",
    ))
}

/// Checks the signed-in person's current password, counted first (R41). `Ok(false)`
/// for a wrong one.
async fn current_password_is(
    current: &CurrentUser,
    db: &Db,
    config: &Config,
    hashing: &PasswordHashing,
    candidate: &str,
) -> Result<bool, AppError> {
    let (user_id, limits, now) = (current.user.id, config.limits.clone(), config.clock.now());
    let stored = db
        .run(move |conn| {
            ops::account_settings::count_password_check(conn, user_id, &limits, now)?;
            Ok::<_, OpError>(User::password_hash_of(conn, user_id)?)
        })
        .await?;
    let Some(stored) = stored else {
        return Ok(false);
    };
    hashing.verify(candidate.to_owned(), Some(stored)).await
}

const WRONG_PASSWORD: &str = "That is not your current password.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailForm {
    email: String,
    password: String,
}

/// POST /account/email: mails a link to the new address; the address changes only
/// when it is opened.
pub async fn request_email_change(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hashing: web::Data<PasswordHashing>,
    mail: web::Data<WorkerHandle>,
    web::Form(form): web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let typed = form.email.as_str();
    let invalid = |status, field, message: String| {
        refused(&current, &db, &config, status, move |page| {
            page.new_email = typed.to_owned();
            page.errors.add(field, message);
        })
    };
    let new_email = match EmailAddress::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return invalid(status, "email", e.to_string()).await;
        }
    };
    if !current_password_is(&current, &db, &config, &hashing, &form.password).await? {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return invalid(status, "password", WRONG_PASSWORD.into()).await;
    }
    let (user, ctx) = (current.user.clone(), Context::from_config(&config));
    let asked = new_email.clone();
    let sent = db
        .run(move |conn| ops::account_settings::request_email_change(conn, &user, &asked, &ctx))
        .await;
    match sent {
        Ok(link) => {
            mail.wake();
            log_link_in_development(&config, "email change", new_email.as_str(), &link);
            Ok(redirect_with_flash(
                &req,
                &current.meta.hx,
                "/account",
                &format!(
                    "We sent a link to {}. Your address changes when you open it.",
                    new_email.as_str()
                ),
            ))
        }
        Err(OpError::Conflict(message)) => invalid(StatusCode::CONFLICT, "email", message).await,
        Err(OpError::Invalid(message)) => {
            invalid(StatusCode::UNPROCESSABLE_ENTITY, "email", message).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// POST /account/password: needs the current password; ends every other session.
pub async fn update_password(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hashing: web::Data<PasswordHashing>,
    mail: web::Data<WorkerHandle>,
    web::Form(form): web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let new_password = errors.check("new_password", Password::parse(&form.new_password));
    let Some(new_password) = new_password else {
        return refused(
            &current,
            &db,
            &config,
            StatusCode::UNPROCESSABLE_ENTITY,
            |page| {
                page.errors = errors;
            },
        )
        .await;
    };
    if !current_password_is(&current, &db, &config, &hashing, &form.current_password).await? {
        return refused(
            &current,
            &db,
            &config,
            StatusCode::UNPROCESSABLE_ENTITY,
            |page| {
                page.errors.add("current_password", WRONG_PASSWORD);
            },
        )
        .await;
    }
    let password_hash = hashing.hash(new_password).await?;
    // A session always has its id once stored; without one, every session ends.
    let keep = TypedSession::of(&req).session_id().unwrap_or_default();
    let (user_id, ctx) = (current.user.id, Context::from_config(&config));
    db.run(move |conn| {
        ops::account_settings::change_password(conn, user_id, keep, &password_hash, &ctx)
    })
    .await?;
    mail.wake();
    Ok(redirect_with_flash(
        &req,
        &current.meta.hx,
        "/account",
        "Your password was changed. Other devices were signed out.",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailPreferencesForm {
    /// The checkbox: present when ticked.
    non_security: Option<String>,
}

/// POST /account/emails: turns the emails that are not about security on or off.
pub async fn update_email_preferences(
    req: HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<EmailPreferencesForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, on, now) = (
        current.user.id,
        form.non_security.is_some(),
        config.clock.now(),
    );
    db.run(move |conn| ops::alerts::set_non_security_email(conn, user_id, on, now))
        .await?;
    let message = if on {
        "You will get emails about other changes too."
    } else {
        "You will get security alerts only."
    };
    Ok(redirect_with_flash(
        &req,
        &current.meta.hx,
        "/account",
        message,
    ))
}
