//! Account security: setting up two-factor authentication (QR code, secret, "Code"),
//! the recovery codes shown once, and turning it off.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::FieldErrors;
use crate::auth::CurrentUser;
use crate::auth::password::PasswordHashing;
use crate::config::Config;
use crate::db::Db;
use crate::domain::EmailAddress;
use crate::domain::redirect::{encode_next, safe_next};
use crate::domain::sealed::SecretsKey;
use crate::domain::totp::{RecoveryCode, SubmittedCode};
use crate::error::AppError;
use crate::htmx::{html, html_with_status, redirect, secret_page};
use crate::layout::Layout;
use crate::mail::{Context, WorkerHandle};
use crate::models::users::User;
use crate::ops::{self, OpError};

const SECURITY: &str = "/account/security";
const SETUP: &str = "/account/security/two-factor";

#[derive(Debug, Deserialize)]
pub struct SecurityQuery {
    /// The organization that sent its member here because it requires two-factor sign-in.
    org: Option<String>,
    /// Where to continue once it is on (e.g. back to an invitation).
    next: Option<String>,
}

/// Where "Continue" leads once two-factor sign-in is on, and the name of the
/// organization that asks for it (only one the account belongs to).
fn continuation(current: &CurrentUser, query: &SecurityQuery) -> (Option<String>, Option<String>) {
    if let Some(slug) = &query.org
        && let Some(org) = current.orgs.iter().find(|o| &o.slug == slug)
    {
        return (Some(format!("/orgs/{}", org.slug)), Some(org.name.clone()));
    }
    let next = safe_next(query.next.as_deref());
    ((next != "/").then_some(next), None)
}

fn with_next(path: &str, next: &Option<String>) -> String {
    match next {
        Some(next) => format!("{path}?next={}", encode_next(next)),
        None => path.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "account/security.html")]
struct SecurityPage {
    layout: Layout,
    status: ops::two_factor::Status,
    required_by: Option<String>,
    joining: bool,
    next: Option<String>,
    errors: FieldErrors,
}

impl SecurityPage {
    fn next_value(&self) -> &str {
        self.next.as_deref().unwrap_or("")
    }
}

/// GET /account/security
pub async fn show_security(
    current: CurrentUser,
    db: web::Data<Db>,
    query: web::Query<SecurityQuery>,
) -> Result<HttpResponse, AppError> {
    let user_id = current.user.id;
    let status = db
        .run(move |conn| ops::two_factor::status(conn, user_id))
        .await?;
    let (next, required_by) = continuation(&current, &query);
    let joining = next
        .as_deref()
        .is_some_and(|n| n.starts_with("/invitations/"));
    html(&SecurityPage {
        layout: current.layout("Account security"),
        status,
        required_by,
        joining,
        next,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartForm {
    #[serde(default)]
    next: String,
}

/// POST /account/security/two-factor: "Set up two-factor authentication" makes a new
/// secret, inactive until confirmed.
pub async fn start_two_factor_setup(
    current: CurrentUser,
    db: web::Data<Db>,
    secrets: web::Data<SecretsKey>,
    web::Form(form): web::Form<StartForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, key) = (current.user.id, secrets.into_inner());
    db.run(move |conn| ops::two_factor::begin_setup(conn, user_id, &key))
        .await?;
    let next = Some(safe_next(Some(&form.next))).filter(|n| n != "/");
    Ok(redirect(&current.meta.hx, &with_next(SETUP, &next)))
}

#[derive(Template)]
#[template(path = "account/two_factor_setup.html")]
struct SetupPage {
    layout: Layout,
    /// The `otpauth://` URI as an SVG QR code (drawn by us, no user text in it).
    qr_svg: String,
    secret: String,
    next: String,
    errors: FieldErrors,
}

fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::Internal(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    // Inline in HTML: no XML declaration.
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

async fn setup_page(
    current: &CurrentUser,
    db: &Db,
    secrets: &web::Data<SecretsKey>,
    next: String,
    errors: FieldErrors,
) -> Result<Option<SetupPage>, AppError> {
    let (user, key) = (current.user.clone(), secrets.clone().into_inner());
    let pending = db
        .run(move |conn| ops::two_factor::pending_setup(conn, &user, &key))
        .await?;
    let Some(pending) = pending else {
        return Ok(None);
    };
    Ok(Some(SetupPage {
        layout: current.layout("Set up two-factor authentication"),
        qr_svg: qr_svg(&pending.uri)?,
        secret: pending.secret.grouped(),
        next,
        errors,
    }))
}

#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    next: Option<String>,
}

/// GET /account/security/two-factor: the QR code and the secret of the setup under way.
/// The secret is shown to its own account only, never cached (no-store).
pub async fn show_two_factor_setup(
    current: CurrentUser,
    db: web::Data<Db>,
    secrets: web::Data<SecretsKey>,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    let next = if next == "/" { String::new() } else { next };
    match setup_page(&current, &db, &secrets, next, FieldErrors::default()).await? {
        Some(page) => secret_page(StatusCode::OK, &page),
        None => Ok(redirect(&current.meta.hx, SECURITY)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmForm {
    code: String,
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
    continue_to: String,
}

impl RecoveryCodesPage {
    /// The codes as a text file, for the "Download" link (a data: URL: nothing is kept
    /// on the server to download later).
    fn download_href(&self) -> String {
        let text = format!(
            "Teamwork recovery codes\nEach code works once, in place of an authentication code.\n\n{}\n",
            self.codes.join("\n")
        );
        format!("data:text/plain;charset=utf-8,{}", encode_next(&text))
    }
}

/// POST /account/security/two-factor/confirm: a right "Code" turns two-factor sign-in on
/// and shows the recovery codes, once.
pub async fn confirm_two_factor_setup(
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    secrets: web::Data<SecretsKey>,
    web::Form(form): web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(Some(&form.next));
    let next = if next == "/" { String::new() } else { next };
    let mut errors = FieldErrors::default();
    let invalid = |errors: FieldErrors, next: String| async {
        match setup_page(&current, &db, &secrets, next, errors).await? {
            Some(page) => secret_page(StatusCode::UNPROCESSABLE_ENTITY, &page),
            None => Ok(redirect(&current.meta.hx, SECURITY)),
        }
    };
    let Some(code) = errors.check("code", SubmittedCode::parse_app_code(&form.code)) else {
        return invalid(errors, next).await;
    };
    let (actor, key, now) = (
        current.actor(),
        secrets.clone().into_inner(),
        config.clock.now(),
    );
    let confirmed = db
        .run(move |conn| ops::two_factor::confirm_setup(conn, &actor, &code, &key, now))
        .await;
    let codes = match confirmed {
        Ok(codes) => codes,
        Err(OpError::Invalid(message)) => {
            errors.add("code", message);
            return invalid(errors, next).await;
        }
        Err(e) => return Err(e.into()),
    };
    let continue_to = if next.is_empty() {
        SECURITY.to_owned()
    } else {
        next
    };
    secret_page(
        StatusCode::OK,
        &RecoveryCodesPage {
            layout: current.layout("Recovery codes"),
            codes: codes.iter().map(RecoveryCode::display).collect(),
            continue_to,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisableForm {
    password: String,
    code: String,
}

/// POST /account/security/two-factor/disable: "Turn off two-factor authentication"
/// needs the current password and a code; a security notice is mailed.
#[allow(clippy::too_many_arguments)]
pub async fn disable_two_factor(
    req: actix_web::HttpRequest,
    current: CurrentUser,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hashing: web::Data<PasswordHashing>,
    secrets: web::Data<SecretsKey>,
    mail: web::Data<WorkerHandle>,
    web::Form(form): web::Form<DisableForm>,
) -> Result<HttpResponse, AppError> {
    let user_id = current.user.id;
    let invalid = |errors: FieldErrors, status: ops::two_factor::Status| {
        html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SecurityPage {
                layout: current.layout("Account security"),
                status,
                required_by: None,
                joining: false,
                next: None,
                errors,
            },
        )
    };
    let status = db
        .run(move |conn| ops::two_factor::status(conn, user_id))
        .await?;
    let mut errors = FieldErrors::default();
    let code = errors.check("code", SubmittedCode::parse(&form.code));
    if form.password.is_empty() {
        errors.add("password", "Enter your current password.");
    }
    let Some(code) = code.filter(|_| errors.is_empty()) else {
        return invalid(errors, status);
    };
    let email = EmailAddress::parse(&current.user.email)
        .map_err(|e| AppError::Internal(format!("stored email: {e}")))?;
    let now = config.clock.now();
    // Counted before the password and the code are checked: guesses cost attempts.
    let hash = db
        .run(move |conn| {
            ops::two_factor::count_code_attempt(conn, user_id, now)?;
            Ok::<_, OpError>(User::credentials(conn, &email)?.map(|(_, hash)| hash))
        })
        .await?;
    if !hashing.verify(form.password.clone(), hash).await? {
        errors.add("password", "That is not your current password.");
        return invalid(errors, status);
    }
    let (actor, user, key) = (current.actor(), current.user.clone(), secrets.into_inner());
    let ctx = Context::from_config(&config);
    let turned_off = db
        .run(move |conn| ops::two_factor::turn_off(conn, &actor, &user, &code, &key, &ctx))
        .await;
    match turned_off {
        Ok(()) => {
            mail.wake();
            Ok(crate::auth::session::redirect_with_flash(
                &req,
                &current.meta.hx,
                SECURITY,
                "Two-factor authentication is off.",
            ))
        }
        Err(OpError::Invalid(message)) => {
            errors.add("code", message);
            invalid(errors, status)
        }
        Err(e) => Err(e.into()),
    }
}
