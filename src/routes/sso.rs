//! Signing in through an organization's identity provider: "Continue with SSO", the
//! provider's callback, the page that sends password sessions to SSO where it is
//! required, and the administrators' break-glass.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::{SignedInWith, TypedSession};
use crate::auth::sso_flow::{self, Flow, Purpose};
use crate::auth::{CurrentUser, RequestMeta};
use crate::config::Config;
use crate::db::Db;
use crate::domain::activity::Actor;
use crate::domain::sealed::SecretsKey;
use crate::domain::sso::{ClientSecret, DomainName};
use crate::domain::{Access, Role};
use crate::error::AppError;
use crate::htmx::{html_with_status, redirect};
use crate::layout::Layout;
use crate::models::{memberships, sso};
use crate::ops;
use crate::sso::oidc;

#[derive(Template)]
#[template(path = "accounts/sso_redirect.html")]
struct RedirectPage {
    layout: Layout,
    url: String,
}

/// Sends the browser to the provider. Not with a 303: browsers hold the redirect of a
/// form post to the form page's `form-action 'self'`. A page that navigates there
/// (`Refresh`, and a link for the rest); htmx requests get `HX-Redirect`.
pub fn to_provider(meta: &RequestMeta, url: &str) -> Result<HttpResponse, AppError> {
    if meta.hx.is_htmx() {
        return Ok(redirect(&meta.hx, url));
    }
    let mut response = html_with_status(
        StatusCode::OK,
        &RedirectPage {
            layout: Layout::public("Continue with SSO", meta),
            url: url.to_owned(),
        },
    )?;
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&format!("0; url={url}")) {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("refresh"),
            value,
        );
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "accounts/sso.html")]
struct SsoPage {
    layout: Layout,
    email: String,
    error: Option<String>,
}

fn sso_page(
    meta: &RequestMeta,
    status: StatusCode,
    email: &str,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    html_with_status(
        status,
        &SsoPage {
            layout: Layout::public("Continue with SSO", meta),
            email: email.to_owned(),
            error,
        },
    )
}

/// GET /sso
pub async fn new_sso_session(meta: RequestMeta) -> Result<HttpResponse, AppError> {
    sso_page(&meta, StatusCode::OK, "", None)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoForm {
    email: String,
}

/// POST /sso: "Continue with SSO" with an address of a verified domain whose
/// organization has single sign-on on sends the browser to that organization's provider.
pub async fn create_sso_session(
    req: HttpRequest,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    secrets: web::Data<SecretsKey>,
    web::Form(form): web::Form<SsoForm>,
) -> Result<HttpResponse, AppError> {
    let unknown = |domain: &str| {
        format!(
            "No organization signs in {domain} addresses through single sign-on. Log in with your password instead."
        )
    };
    let Some(domain) = DomainName::of_email(form.email.trim()) else {
        let message = "Enter your work email address, e.g. ada@example.com.".to_owned();
        return sso_page(
            &meta,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.email,
            Some(message),
        );
    };
    let lookup = domain.clone();
    let found = db
        .run(move |conn| {
            let Some((org_id, Some(connection))) = sso::sso_for_domain(conn, lookup.as_str())?
            else {
                return Ok::<_, AppError>(None);
            };
            let sealed = sso::secret(conn, org_id)?;
            Ok(sealed.map(|s| (org_id, connection, s)))
        })
        .await?;
    let Some((org_id, connection, sealed)) = found else {
        return sso_page(
            &meta,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.email,
            Some(unknown(domain.as_str())),
        );
    };
    let secret = ClientSecret::open(&sealed, &secrets, org_id)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let provider = oidc::Provider {
        issuer: &connection.issuer_url,
        client_id: &connection.client_id,
        client_secret: secret.expose(),
    };
    let started = match oidc::start(&config, &provider, Some(form.email.trim())).await {
        Ok(started) => started,
        Err(e) => return sso_page(&meta, StatusCode::CONFLICT, &form.email, Some(e.0)),
    };
    let url = started.authorize_url.clone();
    let flow = Flow::new(
        org_id,
        Purpose::SignIn,
        started,
        &connection.issuer_url,
        &connection.client_id,
        config.clock.now(),
    );
    sso_flow::start(&req, &flow)?;
    to_provider(&meta, &url)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Template)]
#[template(path = "accounts/sso_tested.html")]
struct TestedPage {
    layout: Layout,
    slug: String,
    claims: Vec<(&'static str, String)>,
}

/// GET /sso/callback: the provider sends the browser back with a code. The flow of this
/// browser's session must match `state`; it is used up whatever happens next.
pub async fn sso_callback(
    req: HttpRequest,
    meta: RequestMeta,
    user: Option<CurrentUser>,
    db: web::Data<Db>,
    config: web::Data<Config>,
    secrets: web::Data<SecretsKey>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let fail = |status: StatusCode, message: String| sso_page(&meta, status, "", Some(message));
    let now = config.clock.now();
    let flow = query
        .state
        .as_deref()
        .and_then(|state| sso_flow::take(&req, state, now));
    let Some(flow) = flow else {
        return fail(
            StatusCode::BAD_REQUEST,
            "This sign-in is not valid any more (it expired, was used, or was not started in this browser). Start again.".into(),
        );
    };
    if let Some(error) = &query.error {
        let detail = query
            .error_description
            .clone()
            .unwrap_or_else(|| error.clone());
        return fail(
            StatusCode::BAD_REQUEST,
            format!("Your identity provider did not sign you in: {detail}"),
        );
    }
    let Some(code) = query.code.clone() else {
        return fail(
            StatusCode::BAD_REQUEST,
            "Your identity provider sent no code. Start again.".into(),
        );
    };
    let org_id = flow.org_id;
    let sealed = db
        .run(move |conn| Ok::<_, AppError>(sso::secret(conn, org_id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let secret = ClientSecret::open(&sealed, &secrets, org_id)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let provider = oidc::Provider {
        issuer: &flow.issuer,
        client_id: &flow.client_id,
        client_secret: secret.expose(),
    };
    let started = oidc::Started {
        authorize_url: String::new(),
        state: flow.state.clone(),
        nonce: flow.nonce.clone(),
        pkce_verifier: flow.pkce_verifier.clone(),
    };
    let claims = match oidc::finish(&config, &provider, &started, &code).await {
        Ok(claims) => claims,
        Err(e) => return fail(StatusCode::BAD_REQUEST, e.0),
    };
    match flow.purpose {
        Purpose::Test => {
            let user = user.ok_or(AppError::NotFound)?;
            let actor = user.actor();
            let (issuer, client_id, email) = (
                flow.issuer.clone(),
                flow.client_id.clone(),
                claims.email.clone(),
            );
            let slug = db
                .run(move |conn| {
                    ops::sso::record_test(conn, org_id, &actor, &issuer, &client_id, &email, now)?;
                    Ok::<_, AppError>(sso::slug_of(conn, org_id)?)
                })
                .await?
                .ok_or(AppError::NotFound)?;
            html_with_status(
                StatusCode::OK,
                &TestedPage {
                    layout: Layout::for_user(&user, "Test connection"),
                    slug,
                    claims: vec![
                        ("Issuer", flow.issuer.clone()),
                        ("Subject", claims.subject),
                        ("Email", claims.email),
                        (
                            "Email verified",
                            if claims.email_verified { "yes" } else { "no" }.into(),
                        ),
                        ("Name", claims.name.unwrap_or_default()),
                    ],
                },
            )
        }
        Purpose::SignIn => {
            let vouched = ops::sso_sign_in::Vouched {
                email: claims.email,
                email_verified: claims.email_verified,
                name: claims.name,
            };
            let meta_actor = Actor {
                user_id: uuid::Uuid::nil(),
                name: String::new(),
                ip: Some(meta.ip.clone()),
                user_agent: meta.user_agent.clone(),
                admin_key: None,
                scim: None,
            };
            let signed = db
                .run(move |conn| {
                    let user_id =
                        ops::sso_sign_in::sign_in(conn, org_id, &vouched, &meta_actor, now)?;
                    Ok::<_, ops::OpError>((user_id, sso::slug_of(conn, org_id)?))
                })
                .await;
            match signed {
                Ok((user_id, slug)) => {
                    super::sign_in::session_established(
                        &req,
                        &meta,
                        user_id,
                        SignedInWith::Sso(org_id),
                    )
                    .await?;
                    let landing = slug.map_or("/".to_owned(), |s| format!("/orgs/{s}"));
                    Ok(redirect(&meta.hx, &landing))
                }
                Err(ops::OpError::Refused(message)) => fail(StatusCode::FORBIDDEN, message),
                Err(e) => Err(e.into()),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "accounts/sso_required.html")]
struct RequiredPage {
    layout: Layout,
    org: String,
    org_name: String,
    email: String,
    /// An administrator whose session was established with a password and a code may
    /// continue (break-glass, logged).
    may_bypass: bool,
}

/// The organization named by the path and the user's access to it; `NotFound` for
/// anyone without access (R3). These two pages cannot use `OrgMember`: it is what sends
/// people here.
async fn access_of(
    db: &Db,
    user: &CurrentUser,
    slug: String,
) -> Result<(uuid::Uuid, String, Access), AppError> {
    let user_id = user.user.id;
    db.run(move |conn| {
        let (org_id, name) = sso::org_by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
        let (access, _) =
            memberships::current_access(conn, org_id, user_id)?.ok_or(AppError::NotFound)?;
        Ok((org_id, name, access))
    })
    .await
}

/// GET /orgs/{org}/sso/required: where a password session lands in an organization that
/// requires single sign-on for its address.
pub async fn show_sso_required(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (_, org_name, access) = access_of(&db, &user, slug.clone()).await?;
    let may_bypass = access == Access::Org(Role::Administrator)
        && TypedSession::of(&req).signed_in_with() == SignedInWith::PasswordAndCode;
    html_with_status(
        StatusCode::OK,
        &RequiredPage {
            layout: Layout::for_user(&user, "Single sign-on required"),
            org: slug,
            org_name,
            email: user.user.email.clone(),
            may_bypass,
        },
    )
}

/// POST /orgs/{org}/sso/bypass: break-glass for an administrator with two-factor whose
/// session was established with password and code; recorded as
/// `organization.sso_bypassed`.
pub async fn bypass_sso(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (org_id, _, access) = access_of(&db, &user, slug.clone()).await?;
    match access {
        Access::Org(Role::Administrator) => {}
        Access::Org(_) => return Err(AppError::Forbidden),
        Access::Project(_) => return Err(AppError::NotFound),
    }
    let session = TypedSession::of(&req);
    if session.signed_in_with() != SignedInWith::PasswordAndCode {
        return Err(AppError::Conflict(
            "Log in with your password and two-factor code to continue without single sign-on."
                .into(),
        ));
    }
    let actor = user.actor();
    db.run(move |conn| ops::sso_sign_in::bypass(conn, org_id, &actor))
        .await?;
    session.allow_sso_bypass(org_id)?;
    Ok(redirect(&user.meta.hx, &format!("/orgs/{slug}")))
}
