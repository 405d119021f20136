//! Settings, "Admin keys" (administrators): create an organization admin key with a
//! name, scopes and an optional expiry (its secret shown once), list them, revoke one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::admin_scope::{AdminScope, parse_scopes};
use crate::domain::{KeyName, Permission};
use crate::error::AppError;
use crate::htmx::{Hx, Level, html, html_with_status, redirect, secret_page, toast};
use crate::layout::{Layout, Section};
use crate::models::admin_keys::{self, AdminKey};
use crate::ops;

/// One row of the list.
struct KeyView {
    id: Uuid,
    name: String,
    prefix: String,
    scopes: Vec<String>,
    created_by: String,
    created_on: String,
    last_used: String,
    status: &'static str,
    live: bool,
}

impl KeyView {
    fn of(key: AdminKey, now: DateTime<Utc>) -> Self {
        let status = match (key.revoked_at, key.expires_at) {
            (Some(_), _) => "Revoked",
            (None, Some(at)) if at <= now => "Expired",
            (None, Some(_)) => "Active, expires",
            (None, None) => "Active",
        };
        KeyView {
            id: key.id,
            live: key.is_live(now),
            status,
            scopes: key.scopes.clone(),
            created_on: key.created_at.format("%b %-d, %Y").to_string(),
            last_used: key
                .last_used_at
                .map(|at| crate::domain::time::ago(at, now))
                .unwrap_or_else(|| "never".into()),
            created_by: key.created_by_name,
            name: key.name,
            prefix: key.prefix,
        }
    }
}

/// A scope checkbox: its value, label, and whether it is ticked.
struct ScopeBox {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "settings/admin_keys.html")]
struct AdminKeysPage {
    layout: Layout,
    slug: String,
    keys: Vec<KeyView>,
    name: String,
    expires: String,
    scopes: Vec<ScopeBox>,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "settings/admin_key_secret.html")]
struct SecretPage {
    layout: Layout,
    slug: String,
    key_name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "settings/admin_key_revoke.html")]
struct RevokePage {
    layout: Layout,
    slug: String,
    id: Uuid,
    name: String,
    prefix: String,
}

fn boxes(ticked: &[&str]) -> Vec<ScopeBox> {
    AdminScope::ALL
        .into_iter()
        .map(|s| ScopeBox {
            value: s.as_str(),
            label: s.label(),
            checked: ticked.contains(&s.as_str()),
        })
        .collect()
}

async fn page(
    member: &OrgMember,
    db: &Db,
    now: DateTime<Utc>,
    form: (String, String, Vec<ScopeBox>),
    errors: FieldErrors,
) -> Result<AdminKeysPage, AppError> {
    let org_id = member.org.id;
    let keys = db
        .run(move |conn| Ok::<_, AppError>(admin_keys::list(conn, org_id)?))
        .await?;
    Ok(AdminKeysPage {
        layout: member.layout(Section::Settings, "Admin keys"),
        slug: member.org.slug.clone(),
        keys: keys.into_iter().map(|k| KeyView::of(k, now)).collect(),
        name: form.0,
        expires: form.1,
        scopes: form.2,
        errors,
    })
}

/// GET /orgs/{org}/settings/admin-keys
pub async fn list_admin_keys(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ManageOrganization)?;
    let form = (String::new(), String::new(), boxes(&[]));
    html(
        &page(
            &member,
            &db,
            config.clock.now(),
            form,
            FieldErrors::default(),
        )
        .await?,
    )
}

/// POST /orgs/{org}/settings/admin-keys: the form repeats `scopes`, so it is read as
/// pairs rather than into a struct.
pub async fn create_admin_key(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ManageOrganization)?;
    let now = config.clock.now();
    let (mut name, mut expires, mut ticked) = (String::new(), String::new(), Vec::new());
    for (field, value) in url::form_urlencoded::parse(&body) {
        match field.as_ref() {
            "name" => name = value.into_owned(),
            "expires" => expires = value.into_owned(),
            "scopes" => ticked.push(value.into_owned()),
            _ => {
                return Err(AppError::BadRequest(
                    "The form has an unknown field.".into(),
                ));
            }
        }
    }
    let mut errors = FieldErrors::default();
    let key_name = errors.check("name", KeyName::parse(&name));
    let scopes = match parse_scopes(ticked.iter().map(String::as_str)) {
        Ok(scopes) => Some(scopes),
        Err(message) => {
            errors.add("scopes", message);
            None
        }
    };
    let expires_at = match expires.trim() {
        "" => Some(None),
        text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) if day > now.date_naive() => {
                day.and_hms_opt(0, 0, 0).map(|t| Some(t.and_utc()))
            }
            Ok(_) => {
                errors.add("expires", "Choose a day after today.");
                None
            }
            Err(_) => {
                errors.add("expires", "Enter a date as YYYY-MM-DD, or leave it empty.");
                None
            }
        },
    };
    let (Some(key_name), Some(scopes), Some(expires_at)) = (key_name, scopes, expires_at) else {
        let refs: Vec<&str> = ticked.iter().map(String::as_str).collect();
        let form = (name.clone(), expires.clone(), boxes(&refs));
        let page = page(&member, &db, now, form, errors).await?;
        return html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (org_id, actor) = (member.org.id, member.actor());
    let minted = db
        .run(move |conn| {
            ops::admin_keys::create(conn, org_id, &actor, &key_name, &scopes, expires_at, now)
        })
        .await?;
    secret_page(
        StatusCode::OK,
        &SecretPage {
            layout: member.layout(Section::Settings, "New admin key"),
            slug: member.org.slug.clone(),
            key_name: minted.key.name,
            secret: minted.secret.expose().to_owned(),
        },
    )
}

/// GET /orgs/{org}/settings/admin-keys/{key_id}/revoke
pub async fn confirm_revoke_admin_key(
    member: OrgMember,
    db: web::Data<Db>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ManageOrganization)?;
    let (org_id, key_id) = (member.org.id, path.1);
    let key = db
        .run(move |conn| Ok::<_, AppError>(admin_keys::find(conn, org_id, key_id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    html(&RevokePage {
        layout: member.layout(Section::Settings, "Revoke admin key"),
        slug: member.org.slug.clone(),
        id: key.id,
        name: key.name,
        prefix: key.prefix,
    })
}

/// POST /orgs/{org}/settings/admin-keys/{key_id}/revoke
pub async fn revoke_admin_key(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    hx: Hx,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ManageOrganization)?;
    let (org_id, key_id, actor, now) = (member.org.id, path.1, member.actor(), config.clock.now());
    let key = db
        .run(move |conn| ops::admin_keys::revoke(conn, org_id, &actor, key_id, now))
        .await?;
    let location = format!("/orgs/{}/settings/admin-keys", member.org.slug);
    Ok(toast(
        redirect(&hx, &location),
        Level::Success,
        &format!("Admin key {} revoked.", key.name),
    ))
}
