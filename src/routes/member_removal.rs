//! The removal wizard: step 1 names the person and the keys they created, with "Rotate"
//! per key and one "Overlap"; step 2 removes them, rotates the chosen keys in the same
//! transaction and shows each new secret once, with "Download as .env".

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{API_KEY_PREFIX, Permission, PlainToken, env_file};
use crate::error::AppError;
use crate::htmx::html;
use crate::layout::{Layout, Section};
use crate::mail::Context;
use crate::models::api_keys::{self, KeyFilter, KeyRow};
use crate::models::member_list::{self, MemberRow};
use crate::ops::api_keys::Overlap;
use crate::ops::members::RemovalPlan;
use crate::ops::{self};

/// Keys used this recently are preselected for rotation: someone is using them now.
const RECENT_USE_DAYS: i64 = 30;

/// The "Overlap" choices: (form value, label, preselected).
const OVERLAPS: [(&str, &str, bool); 4] = [
    ("0", "None: old secrets stop now", false),
    ("1", "1 hour", false),
    ("24", "24 hours", true),
    ("168", "7 days", false),
];

#[derive(Template)]
#[template(path = "members/remove.html")]
struct RemovePage {
    layout: Layout,
    slug: String,
    csrf: String,
    org_name: String,
    row: MemberRow,
    /// Keys they created: they stay active, so the page offers to rotate them (R32).
    keys: Vec<KeyRow>,
    now: DateTime<Utc>,
}

impl RemovePage {
    fn recently_used(&self, key: &KeyRow) -> bool {
        key.key
            .last_used_at
            .is_some_and(|at| at > self.now - Duration::days(RECENT_USE_DAYS))
    }

    fn overlaps(&self) -> [(&'static str, &'static str, bool); 4] {
        OVERLAPS
    }
}

/// GET /orgs/{org}/members/{user_id}/remove: step 1 (also the no-JS path).
pub async fn confirm_remove_member(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let (org_id, target_id) = (member.org.id, path.1);
    let (row, keys) = db
        .run(move |conn| {
            let row = member_list::find(conn, org_id, target_id)?.ok_or(AppError::NotFound)?;
            let filter = KeyFilter {
                project: None,
                created_by: Some(target_id),
                include_revoked: false,
            };
            Ok::<_, AppError>((row, api_keys::list(conn, org_id, &filter)?))
        })
        .await?;
    let now = config.clock.now();
    // A key already replaced is on its way out: nothing to rotate.
    let keys = keys
        .into_iter()
        .filter(|k| k.key.replaced_by.is_none())
        .collect();
    html(&RemovePage {
        layout: member.layout(Section::Members, "Remove member"),
        slug: member.org.slug.clone(),
        csrf: member.meta.csrf.clone(),
        org_name: member.org.name.clone(),
        row,
        keys,
        now,
    })
}

/// The removal form: `rotate` once per chosen key, and `overlap`. Parsed by hand because
/// `rotate` repeats; any other field is refused (R5).
fn parse_plan(fields: Vec<(String, String)>) -> Result<RemovalPlan, AppError> {
    let mut plan = RemovalPlan::keep_keys();
    for (name, value) in fields {
        match name.as_str() {
            "rotate" => plan.rotate.push(
                value
                    .parse()
                    .map_err(|_| AppError::Invalid("That key does not exist.".into()))?,
            ),
            "overlap" => plan.overlap = Overlap::parse(&value)?,
            _ => return Err(AppError::Invalid(format!("Unexpected field {name}."))),
        }
    }
    Ok(plan)
}

/// A rotated key as step 2 shows it.
struct NewSecret {
    project: String,
    name: String,
    secret: String,
    old_prefix: String,
    old_until: String,
}

#[derive(Template)]
#[template(path = "members/removed.html")]
struct RemovedPage {
    layout: Layout,
    slug: String,
    csrf: String,
    name: String,
    secrets: Vec<NewSecret>,
}

impl RemovedPage {
    /// What "Download as .env" posts back: the secrets on this page, nothing stored.
    fn all_secrets(&self) -> String {
        let all: Vec<&str> = self.secrets.iter().map(|s| s.secret.as_str()).collect();
        all.join(" ")
    }
}

/// POST /orgs/{org}/members/{user_id}/remove: step 2. With keys to rotate, the answer is
/// the page of new secrets (never a redirect: a secret must not be in a URL); without,
/// back to the Members page.
pub async fn remove_member(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
    web::Form(fields): web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let plan = parse_plan(fields)?;
    let (org_id, target_id, actor) = (member.org.id, path.1, member.actor());
    let ctx = Context::from_config(&config);
    let overlap = plan.overlap;
    let removed = db
        .run(move |conn| ops::members::remove_member(conn, org_id, &actor, target_id, &plan, &ctx))
        .await?;
    let message = format!("{} was removed from the organization", removed.row.name);
    if removed.rotated.is_empty() {
        return Ok(redirect_with_flash(
            &req,
            &member.meta.hx,
            &format!("/orgs/{}/members", member.org.slug),
            &message,
        ));
    }
    let secrets = removed
        .rotated
        .into_iter()
        .map(|(rotated, project)| NewSecret {
            project,
            name: rotated.new.key.name.clone(),
            secret: rotated.new.secret.expose().to_owned(),
            old_prefix: rotated.old.prefix.clone(),
            old_until: match overlap {
                Overlap::None => "stopped working now".to_owned(),
                _ => format!("keeps working for {}", overlap.label()),
            },
        })
        .collect();
    let mut layout = member.layout(Section::Members, "Member removed");
    layout.flash = Some(message);
    html(&RemovedPage {
        layout,
        slug: member.org.slug.clone(),
        csrf: member.meta.csrf.clone(),
        name: removed.row.name,
        secrets,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvForm {
    // Defaulted, so that a request without it meets the permission check first.
    #[serde(default)]
    secrets: String,
}

/// POST /orgs/{org}/api-keys/env: "Download as .env". The page that showed the new
/// secrets posts them back; nothing stores them. Only secrets of this organization's
/// live keys are written, named after their project and key, so the answer can never
/// carry text the organization does not hold.
pub async fn download_api_keys_env(
    member: OrgMember,
    db: web::Data<Db>,
    web::Form(form): web::Form<EnvForm>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ManageApiKeys)?;
    let tokens: Vec<PlainToken> = form
        .secrets
        .split_whitespace()
        .take(500)
        .filter_map(|s| PlainToken::parse(API_KEY_PREFIX, s))
        .collect();
    let hashes: Vec<Vec<u8>> = tokens.iter().map(|t| t.hash().0).collect();
    let org_id = member.org.id;
    let found = db
        .run(move |conn| Ok::<_, AppError>(api_keys::named_by_secrets(conn, org_id, &hashes)?))
        .await?;
    // In the order the page showed them.
    let keys: Vec<(String, String, String)> = tokens
        .iter()
        .filter_map(|token| {
            let hash = token.hash().0;
            found
                .iter()
                .find(|(h, _, _)| *h == hash)
                .map(|(_, project, name)| {
                    (project.clone(), name.clone(), token.expose().to_owned())
                })
        })
        .collect();
    if keys.is_empty() {
        return Err(AppError::Invalid(
            "None of these keys is active any more: there is nothing to download.".into(),
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"api-keys.env\""))
        .body(env_file::render(&keys)))
}
