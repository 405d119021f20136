//! Billing accounts (plan and balance), the credit ledger, and the seats an organization uses.
//!
//! The balance is kept on the account row and changed only here and in
//! `usage_charges`, by the same statement that appends the ledger entries, so it always
//! equals the ledger's sum.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::domain::{Credits, Plan};
use crate::models::activity::Actor;
use crate::schema::billing_accounts;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = billing_accounts)]
pub struct Account {
    pub org_id: Uuid,
    pub plan: Plan,
    pub balance_micro: i64,
    pub updated_at: DateTime<Utc>,
}

impl Account {
    pub fn balance(&self) -> Credits {
        Credits::from_micro(self.balance_micro)
    }
}

/// Opens a new organization's account on the Free plan, with `starting` credits if any.
/// Call it in the transaction that creates the organization.
pub fn open(
    conn: &mut PgConnection,
    org_id: Uuid,
    starting: Option<Credits>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(billing_accounts::table)
        .values((
            billing_accounts::org_id.eq(org_id),
            billing_accounts::plan.eq(Plan::Free),
            billing_accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    match starting {
        Some(credits) => append(conn, org_id, "grant", credits.micro(), None, None, now).map(drop),
        None => Ok(()),
    }
}

/// Starting credits granted to organizations founded by `user_id` since `since`.
pub fn starting_grants_since(
    conn: &mut PgConnection,
    user_id: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM starting_credit_grants WHERE user_id = $1 AND granted_at > $2",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Timestamptz, _>(since)
    .get_result::<Count>(conn)
    .map(|c| c.n)
}

pub fn record_starting_grant(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO starting_credit_grants (org_id, user_id, granted_at) VALUES ($1, $2, $3)",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<SqlUuid, _>(user_id)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .map(drop)
}

pub fn find(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Account> {
    billing_accounts::table
        .find(org_id)
        .select(Account::as_select())
        .first(conn)
}

/// Changes the plan. The caller holds the organization lock and has checked the seats.
pub fn set_plan(
    conn: &mut PgConnection,
    org_id: Uuid,
    plan: Plan,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(billing_accounts::table.find(org_id))
        .set((
            billing_accounts::plan.eq(plan),
            billing_accounts::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

#[derive(QueryableByName)]
struct Appended {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    balance_after_micro: i64,
}

/// Adds `amount_micro` (negative for a debit) to the balance and appends the entry, in
/// one statement. Returns the entry's id and the balance after it.
fn append(
    conn: &mut PgConnection,
    org_id: Uuid,
    kind: &str,
    amount_micro: i64,
    reference: Option<&str>,
    actor: Option<&Actor>,
    now: DateTime<Utc>,
) -> QueryResult<(i64, i64)> {
    let appended: Appended = diesel::sql_query(
        "WITH account AS ( \
           UPDATE billing_accounts SET balance_micro = balance_micro + $2, updated_at = $6 \
           WHERE org_id = $1 RETURNING balance_micro) \
         INSERT INTO credit_ledger (org_id, kind, amount_micro, balance_after_micro, reference, \
                                    actor_id, actor_name, created_at) \
         SELECT $1, $3, $2, balance_micro, $4, $5, $7, $6 FROM account \
         RETURNING id, balance_after_micro",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<BigInt, _>(amount_micro)
    .bind::<Text, _>(kind)
    .bind::<Nullable<Text>, _>(reference)
    .bind::<Nullable<SqlUuid>, _>(actor.map(|a| a.user_id))
    .bind::<Timestamptz, _>(now)
    .bind::<Nullable<Text>, _>(actor.map(|a| a.name.as_str()).or(Some("Teamwork")))
    .get_result(conn)?;
    Ok((appended.id, appended.balance_after_micro))
}

/// Records a purchase: credits paid for outside the console, with the payment's reference.
pub fn add_credits(
    conn: &mut PgConnection,
    org_id: Uuid,
    amount: Credits,
    reference: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> QueryResult<Credits> {
    let (_, balance) = append(
        conn,
        org_id,
        "purchase",
        amount.micro(),
        Some(reference),
        Some(actor),
        now,
    )?;
    Ok(Credits::from_micro(balance))
}

/// A line of the Billing page's transactions: a purchase, grant or adjustment as it
/// was recorded, or one UTC day of usage charges added up (so that purchases are not
/// buried under thousands of charges).
#[derive(Debug, Clone, QueryableByName)]
pub struct LedgerRow {
    /// The entry's id; for a day of usage, its newest charge's (the page cursor).
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub amount_micro: i64,
    /// After the entry; for a day of usage, after its newest charge.
    #[diesel(sql_type = BigInt)]
    pub balance_after_micro: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub reference: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_name: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// How many usage reports the line charges (a usage entry charges the reports
    /// committed together; 1 for other entries).
    #[diesel(sql_type = BigInt)]
    pub charges: i64,
}

impl LedgerRow {
    pub fn amount(&self) -> Credits {
        Credits::from_micro(self.amount_micro)
    }

    pub fn balance_after(&self) -> Credits {
        Credits::from_micro(self.balance_after_micro)
    }

    pub fn is_usage(&self) -> bool {
        self.kind == "usage"
    }

    pub fn kind_label(&self) -> &'static str {
        match self.kind.as_str() {
            "grant" => "Starting credits",
            "purchase" => "Purchase",
            "usage" => "Usage",
            _ => "Adjustment",
        }
    }

    /// "14 charges" for a day of usage, the payment reference for purchases.
    pub fn detail(&self) -> String {
        match (self.is_usage(), self.charges) {
            (true, 1) => "1 charge".into(),
            (true, n) => format!("{n} charges"),
            _ => self.reference.clone().unwrap_or_default(),
        }
    }
}

/// Which transactions the Billing page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LedgerKind {
    #[default]
    All,
    Purchases,
    Usage,
    /// Starting credits and adjustments.
    Adjustments,
}

impl LedgerKind {
    pub const ALL: [LedgerKind; 4] = [
        LedgerKind::All,
        LedgerKind::Purchases,
        LedgerKind::Usage,
        LedgerKind::Adjustments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::All => "all",
            LedgerKind::Purchases => "purchases",
            LedgerKind::Usage => "usage",
            LedgerKind::Adjustments => "adjustments",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LedgerKind::All => "All transactions",
            LedgerKind::Purchases => "Purchases",
            LedgerKind::Usage => "Usage",
            LedgerKind::Adjustments => "Starting credits and adjustments",
        }
    }

    /// Unknown values list everything.
    pub fn parse(value: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .unwrap_or_default()
    }
}

/// Newest first, `limit` lines older than `before` (keyset paging on the id): entries
/// one by one, usage charges one line per UTC day. A day's line sorts by its newest
/// charge, so each day is listed once, on the page where that charge falls.
pub fn ledger_page(
    conn: &mut PgConnection,
    org_id: Uuid,
    kind: LedgerKind,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<LedgerRow>> {
    diesel::sql_query(
        "SELECT id, kind, amount_micro, balance_after_micro, reference, actor_name, created_at, charges \
         FROM ( \
           SELECT max(id) AS id, 'usage' AS kind, sum(amount_micro)::int8 AS amount_micro, \
                  (array_agg(balance_after_micro ORDER BY id DESC))[1] AS balance_after_micro, \
                  NULL::text AS reference, NULL::text AS actor_name, max(created_at) AS created_at, \
                  sum(coalesce(cardinality(usage_event_ids), 1))::int8 AS charges \
           FROM credit_ledger \
           WHERE org_id = $1 AND kind = 'usage' AND $2 IN ('all', 'usage') \
           GROUP BY (created_at AT TIME ZONE 'UTC')::date \
           UNION ALL \
           SELECT id, kind, amount_micro, balance_after_micro, reference, actor_name, created_at, \
                  1::int8 AS charges \
           FROM credit_ledger \
           WHERE org_id = $1 AND kind <> 'usage' \
             AND ($2 = 'all' OR ($2 = 'purchases' AND kind = 'purchase') \
                  OR ($2 = 'adjustments' AND kind <> 'purchase')) \
         ) lines \
         WHERE $3::int8 IS NULL OR id < $3 \
         ORDER BY id DESC LIMIT $4",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(kind.as_str())
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

#[derive(QueryableByName)]
struct Seats {
    #[diesel(sql_type = BigInt)]
    seats: i64,
}

/// Members, project-only members and pending invitations (expired ones too: a resend
/// revives them). Call under the organization lock when the answer guards a change.
pub fn seats_used(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<i64> {
    let seats: Seats = diesel::sql_query(
        "SELECT (SELECT count(*) FROM memberships WHERE org_id = $1) \
              + (SELECT count(*) FROM project_members WHERE org_id = $1) \
              + (SELECT count(*) FROM invitations WHERE org_id = $1 AND status = 'pending') \
              AS seats",
    )
    .bind::<SqlUuid, _>(org_id)
    .get_result(conn)?;
    Ok(seats.seats)
}
