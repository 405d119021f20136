//! The join link of an invitation: a page that changes nothing, and the POSTs that accept.

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
use crate::domain::INVITATION_PREFIX;
use crate::domain::{Password, PersonName, PlainToken, Role, TokenHash};
use crate::error::AppError;
use crate::htmx::{redirect, secret_page};
use crate::layout::Layout;
use crate::mail::Context;
use crate::mail::WorkerHandle;
use crate::models::activity::Actor;
use crate::models::invitations::State;
use crate::models::users::User;
use crate::ops::joining::{self, Refusal};

/// Which version of the join page a visitor sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Signed in as the invited address.
    Accept,
    /// Not signed in, no account with the invited address yet.
    SignUp,
    /// Not signed in, the invited address has an account.
    LogIn,
    WrongAccount,
    AlreadyMember,
    Expired,
    /// The invitee just asked for a new link ("Ask for a new invitation").
    RequestedAgain,
    Cancelled,
    Used,
    Unknown,
}

#[derive(Template)]
#[template(path = "join/show.html")]
struct JoinPage {
    layout: Layout,
    mode: Mode,
    path: String,
    org_name: String,
    org_slug: String,
    /// The project of an invitation to project-only access.
    project_name: Option<String>,
    inviter: String,
    role: Option<Role>,
    email: String,
    signed_in_as: String,
    /// Accepting also confirms the signed-in account's address.
    confirms_address: bool,
    name: String,
    errors: FieldErrors,
}

impl JoinPage {
    fn empty(meta: &RequestMeta, mode: Mode) -> Self {
        JoinPage {
            layout: Layout::public("Invitation", meta),
            mode,
            path: String::new(),
            org_name: String::new(),
            org_slug: String::new(),
            project_name: None,
            inviter: String::new(),
            role: None,
            email: String::new(),
            signed_in_as: String::new(),
            confirms_address: false,
            name: String::new(),
            errors: FieldErrors::default(),
        }
    }

    fn role_label(&self) -> String {
        self.role.map(Role::with_article).unwrap_or_default()
    }

    fn status(&self) -> StatusCode {
        match self.mode {
            Mode::Unknown => StatusCode::NOT_FOUND,
            Mode::Expired | Mode::Cancelled | Mode::Used => StatusCode::GONE,
            _ => StatusCode::OK,
        }
    }
}

/// The token's page; no referrer (the URL is a secret) and no caching (R16).
fn respond(page: &JoinPage, status: StatusCode) -> Result<HttpResponse, AppError> {
    secret_page(status, page)
}

fn token_hash(raw: &str) -> Option<TokenHash> {
    PlainToken::parse(INVITATION_PREFIX, raw).map(|t| t.hash())
}

/// Everything the page shows, for `token`, as seen by the signed-in user (if any).
async fn load(
    db: &Db,
    config: &Config,
    meta: &RequestMeta,
    session: &TypedSession,
    raw: &str,
) -> Result<JoinPage, AppError> {
    let Some(hash) = token_hash(raw) else {
        return Ok(JoinPage::empty(meta, Mode::Unknown));
    };
    let user_id = session.user_id()?;
    let now = config.clock.now();
    let found = db
        .run(move |conn| {
            let Some((invitation, target, state)) = joining::inspect(conn, &hash, now)? else {
                return Ok::<_, AppError>(None);
            };
            let user = user_id
                .map(|id| User::find(conn, id))
                .transpose()?
                .flatten();
            let invited = crate::domain::EmailAddress::parse(&invitation.email)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let has_account = User::find_by_email(conn, &invited)?.is_some();
            let already_member = match &user {
                Some(user) => {
                    crate::models::memberships::Membership::find(conn, invitation.org_id, user.id)?
                        .is_some()
                }
                None => false,
            };
            Ok(Some((
                invitation,
                target,
                state,
                user,
                has_account,
                already_member,
            )))
        })
        .await?;
    let Some((invitation, target, state, user, has_account, already_member)) = found else {
        return Ok(JoinPage::empty(meta, Mode::Unknown));
    };
    let same_address = |u: &User| u.email.to_lowercase() == invitation.email.to_lowercase();
    let mode = match (state, &user) {
        (State::Expired, _) => Mode::Expired,
        (State::Cancelled, _) => Mode::Cancelled,
        (State::Accepted, _) => Mode::Used,
        (State::Pending, Some(u)) if !same_address(u) => Mode::WrongAccount,
        (State::Pending, Some(_)) if already_member => Mode::AlreadyMember,
        (State::Pending, Some(_)) => Mode::Accept,
        (State::Pending, None) if has_account => Mode::LogIn,
        (State::Pending, None) => Mode::SignUp,
    };
    Ok(JoinPage {
        layout: Layout::public(&format!("Join {}", target.org_name), meta),
        mode,
        path: format!("/invitations/{raw}"),
        org_name: target.org_name,
        org_slug: target.org_slug,
        project_name: target.project_name,
        inviter: invitation.invited_by_name,
        role: Some(invitation.role),
        email: invitation.email,
        confirms_address: user.as_ref().is_some_and(|u| u.email_verified_at.is_none()),
        signed_in_as: user.map(|u| u.email).unwrap_or_default(),
        name: String::new(),
        errors: FieldErrors::default(),
    })
}

/// GET /invitations/{token}: shows the organization, inviter and role. Never writes,
/// so that mail scanners opening the link burn nothing.
pub async fn show_invitation(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page = load(&db, &config, &meta, &TypedSession::of(&req), &token).await?;
    respond(&page, page.status())
}

fn refusal_mode(refusal: Refusal) -> Mode {
    match refusal {
        Refusal::Unknown => Mode::Unknown,
        Refusal::Expired => Mode::Expired,
        Refusal::Cancelled => Mode::Cancelled,
        Refusal::Used => Mode::Used,
        Refusal::WrongAccount => Mode::WrongAccount,
        Refusal::AlreadyMember => Mode::AlreadyMember,
        Refusal::AccountExists => Mode::LogIn,
        // Answered with a redirect to the setup (see `two_factor_first`).
        Refusal::TwoFactorRequired { .. } => Mode::Accept,
    }
}

/// After a refused POST: the join page as it now stands, which says why.
async fn refused(
    req: &HttpRequest,
    db: &Db,
    config: &Config,
    meta: &RequestMeta,
    raw: &str,
    refusal: Refusal,
) -> Result<HttpResponse, AppError> {
    let mut page = load(db, config, meta, &TypedSession::of(req), raw).await?;
    if page.mode != Mode::Unknown {
        page.mode = refusal_mode(refusal);
    }
    let status = match page.status() {
        StatusCode::OK => StatusCode::CONFLICT,
        other => other,
    };
    respond(&page, status)
}

/// POST /invitations/{token}/accept: for a signed-in account with the invited address.
pub async fn accept_invitation(
    req: HttpRequest,
    current: Result<CurrentUser, AppError>,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let raw = token.into_inner();
    let current = match current {
        Ok(current) => current,
        // Signed out meanwhile: back to the join page, which offers the right path.
        Err(AppError::Unauthenticated { .. }) => {
            return Ok(redirect(
                &crate::htmx::Hx::from_request(&req),
                &format!("/invitations/{raw}"),
            ));
        }
        Err(e) => return Err(e),
    };
    let Some(hash) = token_hash(&raw) else {
        return refused(&req, &db, &config, &current.meta, &raw, Refusal::Unknown).await;
    };
    let (user, actor) = (current.user.clone(), current.actor());
    let ctx = Context::from_config(&config);
    let outcome = db
        .run(move |conn| joining::accept(conn, &hash, &user, &actor, &ctx))
        .await?;
    match outcome {
        Ok(joined) => {
            mail.wake();
            Ok(redirect_with_flash(
                &req,
                &current.meta.hx,
                &joined.landing(),
                &joined.welcome(),
            ))
        }
        Err(Refusal::TwoFactorRequired { .. }) => Ok(two_factor_first(&current.meta.hx, &raw)),
        Err(refusal) => refused(&req, &db, &config, &current.meta, &raw, refusal).await,
    }
}

/// The organization requires two-factor sign-in: set it up, then back to this link.
fn two_factor_first(hx: &crate::htmx::Hx, raw: &str) -> HttpResponse {
    let back = crate::domain::redirect::encode_next(&format!("/invitations/{raw}"));
    redirect(hx, &format!("/account/security?next={back}"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSignupForm {
    name: String,
    password: String,
}

/// POST /invitations/{token}/signup: creates the invited account (the address is fixed
/// to the invited one and counts as verified) and joins.
pub async fn create_account_and_join(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    token: web::Path<String>,
    web::Form(form): web::Form<JoinSignupForm>,
) -> Result<HttpResponse, AppError> {
    let raw = token.into_inner();
    let Some(hash) = token_hash(&raw) else {
        return refused(&req, &db, &config, &meta, &raw, Refusal::Unknown).await;
    };
    let mut errors = FieldErrors::default();
    let name = errors.check("name", PersonName::parse(&form.name));
    let password = errors.check("password", Password::parse(&form.password));
    let (Some(name), Some(password)) = (name, password) else {
        let mut page = load(&db, &config, &meta, &TypedSession::of(&req), &raw).await?;
        if page.mode != Mode::SignUp {
            return respond(&page, page.status());
        }
        page.name = form.name;
        page.errors = errors;
        return respond(&page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let hash_of_password = req
        .app_data::<web::Data<PasswordHashing>>()
        .ok_or_else(|| AppError::Internal("PasswordHashing not registered".into()))?
        .hash(password)
        .await?;
    // Who and from where; the id and name are those of the account about to be created.
    let actor = Actor {
        user_id: uuid::Uuid::nil(),
        name: String::new(),
        ip: Some(meta.ip.clone()),
        user_agent: meta.user_agent.clone(),
        admin_key: None,
        scim: None,
    };
    let ctx = Context::from_config(&config);
    let outcome = db
        .run(move |conn| {
            joining::sign_up_and_accept(conn, &hash, &name, &hash_of_password, &actor, &ctx)
        })
        .await?;
    match outcome {
        Ok((user, joined)) => {
            mail.wake();
            super::sign_in::session_established(&req, &meta, user.id, SignedInWith::Password)
                .await?;
            Ok(redirect_with_flash(
                &req,
                &meta.hx,
                &joined.landing(),
                &joined.welcome(),
            ))
        }
        Err(Refusal::TwoFactorRequired {
            new_account: Some(user_id),
        }) => {
            super::sign_in::session_established(&req, &meta, user_id, SignedInWith::Password)
                .await?;
            Ok(two_factor_first(&meta.hx, &raw))
        }
        Err(refusal) => refused(&req, &db, &config, &meta, &raw, refusal).await,
    }
}

/// POST /invitations/{token}/request: "Ask for a new invitation" from an expired link
/// (the token proves the mailbox). Tells the administrators; once a day per invitation.
pub async fn request_invitation(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    use crate::ops::OpError;
    use crate::ops::invitation_requests::{Asker, request_again};
    let raw = token.into_inner();
    let Some(hash) = token_hash(&raw) else {
        return refused(&req, &db, &config, &meta, &raw, Refusal::Unknown).await;
    };
    let asker = Asker {
        ip: Some(meta.ip.clone()),
        user_agent: meta.user_agent.clone(),
    };
    let now = config.clock.now();
    let asked = db
        .run(move |conn| request_again(conn, &hash, asker, now))
        .await;
    match asked {
        Ok(_) => {
            let mut page = load(&db, &config, &meta, &TypedSession::of(&req), &raw).await?;
            page.mode = Mode::RequestedAgain;
            respond(&page, StatusCode::OK)
        }
        // Not expired (any more): the page as it stands says what the link does now.
        Err(OpError::NotFound | OpError::Refused(_)) => {
            let page = load(&db, &config, &meta, &TypedSession::of(&req), &raw).await?;
            let status = match page.status() {
                StatusCode::OK => StatusCode::CONFLICT,
                other => other,
            };
            respond(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}
