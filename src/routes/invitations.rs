//! Inviting people: the form, the per-address results, resend and cancel (administrators).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::FieldErrors;
use super::members::{InvitationRowFragment, RowContext};
use crate::auth::OrgMember;
use crate::auth::session::redirect_with_flash;
use crate::config::Config;
use crate::db::Db;
use crate::domain::invite::parse_addresses;
use crate::domain::{Permission, Role};
use crate::error::AppError;
use crate::htmx::{Level, html, html_with_status, toast};
use crate::layout::{Layout, Section};
use crate::mail::Context;
use crate::mail::{WorkerHandle, log_link_in_development};
use crate::models::invitations as invitations_model;
use crate::ops::invitation_review as review;
use crate::ops::invitations::{self, AddressResult, Outcome};

#[derive(Template)]
#[template(path = "invitations/new.html")]
struct NewInvitationPage {
    layout: Layout,
    slug: String,
    emails: String,
    role: Role,
    errors: FieldErrors,
}

impl NewInvitationPage {
    fn roles(&self) -> [Role; 4] {
        Role::ALL
    }
}

/// Parsed leniently: an unknown role shows the default.
#[derive(Deserialize)]
pub struct NewInvitationQuery {
    role: Option<String>,
}

/// GET /orgs/{org}/invitations/new (`?role=administrator` from "Invite an administrator").
pub async fn new_invitation(
    member: OrgMember,
    query: web::Query<NewInvitationQuery>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let role = query.role.as_deref().and_then(|r| Role::parse(r).ok());
    html(&NewInvitationPage {
        layout: member.layout(Section::Members, "Invite Member"),
        slug: member.org.slug.clone(),
        emails: String::new(),
        role: role.unwrap_or(Role::Developer),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteForm {
    emails: String,
    role: String,
    /// Sent by the Members page's form: several addresses are previewed first.
    preview: Option<String>,
}

/// What happened to each address of an invitation form (organization or project).
#[derive(Template)]
#[template(path = "invitations/results.html")]
pub(super) struct ResultsPage {
    pub(super) layout: Layout,
    pub(super) slug: String,
    pub(super) csrf: String,
    /// The role every address was invited with; `None` when each had its own.
    pub(super) role: Option<Role>,
    pub(super) results: Vec<AddressResult>,
}

impl ResultsPage {
    fn invited(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Invited | Outcome::Resent))
            .count()
    }

    /// The addresses that were not invited for a reason the person can act on, each
    /// with what to do about it.
    fn to_fix(&self) -> Vec<(&str, &'static str)> {
        self.results
            .iter()
            .filter_map(|r| {
                let what = match r.outcome {
                    Outcome::Invalid(_) => "correct the address and invite it again",
                    Outcome::AddressLimit | Outcome::DailyLimit => "invite it again tomorrow",
                    Outcome::SeatLimit(_) => "change the plan or free a seat, then invite it again",
                    Outcome::Invited
                    | Outcome::Resent
                    | Outcome::AlreadyMember
                    | Outcome::AlreadyInvited(_) => {
                        return None;
                    }
                };
                Some((r.email.as_str(), what))
            })
            .collect()
    }
}

/// POST /orgs/{org}/invitations: each address is handled on its own; the valid ones
/// are invited, the others listed with the reason.
pub async fn create_invitation(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    web::Form(form): web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let mut errors = FieldErrors::default();
    let entries = errors.check("emails", parse_addresses(&form.emails));
    let role = errors.check("role", Role::parse(&form.role));
    let (Some(entries), Some(role)) = (entries, role) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewInvitationPage {
                layout: member.layout(Section::Members, "Invite Member"),
                slug: member.org.slug.clone(),
                emails: form.emails,
                role: Role::parse(&form.role).unwrap_or(Role::Developer),
                errors,
            },
        );
    };
    let (org_id, actor) = (member.org.id, member.actor());
    let ctx = Context::from_config(&config);
    if form.preview.is_some() && entries.len() > 1 {
        let results = db
            .run(move |conn| review::preview(conn, org_id, &actor, &entries, &ctx))
            .await?;
        return html(&PreviewPage {
            layout: member.layout(Section::Members, "Review invitations"),
            slug: member.org.slug.clone(),
            emails: form.emails,
            role,
            results,
        });
    }
    let sent = db
        .run(move |conn| {
            invitations::send(
                conn,
                org_id,
                &actor,
                &entries,
                invitations::Grant::Org(role),
                &ctx,
            )
        })
        .await?;
    mail.wake();
    for (email, link) in &sent.links {
        log_link_in_development(&config, "invitation", email, link);
    }
    html(&ResultsPage {
        layout: member.layout(Section::Members, "Invitations sent"),
        slug: member.org.slug.clone(),
        csrf: member.meta.csrf.clone(),
        role: Some(role),
        results: sent.results,
    })
}

/// The bulk invite preview: each address with what sending will do to it.
#[derive(Template)]
#[template(path = "invitations/preview.html")]
struct PreviewPage {
    layout: Layout,
    slug: String,
    /// The form's text, for "Edit".
    emails: String,
    /// The form's role: each address to invite starts with it.
    role: Role,
    results: Vec<AddressResult>,
}

impl PreviewPage {
    fn roles(&self) -> [Role; 4] {
        Role::ALL
    }

    /// How many emails "Send" queues: invitations and resends.
    fn sending(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Invited | Outcome::AlreadyInvited(_)))
            .count()
    }
}

/// The reviewed list: `invite` (an address) each followed by its `invite_role`,
/// `resend` (an address), and the form's own `emails` and `role` for "Edit". Read as
/// pairs because the rows repeat; any other field is refused (R5).
struct ReviewForm {
    emails: String,
    role: String,
    edit: bool,
    rows: Vec<(String, Option<String>)>,
}

impl ReviewForm {
    fn parse(pairs: Vec<(String, String)>) -> Result<Self, AppError> {
        let mut form = ReviewForm {
            emails: String::new(),
            role: String::new(),
            edit: false,
            rows: Vec::new(),
        };
        for (key, value) in pairs {
            match key.as_str() {
                "_csrf" => {}
                "emails" => form.emails = value,
                "role" => form.role = value,
                "step" => form.edit = value == "edit",
                "invite" | "resend" => form.rows.push((value, None)),
                "invite_role" => match form.rows.last_mut() {
                    Some((_, role @ None)) => *role = Some(value),
                    _ => return Err(AppError::BadRequest("A role without its address.".into())),
                },
                other => {
                    return Err(AppError::BadRequest(format!("Unknown field: {other}")));
                }
            }
        }
        Ok(form)
    }
}

/// POST /orgs/{org}/invitations/review: "Send N invitations" sends the reviewed list
/// (every address checked again under the lock); "Edit" goes back to the form with the
/// text kept.
pub async fn review_invitations(
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    web::Form(pairs): web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let form = ReviewForm::parse(pairs)?;
    let default_role = Role::parse(&form.role).unwrap_or(Role::Developer);
    if form.edit {
        return html(&NewInvitationPage {
            layout: member.layout(Section::Members, "Invite Member"),
            slug: member.org.slug.clone(),
            emails: form.emails,
            role: default_role,
            errors: FieldErrors::default(),
        });
    }
    let mut rows = Vec::with_capacity(form.rows.len());
    for (email, role) in &form.rows {
        let email = crate::domain::EmailAddress::parse(email)
            .map_err(|e| AppError::Invalid(format!("{email}: {e}")))?;
        let role = match role {
            Some(role) => Role::parse(role).map_err(|e| AppError::Invalid(e.to_string()))?,
            None => default_role,
        };
        rows.push((email, role));
    }
    if rows.is_empty() {
        return Err(AppError::Invalid(
            "There is no address to invite: use Edit to change the list.".into(),
        ));
    }
    let (org_id, actor) = (member.org.id, member.actor());
    let ctx = Context::from_config(&config);
    let sent = db
        .run(move |conn| review::send_reviewed(conn, org_id, &actor, &rows, &ctx))
        .await?;
    mail.wake();
    for (email, link) in &sent.links {
        log_link_in_development(&config, "invitation", email, link);
    }
    html(&ResultsPage {
        layout: member.layout(Section::Members, "Invitations sent"),
        slug: member.org.slug.clone(),
        csrf: member.meta.csrf.clone(),
        role: None,
        results: sent.results,
    })
}

/// POST /orgs/{org}/invitations/{id}/resend
pub async fn resend_invitation(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    mail: web::Data<WorkerHandle>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let (org_id, actor, id) = (member.org.id, member.actor(), path.1);
    let ctx = Context::from_config(&config);
    let (invitation, link) = db
        .run(move |conn| invitations::resend(conn, org_id, &actor, id, &ctx))
        .await?;
    mail.wake();
    log_link_in_development(&config, "invitation", &invitation.email, &link);
    let message = format!(
        "Invitation to {} sent again. The previous link no longer works.",
        invitation.email
    );
    if member.meta.hx.is_htmx() {
        let row = db
            .run(move |conn| {
                invitations_model::pending_row(conn, org_id, id)?.ok_or(AppError::NotFound)
            })
            .await?;
        let fragment = InvitationRowFragment {
            ctx: RowContext::of(&member),
            inv: row,
            now: config.clock.now(),
        };
        return Ok(toast(html(&fragment)?, Level::Success, &message));
    }
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &format!("/orgs/{}/members", member.org.slug),
        &message,
    ))
}

/// POST /orgs/{org}/invitations/{id}/cancel
pub async fn cancel_invitation(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, AppError> {
    member.require(Permission::ManageMembers)?;
    let (org_id, actor, id, now) = (member.org.id, member.actor(), path.1, config.clock.now());
    let invitation = db
        .run(move |conn| invitations::cancel(conn, org_id, &actor, id, now))
        .await?;
    let message = format!(
        "Invitation to {} cancelled. Its link no longer works.",
        invitation.email
    );
    if member.meta.hx.is_htmx() {
        // An empty answer swapped over the row takes the row away.
        let gone = HttpResponse::Ok()
            .insert_header((header::VARY, "HX-Request"))
            .finish();
        return Ok(toast(gone, Level::Success, &message));
    }
    Ok(redirect_with_flash(
        &req,
        &member.meta.hx,
        &format!("/orgs/{}/members", member.org.slug),
        &message,
    ))
}
