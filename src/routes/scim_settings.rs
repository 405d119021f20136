//! Settings > "SCIM provisioning" (administrators): the SCIM token (shown once,
//! rotatable, revocable), the group roles, and the groups the provider pushed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{FieldError, Permission, Role};
use crate::error::AppError;
use crate::htmx::{Level, html_with_status, redirect, toast};
use crate::layout::{Layout, Section};
use crate::models::scim as store;
use crate::ops;

/// Groups listed on the page at most (the provider may push thousands).
const GROUPS_SHOWN: i64 = 100;

#[derive(Template)]
#[template(path = "settings/scim.html")]
struct ScimPage {
    layout: Layout,
    slug: String,
    base_url: String,
    token: Option<TokenView>,
    /// A token just created: shown this once.
    secret: Option<String>,
    mappings: Vec<(String, &'static str)>,
    groups: Vec<GroupView>,
    groups_more: bool,
    roles: Vec<(&'static str, &'static str)>,
    group_name: String,
    group_role: String,
    errors: FieldErrors,
}

struct TokenView {
    prefix: String,
    created: String,
    last_used: String,
}

struct GroupView {
    name: String,
    members: i64,
    role: Option<&'static str>,
}

async fn page(
    member: &OrgMember,
    db: &Db,
    config: &Config,
    edit: impl FnOnce(&mut ScimPage),
) -> Result<ScimPage, AppError> {
    let org_id = member.org.id;
    let (token, mappings, groups) = db
        .run(move |conn| {
            Ok::<_, AppError>((
                store::token_of(conn, org_id)?,
                store::group_roles(conn, org_id)?,
                store::group_summaries(conn, org_id, GROUPS_SHOWN + 1)?,
            ))
        })
        .await?;
    let now = config.clock.now();
    let role_of = |name: &str| {
        mappings
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, r)| r.label())
    };
    let groups_more = groups.len() as i64 > GROUPS_SHOWN;
    let mut page = ScimPage {
        layout: member.layout(Section::Settings, "SCIM provisioning"),
        slug: member.org.slug.clone(),
        base_url: format!("{}/scim/v2", config.base_url),
        token: token.map(|t| TokenView {
            prefix: t.prefix,
            created: t.created_at.format("%b %-d, %Y").to_string(),
            last_used: t.last_used_at.map_or_else(
                || "never".to_owned(),
                |at| crate::domain::time::ago(at, now),
            ),
        }),
        secret: None,
        groups: groups
            .into_iter()
            .take(GROUPS_SHOWN as usize)
            .map(|(name, members)| GroupView {
                role: role_of(&name),
                name,
                members,
            })
            .collect(),
        groups_more,
        mappings: mappings
            .iter()
            .map(|(name, role)| (name.clone(), role.label()))
            .collect(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        group_name: String::new(),
        group_role: Role::Developer.as_str().to_owned(),
        errors: FieldErrors::default(),
    };
    edit(&mut page);
    Ok(page)
}

fn location(member: &OrgMember) -> String {
    format!("/orgs/{}/settings/scim", member.org.slug)
}

/// GET /orgs/{org}/settings/scim
pub async fn show_scim(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let page = page(&member, &db, &config, |_| {}).await?;
    html_with_status(StatusCode::OK, &page)
}

/// POST /orgs/{org}/settings/scim/token: a new token (the current one stops working).
pub async fn create_scim_token(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    let (_, secret) = db
        .run(move |conn| ops::scim::create_token(conn, org_id, &actor, now))
        .await?;
    let page = page(&member, &db, &config, |p| {
        p.secret = Some(secret.expose().to_owned());
    })
    .await?;
    // Every page is `Cache-Control: no-store` (security headers), this one too.
    html_with_status(StatusCode::OK, &page)
}

/// POST /orgs/{org}/settings/scim/token/revoke
pub async fn revoke_scim_token(
    member: OrgMember,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let (org_id, actor) = (member.org.id, member.actor());
    db.run(move |conn| ops::scim::revoke_token(conn, org_id, &actor))
        .await?;
    Ok(toast(
        redirect(&member.meta.hx, &location(&member)),
        Level::Success,
        "SCIM token revoked; provisioning stopped",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRoleForm {
    group_name: String,
    /// A role, or "none" to stop giving one.
    role: String,
}

/// POST /orgs/{org}/settings/scim/groups: members of a group get a role.
pub async fn update_scim_group_role(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<GroupRoleForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageOrganization)?;
    let role = match form.role.as_str() {
        "none" => None,
        other => Some(Role::parse(other).map_err(|e| AppError::BadRequest(e.0.into()))?),
    };
    let mut errors = FieldErrors::default();
    let name = errors.check(
        "group_name",
        ops::scim::parse_group_name(&form.group_name).map_err(FieldError),
    );
    let Some(name) = name else {
        let page = page(&member, &db, &config, |p| {
            p.group_name = form.group_name;
            p.group_role = form.role;
            p.errors = errors;
        })
        .await?;
        return html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (org_id, actor) = (member.org.id, member.actor());
    let group = name.clone();
    db.run(move |conn| ops::scim::set_group_role(conn, org_id, &actor, &group, role))
        .await?;
    let message = match role {
        Some(role) => format!("Members of {name} get the role {}", role.label()),
        None => format!("{name} no longer gives a role"),
    };
    Ok(toast(
        redirect(&member.meta.hx, &location(&member)),
        Level::Success,
        &message,
    ))
}
