//! Writing activity entries and reading the newest ones.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use super::access_health;
pub use crate::domain::activity::{Action, Actor, Event};
use crate::schema::activity;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity)]
pub struct ActivityRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub target_label: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub seq: i64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    /// Digests of the personal values, by field; what the hash covers in their place.
    pub personal_digests: Value,
}

impl ActivityRow {
    /// The entry as the JSON Lines export writes it (and audit log streaming sends it):
    /// `org_id` to `hash` are what an auditor needs to re-verify the chain offline
    /// (README, "Verifying the activity log").
    pub fn export_json(&self) -> Value {
        use crate::domain::audit_chain;
        let summary = crate::domain::activity_text::describe(
            &self.action,
            &self.actor_name,
            &self.target_label,
            self.before.as_ref(),
            self.after.as_ref(),
        );
        serde_json::json!({
            "id": self.id,
            "time": self.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "actor_id": self.actor_id,
            "actor": self.actor_name,
            "action": self.action,
            "summary": summary.plain(),
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target": self.target_label,
            "before": self.before,
            "after": self.after,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "org_id": self.org_id,
            "seq": self.seq,
            "created_at": audit_chain::timestamp(self.created_at),
            "personal": self.personal_digests,
            "prev_hash": audit_chain::hex(&self.prev_hash),
            "hash": audit_chain::hex(&self.hash),
        })
    }
}

/// Appends the entry of `event`. Call it inside the transaction of the change it
/// describes, so that the change and its entry commit or roll back together (R33). The
/// organization's kept "Access health" badge is dropped with it: any recorded change may
/// open or close a check, and the next page counts again.
pub fn record(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    event: &Event,
) -> QueryResult<()> {
    let entry = event.stored();
    diesel::insert_into(activity::table)
        .values((
            activity::id.eq(Uuid::now_v7()),
            activity::org_id.eq(org_id),
            activity::actor_id.eq(actor.person()),
            activity::actor_name.eq(&actor.name),
            activity::action.eq(entry.action.as_str()),
            activity::target_type.eq(entry.target.kind),
            activity::target_id.eq(entry.target.id),
            activity::target_label.eq(&entry.target.label),
            activity::before.eq(entry.before),
            activity::after.eq(entry.after),
            activity::ip.eq(&actor.ip),
            activity::user_agent.eq(&actor.user_agent),
        ))
        .execute(conn)?;
    access_health::forget_badge(conn, org_id)
}

/// The name entries done by the console itself carry as their actor.
pub const SYSTEM_ACTOR: &str = "Teamwork (automatic)";

/// Appends the entry of `event` done by the console itself (a scheduled job): no
/// person, no address. Call it inside the transaction of the change, as [`record`]
/// (which also drops the kept badge).
pub fn record_by_system(conn: &mut PgConnection, org_id: Uuid, event: &Event) -> QueryResult<()> {
    let entry = event.stored();
    diesel::insert_into(activity::table)
        .values((
            activity::id.eq(Uuid::now_v7()),
            activity::org_id.eq(org_id),
            activity::actor_id.eq(None::<Uuid>),
            activity::actor_name.eq(SYSTEM_ACTOR),
            activity::action.eq(entry.action.as_str()),
            activity::target_type.eq(entry.target.kind),
            activity::target_id.eq(entry.target.id),
            activity::target_label.eq(&entry.target.label),
            activity::before.eq(entry.before),
            activity::after.eq(entry.after),
        ))
        .execute(conn)?;
    access_health::forget_badge(conn, org_id)
}

/// The newest entries of an organization, newest first.
pub fn recent(conn: &mut PgConnection, org_id: Uuid, limit: i64) -> QueryResult<Vec<ActivityRow>> {
    activity::table
        .filter(activity::org_id.eq(org_id))
        .order(activity::id.desc())
        .limit(limit)
        .select(ActivityRow::as_select())
        .load(conn)
}

/// Blanks the IP address and user agent (and drops their salts) of up to `limit`
/// entries older than their organization keeps them; the chain covers only their
/// digests, so it still verifies. Returns how many entries were redacted.
pub fn redact_personal(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Timestamptz};
    diesel::sql_query(
        "UPDATE activity SET ip = NULL, user_agent = NULL, \
                personal_salts = personal_salts - 'ip' - 'user_agent' \
         WHERE id IN (SELECT a.id FROM activity a JOIN organizations o ON o.id = a.org_id \
                      WHERE (a.ip IS NOT NULL OR a.user_agent IS NOT NULL) \
                        AND a.created_at < $1 - make_interval(days => o.keep_personal_days) \
                      LIMIT $2)",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(limit)
    .execute(conn)
}
