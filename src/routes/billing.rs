//! The Billing page: balance, plan and seats, the credit ledger, adding credits and
//! changing the plan.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::FieldErrors;
use crate::auth::OrgMember;
use crate::auth::session::TypedSession;
use crate::config::Config;
use crate::db::Db;
use crate::domain::billing::PaymentReference;
use crate::domain::{Credits, Permission, Plan};
use crate::error::AppError;
use crate::htmx::{html, html_with_status, redirect};
use crate::layout::{Layout, Section};
use crate::models::billing::{self, Account, LedgerKind, LedgerRow};
use crate::ops::{self, OpError};

/// Ledger entries per page.
const PAGE_SIZE: i64 = 25;

#[derive(Template)]
#[template(path = "billing/index.html", blocks = ["ledger"])]
struct BillingPage {
    layout: Layout,
    slug: String,
    csrf: String,
    account: Account,
    seats: i64,
    ledger: Vec<LedgerRow>,
    kind: LedgerKind,
    /// The id to page on from, when older entries exist.
    older_than: Option<i64>,
    /// Whether this is a later page (offers a way back to the newest).
    paged: bool,
    can_manage: bool,
    amount: String,
    reference: String,
    errors: FieldErrors,
    plan_error: Option<String>,
}

impl BillingPage {
    fn plans(&self) -> [Plan; 3] {
        Plan::ALL
    }

    fn kinds(&self) -> [LedgerKind; 4] {
        LedgerKind::ALL
    }

    /// The ledger's address with this filter, from `before` when paging.
    fn ledger_link(&self, before: Option<&i64>) -> String {
        let mut params: Vec<(&str, String)> = Vec::new();
        if self.kind != LedgerKind::All {
            params.push(("type", self.kind.as_str().to_owned()));
        }
        if let Some(id) = before {
            params.push(("before", id.to_string()));
        }
        let query = serde_urlencoded::to_string(params).unwrap_or_default();
        let base = format!("/orgs/{}/billing", self.slug);
        if query.is_empty() {
            base
        } else {
            format!("{base}?{query}")
        }
    }

    /// "3 of 5", "12 (no limit)".
    fn seats_label(&self) -> String {
        match self.account.plan.seat_limit() {
            Some(limit) => format!("{} of {limit}", self.seats),
            None => format!("{} (no limit)", self.seats),
        }
    }
}

/// What the add-credits form had, to show again with its messages.
#[derive(Default)]
struct Submitted {
    amount: String,
    reference: String,
    errors: FieldErrors,
    plan_error: Option<String>,
}

/// Loads everything the page shows: 3 statements whatever the ledger's length.
async fn load_page(
    db: &Db,
    member: &OrgMember,
    kind: LedgerKind,
    before: Option<i64>,
    submitted: Submitted,
) -> Result<BillingPage, AppError> {
    let org_id = member.org.id;
    let (account, seats, mut ledger) = db
        .run(move |conn| {
            let account = billing::find(conn, org_id)?;
            let seats = billing::seats_used(conn, org_id)?;
            let ledger = billing::ledger_page(conn, org_id, kind, before, PAGE_SIZE + 1)?;
            Ok::<_, AppError>((account, seats, ledger))
        })
        .await?;
    let older_than = if ledger.len() as i64 > PAGE_SIZE {
        ledger.truncate(PAGE_SIZE as usize);
        ledger.last().map(|entry| entry.id)
    } else {
        None
    };
    Ok(BillingPage {
        layout: member.layout(Section::Billing, "Billing"),
        slug: member.org.slug.clone(),
        csrf: member.meta.csrf.clone(),
        account,
        seats,
        ledger,
        kind,
        older_than,
        paged: before.is_some(),
        can_manage: member.can(Permission::ManageBilling),
        amount: submitted.amount,
        reference: submitted.reference,
        errors: submitted.errors,
        plan_error: submitted.plan_error,
    })
}

/// Parsed leniently: a bad cursor shows the newest entries.
#[derive(Debug, Default, Deserialize)]
pub struct BillingQuery {
    before: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// GET /orgs/{org}/billing: the whole page, or the ledger for htmx.
pub async fn show_billing(
    member: OrgMember,
    db: web::Data<Db>,
    query: web::Query<BillingQuery>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewBilling)?;
    let before = query.before.as_deref().and_then(|b| b.parse::<i64>().ok());
    let kind = LedgerKind::parse(query.kind.as_deref().unwrap_or(""));
    let page = load_page(&db, &member, kind, before, Submitted::default()).await?;
    if member.meta.hx.wants_fragment() {
        html(&page.as_ledger())
    } else {
        html(&page)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditsForm {
    amount: String,
    reference: String,
}

/// POST /orgs/{org}/billing/credits: records a purchase paid outside the console.
pub async fn add_credits(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<CreditsForm>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ManageBilling)?;
    let mut errors = FieldErrors::default();
    let amount = errors.check("amount", Credits::parse(&form.amount));
    let reference = errors.check("reference", PaymentReference::parse(&form.reference));
    let (Some(amount), Some(reference)) = (amount, reference) else {
        let submitted = Submitted {
            amount: form.amount,
            reference: form.reference,
            errors,
            plan_error: None,
        };
        let page = load_page(&db, &member, LedgerKind::All, None, submitted).await?;
        return html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    let balance = db
        .run(move |conn| ops::billing::add_credits(conn, org_id, &actor, amount, &reference, now))
        .await?;
    TypedSession::of(&req).set_flash(&format!(
        "Added {amount} credits. The balance is now {balance}."
    ));
    Ok(redirect(
        &member.meta.hx,
        &format!("/orgs/{}/billing", member.org.slug),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanForm {
    plan: String,
}

/// POST /orgs/{org}/billing/plan: refused when the seats in use exceed the new plan's.
pub async fn change_plan(
    req: HttpRequest,
    member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
    web::Form(form): web::Form<PlanForm>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ManageBilling)?;
    let plan = Plan::parse(&form.plan).map_err(|e| AppError::Invalid(e.0.into()))?;
    let (org_id, actor, now) = (member.org.id, member.actor(), config.clock.now());
    let refused = match db
        .run(move |conn| ops::billing::change_plan(conn, org_id, &actor, plan, now))
        .await
    {
        Ok(()) => None,
        Err(OpError::Refused(refusal)) => Some(refusal),
        Err(e) => return Err(e.into()),
    };
    if let Some(refusal) = refused {
        let submitted = Submitted {
            plan_error: Some(refusal),
            ..Submitted::default()
        };
        let page = load_page(&db, &member, LedgerKind::All, None, submitted).await?;
        return html_with_status(StatusCode::CONFLICT, &page);
    }
    TypedSession::of(&req).set_flash(&format!(
        "The plan is now {plan}, with {}.",
        plan.seats_label()
    ));
    Ok(redirect(
        &member.meta.hx,
        &format!("/orgs/{}/billing", member.org.slug),
    ))
}
