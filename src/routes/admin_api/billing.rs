//! `/billing`: balance, plan and seats; `/billing/ledger`: the transactions, newest
//! first, as the Billing page lists them.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::types::{Billing, Ledger, LedgerEntry};
use super::{AdminCaller, ApiFailure, cut, json, page_limit};
use crate::db::Db;
use crate::domain::admin_scope::AdminScope;
use crate::models::billing::{self, LedgerKind};

/// Credits, plan and seats.
#[utoipa::path(get, path = "/api/v1/organization/billing", tag = "billing",
    responses((status = 200, body = Billing)),
    security(("admin_key" = ["billing:read"])))]
pub async fn get_billing(
    caller: AdminCaller,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::BillingRead)?;
    let org_id = caller.org_id;
    let (account, seats) = db
        .run(move |conn| {
            Ok::<_, ApiFailure>((
                billing::find(conn, org_id)?,
                billing::seats_used(conn, org_id)?,
            ))
        })
        .await?;
    json(&Billing {
        balance: account.balance().decimal(),
        plan: account.plan.as_str().to_owned(),
        seats_used: seats,
        seat_limit: account.plan.seat_limit(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// 1 to 100; 20 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `next_after` of the previous page: older lines follow.
    #[param(minimum = 1)]
    after: Option<i64>,
}

/// The credit transactions, newest first (usage charges one line per day).
#[utoipa::path(get, path = "/api/v1/organization/billing/ledger", tag = "billing",
    params(LedgerQuery), responses((status = 200, body = Ledger)),
    security(("admin_key" = ["billing:read"])))]
pub async fn list_ledger(
    caller: AdminCaller,
    db: web::Data<Db>,
    query: web::Query<LedgerQuery>,
) -> Result<HttpResponse, ApiFailure> {
    caller.require(AdminScope::BillingRead)?;
    let limit = page_limit(query.limit)?;
    let (org_id, after) = (caller.org_id, query.after);
    let rows = db
        .run(move |conn| {
            Ok::<_, ApiFailure>(billing::ledger_page(
                conn,
                org_id,
                LedgerKind::default(),
                after,
                limit + 1,
            )?)
        })
        .await?;
    let (rows, next_after) = cut(rows, limit, |r| r.id.to_string());
    json(&Ledger {
        has_more: next_after.is_some(),
        next_after,
        data: rows
            .into_iter()
            .map(|r| LedgerEntry {
                amount: r.amount().decimal(),
                balance_after: r.balance_after().decimal(),
                id: r.id,
                kind: r.kind,
                reference: r.reference,
                actor: r.actor_name,
                created_at: r.created_at,
                charges: r.charges,
            })
            .collect(),
    })
}
