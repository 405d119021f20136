//! Settings > "Single sign-on" (administrators): the provider connection, "Test
//! connection", turning it on, "Require SSO", and "Verified domains".

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::auth::sso_flow::{self, Flow, Purpose};
use crate::config::Config;
use crate::db::Db;
use crate::domain::sealed::SecretsKey;
use crate::domain::sso::{ClientId, ClientSecret, DomainName, IssuerUrl, txt_record};
use crate::domain::{Permission, Role};
use crate::error::AppError;
use crate::htmx::{Level, html_with_status, redirect, toast};
use crate::layout::{Layout, Section};
use crate::models::sso;
use crate::sso::{dns, oidc};
use crate::{ops, stream};

#[derive(Template)]
#[template(path = "settings/sso.html")]
struct SsoPage {
    layout: Layout,
    slug: String,
    redirect_uri: String,
    issuer_url: String,
    client_id: String,
    default_role: String,
    roles: Vec<(&'static str, &'static str)>,
    configured: bool,
    tested: bool,
    active: bool,
    require_sso: bool,
    domains: Vec<DomainView>,
    /// The add-domain field, as typed.
    domain: String,
    errors: FieldErrors,
    /// A refusal of a button (test, verify, turn on), shown above the form.
    problem: Option<String>,
}

struct DomainView {
    id: Uuid,
    domain: String,
    record: String,
    verified: bool,
}

async fn page(
    member: &OrgMember,
    db: &Db,
    config: &Config,
    edit: impl FnOnce(&mut SsoPage),
) -> Result<SsoPage, AppError> {
    let org_id = member.org.id;
    let (connection, domains) = db
        .run(move |conn| Ok::<_, AppError>((sso::find(conn, org_id)?, sso::domains(conn, org_id)?)))
        .await?;
    let mut page = SsoPage {
        layout: member.layout(Section::Settings, "Single sign-on"),
        slug: member.org.slug.clone(),
        redirect_uri: oidc::redirect_uri(config),
        issuer_url: connection
            .as_ref()
            .map(|c| c.issuer_url.clone())
            .unwrap_or_default(),
        client_id: connection
            .as_ref()
            .map(|c| c.client_id.clone())
            .unwrap_or_default(),
        default_role: connection
            .as_ref()
            .map_or(Role::Viewer, |c| c.default_role)
            .as_str()
            .to_owned(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        configured: connection.is_some(),
        tested: connection.as_ref().is_some_and(|c| c.tested_at.is_some()),
        active: connection.as_ref().is_some_and(|c| c.active),
        require_sso: member.org.require_sso,
        domains: domains
            .into_iter()
            .map(|d| DomainView {
                id: d.id,
                record: txt_record(&d.token),
                verified: d.verified_at.is_some(),
                domain: d.domain,
            })
            .collect(),
        domain: String::new(),
        errors: FieldErrors::default(),
        problem: None,
    };
    edit(&mut page);
    Ok(page)
}

fn location(member: &OrgMember) -> String {
    format!("/orgs/{}/settings/sso", member.org.slug)
}

/// A refusal of a button: the page again, with the reason on top.
async fn refused(
    member: &OrgMember,
    db: &Db,
    config: &Config,
    status: StatusCode,
    message: String,
) -> Result<HttpResponse, AppError> {
    let page = page(member, db, config, |p| p.problem = Some(message)).await?;
    html_with_status(status, &page)
}

/// The status and message of an op's refusal, or the error as it is.
fn refusal(e: ops::OpError) -> Result<(StatusCode, String), AppError> {
    match e {
        ops::OpError::Refused(m) | ops::OpError::Conflict(m) => Ok((StatusCode::CONFLICT, m)),
        ops::OpError::Invalid(m) => Ok((StatusCode::UNPROCESSABLE_ENTITY, m)),
        other => Err(other.into()),
    }
}

/// GET /orgs/{org}/settings/sso
pub async fn show_sso(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let page = page(&member, &db, &config, |_| {}).await?;
    html_with_status(StatusCode::OK, &page)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsForm {
    issuer_url: String,
    client_id: String,
    /// Empty: keep the saved secret.
    #[serde(default)]
    client_secret: String,
    default_role: String,
}

/// POST /orgs/{org}/settings/sso
pub async fn update_sso(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    secrets: web::Data<SecretsKey>,
    web::Form(form): web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let mut errors = FieldErrors::default();
    let issuer = errors.check(
        "issuer_url",
        IssuerUrl::parse(&form.issuer_url, stream::policy(&config)),
    );
    let client_id = errors.check("client_id", ClientId::parse(&form.client_id));
    let secret = match form.client_secret.trim() {
        "" => Some(None),
        text => errors
            .check("client_secret", ClientSecret::parse(text))
            .map(Some),
    };
    let role = Role::parse(&form.default_role).map_err(|e| AppError::BadRequest(e.0.into()))?;
    let (Some(issuer), Some(client_id), Some(secret), true) =
        (issuer, client_id, secret, errors.is_empty())
    else {
        let page = page(&member, &db, &config, |p| {
            p.issuer_url = form.issuer_url;
            p.client_id = form.client_id;
            p.default_role = role.as_str().to_owned();
            p.errors = errors;
        })
        .await?;
        return html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (org_id, actor, now, key) = (
        member.org.id,
        member.actor(),
        config.clock.now(),
        secrets.get_ref().clone(),
    );
    let saved = db
        .run(move |conn| {
            ops::sso::save(
                conn,
                org_id,
                &actor,
                &issuer,
                &client_id,
                secret.as_ref(),
                role,
                &key,
                now,
            )
        })
        .await;
    if let Err(ops::OpError::Invalid(message)) = saved {
        let page = page(&member, &db, &config, |p| {
            p.issuer_url = form.issuer_url;
            p.client_id = form.client_id;
            p.errors.add("client_secret", message);
        })
        .await?;
        return html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    saved?;
    Ok(toast(
        redirect(&member.meta.hx, &location(&member)),
        Level::Success,
        "Single sign-on settings saved",
    ))
}

/// POST /orgs/{org}/settings/sso/test: "Test connection" sends the administrator to the
/// provider (in a new tab); the callback shows the claims and records the test.
pub async fn test_sso(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    secrets: web::Data<SecretsKey>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let org_id = member.org.id;
    let found = db
        .run(move |conn| Ok::<_, AppError>((sso::find(conn, org_id)?, sso::secret(conn, org_id)?)))
        .await?;
    let (Some(connection), Some(sealed)) = found else {
        let message = "Save the single sign-on settings first.".to_owned();
        return refused(&member, &db, &config, StatusCode::CONFLICT, message).await;
    };
    let secret = ClientSecret::open(&sealed, &secrets, org_id)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let provider = oidc::Provider {
        issuer: &connection.issuer_url,
        client_id: &connection.client_id,
        client_secret: secret.expose(),
    };
    let started = match oidc::start(&config, &provider, Some(&member.user.email)).await {
        Ok(started) => started,
        Err(e) => return refused(&member, &db, &config, StatusCode::CONFLICT, e.0).await,
    };
    let url = started.authorize_url.clone();
    let flow = Flow::new(
        org_id,
        Purpose::Test,
        started,
        &connection.issuer_url,
        &connection.client_id,
        config.clock.now(),
    );
    sso_flow::start(&req, &flow)?;
    super::sso::to_provider(&member.meta, &url)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveForm {
    active: String,
}

/// POST /orgs/{org}/settings/sso/active: turns sign-in through the provider on (after
/// a successful "Test connection") or off.
pub async fn update_sso_active(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<ActiveForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("active is true or false".into())),
    };
    let (org_id, actor) = (member.org.id, member.actor());
    match db
        .run(move |conn| ops::sso::set_active(conn, org_id, &actor, active))
        .await
    {
        Ok(_) => Ok(toast(
            redirect(&member.meta.hx, &location(&member)),
            Level::Success,
            if active {
                "Single sign-on turned on"
            } else {
                "Single sign-on turned off"
            },
        )),
        Err(e) => {
            let (status, message) = refusal(e)?;
            refused(&member, &db, &config, status, message).await
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequireForm {
    required: String,
}

/// POST /orgs/{org}/settings/sso/require
pub async fn update_sso_requirement(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<RequireForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let required = match form.required.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("required is true or false".into())),
    };
    let (org_id, actor) = (member.org.id, member.actor());
    match db
        .run(move |conn| ops::sso::set_required(conn, org_id, &actor, required))
        .await
    {
        Ok(_) => Ok(toast(
            redirect(&member.meta.hx, &location(&member)),
            Level::Success,
            if required {
                "Single sign-on required"
            } else {
                "Single sign-on made optional"
            },
        )),
        Err(e) => {
            let (status, message) = refusal(e)?;
            refused(&member, &db, &config, status, message).await
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainForm {
    domain: String,
}

/// POST /orgs/{org}/settings/sso/domains
pub async fn add_domain(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<DomainForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let mut errors = FieldErrors::default();
    let Some(domain) = errors.check("domain", DomainName::parse(&form.domain)) else {
        let page = page(&member, &db, &config, |p| {
            p.domain = form.domain;
            p.errors = errors;
        })
        .await?;
        return html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    match db
        .run(move |conn| ops::sso::add_domain(conn, org_id, &actor, &domain, now))
        .await
    {
        Ok(_) => Ok(toast(
            redirect(&member.meta.hx, &location(&member)),
            Level::Success,
            "Domain added: publish its TXT record, then choose Verify",
        )),
        Err(ops::OpError::Conflict(message)) => {
            let page = page(&member, &db, &config, |p| {
                p.domain = form.domain;
                p.errors.add("domain", message);
            })
            .await?;
            html_with_status(StatusCode::CONFLICT, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /orgs/{org}/settings/sso/domains/{id}/verify: looks up the TXT records now.
pub async fn verify_domain(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let (org_id, domain_id) = (member.org.id, path.into_inner().1);
    let domain = db
        .run(move |conn| {
            Ok::<_, AppError>(
                sso::domains(conn, org_id)?
                    .into_iter()
                    .find(|d| d.id == domain_id),
            )
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(server) = dns::resolver(config.dns_resolver) else {
        let message = "No DNS resolver is configured (DNS_RESOLVER).".to_owned();
        return refused(&member, &db, &config, StatusCode::CONFLICT, message).await;
    };
    let records = match dns::txt_records(server, &domain.domain).await {
        Ok(records) => records,
        Err(e) => return refused(&member, &db, &config, StatusCode::CONFLICT, e.0).await,
    };
    let (actor, now) = (member.actor(), config.clock.now());
    match db
        .run(move |conn| ops::sso::verify_domain(conn, org_id, &actor, domain_id, &records, now))
        .await
    {
        Ok(_) => Ok(toast(
            redirect(&member.meta.hx, &location(&member)),
            Level::Success,
            "Domain verified",
        )),
        Err(e) => {
            let (status, message) = refusal(e)?;
            refused(&member, &db, &config, status, message).await
        }
    }
}

/// POST /orgs/{org}/settings/sso/domains/{id}/remove
pub async fn remove_domain(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let (org_id, domain_id, actor) = (member.org.id, path.into_inner().1, member.actor());
    db.run(move |conn| ops::sso::remove_domain(conn, org_id, &actor, domain_id))
        .await?;
    Ok(toast(
        redirect(&member.meta.hx, &location(&member)),
        Level::Success,
        "Domain removed",
    ))
}
