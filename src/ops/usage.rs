//! Usage reported by the platform's gateway with a project key: charged in groups (a
//! batch request, or the single reports an organization's queue gathered), in arrival
//! order against the running balance, in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::OpResult;
use crate::models::usage_charges::{self, Charge};

/// One usage report, validated and priced.
#[derive(Debug, Clone)]
pub struct Report {
    pub project_id: Uuid,
    pub api_key_id: Uuid,
    pub model: String,
    pub requests: i32,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micro: i64,
    pub occurred_at: DateTime<Utc>,
    /// The gateway's request id (1 to 64 visible characters), for retries.
    pub request_id: Option<String>,
}

/// What became of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded and charged now.
    Recorded { id: i64, cost_micro: i64 },
    /// Its request id was recorded already: the first result; nothing charged.
    Duplicate { id: i64, cost_micro: i64 },
    /// The balance is used up, or this charge would take it below the overdraft:
    /// nothing recorded.
    Refused,
}

/// Before the ids of this group's events are known.
enum Pending {
    Done(Outcome),
    /// The `n`th charge of this group.
    Charged(usize),
    /// A repeat of the request id of the `n`th charge of this group.
    RepeatOf(usize),
}

/// Records the reports of one organization in arrival order, in one transaction that
/// locks the balance once: a report is charged when the balance is above zero and the
/// charge leaves it at or above `-overdraft_micro` (otherwise it is refused and the next
/// one is tried against the same balance); a report whose request id was recorded
/// before, or earlier in this group, is a duplicate. Returns one outcome per report, in
/// order. The keys' last-used times are best effort, written after the commit.
pub fn record(
    conn: &mut PgConnection,
    org_id: Uuid,
    reports: &[Report],
    overdraft_micro: i64,
    now: DateTime<Utc>,
) -> OpResult<Vec<Outcome>> {
    let outcomes = super::tx(conn, |conn| {
        let Some(mut balance) = usage_charges::lock_balance(conn, org_id)? else {
            return Ok(vec![Outcome::Refused; reports.len()]);
        };
        let asked: Vec<&str> = reports
            .iter()
            .filter_map(|r| r.request_id.as_deref())
            .collect();
        let recorded = usage_charges::recorded_ids(conn, org_id, &asked)?;
        let mut in_group: HashMap<&str, usize> = HashMap::new();
        let mut charges: Vec<Charge<'_>> = Vec::new();
        let mut pending = Vec::with_capacity(reports.len());
        for report in reports {
            let request_id = report.request_id.as_deref();
            if let Some(&(id, cost_micro)) = request_id.and_then(|r| recorded.get(r)) {
                pending.push(Pending::Done(Outcome::Duplicate { id, cost_micro }));
                continue;
            }
            if let Some(&n) = request_id.and_then(|r| in_group.get(r)) {
                pending.push(Pending::RepeatOf(n));
                continue;
            }
            let cost = report.cost_micro;
            if balance <= 0 || balance.saturating_sub(cost) < -overdraft_micro {
                pending.push(Pending::Done(Outcome::Refused));
                continue;
            }
            balance -= cost;
            if let Some(r) = request_id {
                in_group.insert(r, charges.len());
            }
            pending.push(Pending::Charged(charges.len()));
            charges.push(Charge {
                project_id: report.project_id,
                api_key_id: report.api_key_id,
                model: &report.model,
                requests: report.requests,
                input_tokens: report.input_tokens,
                output_tokens: report.output_tokens,
                cost_micro: cost,
                occurred_at: report.occurred_at,
                request_id,
                balance_after_micro: balance,
            });
        }
        let ids = usage_charges::insert(conn, org_id, &charges, now)?;
        let outcome_of = |n: usize| (ids[n], charges[n].cost_micro);
        Ok(pending
            .into_iter()
            .map(|p| match p {
                Pending::Done(outcome) => outcome,
                Pending::Charged(n) => {
                    let (id, cost_micro) = outcome_of(n);
                    Outcome::Recorded { id, cost_micro }
                }
                Pending::RepeatOf(n) => {
                    let (id, cost_micro) = outcome_of(n);
                    Outcome::Duplicate { id, cost_micro }
                }
            })
            .collect::<Vec<_>>())
    })?;
    let mut used: Vec<Uuid> = reports
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| matches!(o, Outcome::Recorded { .. }))
        .map(|(r, _)| r.api_key_id)
        .collect();
    used.sort_unstable();
    used.dedup();
    if !used.is_empty()
        && let Err(e) = usage_charges::touch_keys(conn, &used, now)
    {
        tracing::warn!(error = %e, "could not record when the API keys were last used");
    }
    Ok(outcomes)
}
