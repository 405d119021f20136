//! `/invitations`: list pending, create (one or many addresses), get, change role,
//! resend, cancel.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::types::{
    AddressOutcome, Invitation, InvitationList, InvitationResults, NewInvitations, OutcomeCode,
    RoleChange,
};
use super::{AdminCaller, ApiFailure, body, cut, json, ok, page_limit, write};
use crate::config::Config;
use crate::db::Db;
use crate::domain::EmailAddress;
use crate::domain::admin_scope::AdminScope;
use crate::domain::invite::parse_addresses;
use crate::models::admin_api;
use crate::ops;
use crate::ops::invitations::{Context, Grant, Outcome, Sent};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 100; 20 by default.
    #[param(minimum = 1, maximum = 100)]
    pub(super) limit: Option<i64>,
    /// The `next_after` of the previous page.
    pub(super) after: Option<Uuid>,
}

/// List pending invitations (organization and project ones), in id order.
#[utoipa::path(get, path = "/api/v1/organization/invitations", tag = "invitations",
    params(PageQuery), responses((status = 200, body = InvitationList)),
    security(("admin_key" = ["members:read"])))]
pub async fn list_invitations(
    caller: AdminCaller,
    db: web::Data<Db>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersRead)?;
    let limit = page_limit(query.limit)?;
    let (org_id, after) = (caller.org_id, query.after);
    let rows = db
        .run(move |conn| {
            Ok::<_, ApiFailure>(admin_api::invitations(conn, org_id, after, limit + 1)?)
        })
        .await?;
    let (rows, next_after) = cut(rows, limit, |r| r.id.to_string());
    json(&InvitationList {
        has_more: next_after.is_some(),
        next_after,
        data: rows.into_iter().map(Invitation::from).collect(),
    })
}

/// Get one invitation (pending, accepted or cancelled).
#[utoipa::path(get, path = "/api/v1/organization/invitations/{id}", tag = "invitations",
    params(("id" = Uuid, Path)), responses((status = 200, body = Invitation)),
    security(("admin_key" = ["members:read"])))]
pub async fn get_invitation(
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersRead)?;
    let (org_id, id) = (caller.org_id, path.into_inner());
    let row = db
        .run(move |conn| Ok::<_, ApiFailure>(admin_api::invitation(conn, org_id, id)?))
        .await?
        .ok_or_else(ApiFailure::not_found)?;
    json(&Invitation::from(row))
}

/// Each address's outcome, with the id of its pending invitation.
pub(super) fn outcomes(
    conn: &mut diesel::PgConnection,
    org_id: Uuid,
    sent: Sent,
) -> Result<Vec<AddressOutcome>, ApiFailure> {
    let mut results = Vec::with_capacity(sent.results.len());
    for result in sent.results {
        let (outcome, invitation_id, message) = match result.outcome {
            Outcome::Invited => {
                let id = match EmailAddress::parse(&result.email) {
                    Ok(email) => {
                        crate::models::invitations::find_pending_for(conn, org_id, &email)?
                            .map(|i| i.id)
                    }
                    Err(_) => None,
                };
                (OutcomeCode::Invited, id, None)
            }
            Outcome::Invalid(reason) => (OutcomeCode::Invalid, None, Some(reason.to_owned())),
            Outcome::AlreadyMember => (
                OutcomeCode::AlreadyMember,
                None,
                Some("Already a member.".to_owned()),
            ),
            Outcome::AlreadyInvited(id) => (
                OutcomeCode::AlreadyInvited,
                Some(id),
                Some("Already invited: resend the pending invitation.".to_owned()),
            ),
            Outcome::AddressLimit => (
                OutcomeCode::AddressLimit,
                None,
                Some("This address got its invitations for today. Try again tomorrow.".to_owned()),
            ),
            Outcome::SeatLimit(plan) => (
                OutcomeCode::SeatLimit,
                None,
                Some(format!("Every seat of the {} plan is taken.", plan.label())),
            ),
            Outcome::DailyLimit => (
                OutcomeCode::DailyLimit,
                None,
                Some("Today's invitations are used up. Try again tomorrow.".to_owned()),
            ),
            Outcome::Resent => (OutcomeCode::Resent, None, None),
        };
        results.push(AddressOutcome {
            email: result.email,
            outcome,
            invitation_id,
            message,
        });
    }
    Ok(results)
}

/// The answer to a create: 201 when someone was invited, 402 when seats ran out before
/// anyone was, 200 otherwise (every address already a member, invited, or invalid).
pub(super) fn status_of(results: &[AddressOutcome]) -> StatusCode {
    if results
        .iter()
        .any(|r| matches!(r.outcome, OutcomeCode::Invited))
    {
        StatusCode::CREATED
    } else if results
        .iter()
        .any(|r| matches!(r.outcome, OutcomeCode::SeatLimit))
    {
        StatusCode::PAYMENT_REQUIRED
    } else {
        StatusCode::OK
    }
}

/// Invite one or many addresses with one role: the same limits and seat rule as the
/// invitation form (a daily limit: 429; no seat left for anyone: 402).
#[utoipa::path(post, path = "/api/v1/organization/invitations", tag = "invitations",
    request_body = NewInvitations,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first answer")),
    responses(
        (status = 201, body = InvitationResults, description = "At least one address was invited"),
        (status = 200, body = InvitationResults, description = "Nobody new was invited"),
        (status = 402, body = InvitationResults, description = "No seat left for any address"),
    ),
    security(("admin_key" = ["members:write"])))]
pub async fn create_invitations(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersWrite)?;
    let new: NewInvitations = body(&bytes)?;
    let entries = parse_addresses(&new.emails.join("\n"))
        .map_err(|e| ApiFailure::invalid(format!("emails: {}", e.0)))?;
    let (org_id, actor, ctx) = (
        caller.org_id,
        caller.actor.clone(),
        Context::from_config(&config),
    );
    let grant = Grant::Org(new.role.into());
    write(&req, &caller, &db, &bytes, move |conn| {
        let sent = ops::invitations::send(conn, org_id, &actor, &entries, grant, &ctx)?;
        let results = outcomes(conn, org_id, sent)?;
        ok(status_of(&results), &InvitationResults { results })
    })
    .await
}

/// A new link and 7 more days for a pending (or expired) invitation; the old link dies.
#[utoipa::path(post, path = "/api/v1/organization/invitations/{id}/resend", tag = "invitations",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Invitation)),
    security(("admin_key" = ["members:write"])))]
pub async fn resend_invitation(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersWrite)?;
    let (org_id, id, actor) = (caller.org_id, path.into_inner(), caller.actor.clone());
    let ctx = Context::from_config(&config);
    write(&req, &caller, &db, &bytes, move |conn| {
        ops::invitations::resend(conn, org_id, &actor, id, &ctx)?;
        let row = admin_api::invitation(conn, org_id, id)?.ok_or_else(ApiFailure::not_found)?;
        ok(StatusCode::OK, &Invitation::from(row))
    })
    .await
}

/// Give a pending invitation another role; its link and expiry stay. An invitation to a
/// project takes `developer` or `viewer` (422); an accepted or cancelled one: 409.
#[utoipa::path(patch, path = "/api/v1/organization/invitations/{id}", tag = "invitations",
    request_body = RoleChange,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Invitation)),
    security(("admin_key" = ["members:write"])))]
pub async fn update_invitation(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersWrite)?;
    let change: RoleChange = body(&bytes)?;
    let (org_id, id, actor) = (caller.org_id, path.into_inner(), caller.actor.clone());
    write(&req, &caller, &db, &bytes, move |conn| {
        ops::invitations::change_role(conn, org_id, &actor, id, change.role.into())?;
        let row = admin_api::invitation(conn, org_id, id)?.ok_or_else(ApiFailure::not_found)?;
        ok(StatusCode::OK, &Invitation::from(row))
    })
    .await
}

/// Cancel a pending invitation: its link stops working at once.
#[utoipa::path(delete, path = "/api/v1/organization/invitations/{id}", tag = "invitations",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Invitation, description = "The cancelled invitation")),
    security(("admin_key" = ["members:write"])))]
pub async fn cancel_invitation(
    req: HttpRequest,
    caller: AdminCaller,
    db: web::Data<Db>,
    path: web::Path<Uuid>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::MembersWrite)?;
    let (org_id, id, actor, now) = (
        caller.org_id,
        path.into_inner(),
        caller.actor.clone(),
        caller.now,
    );
    write(&req, &caller, &db, &bytes, move |conn| {
        ops::invitations::cancel(conn, org_id, &actor, id, now)?;
        let row = admin_api::invitation(conn, org_id, id)?.ok_or_else(ApiFailure::not_found)?;
        ok(StatusCode::OK, &Invitation::from(row))
    })
    .await
}
