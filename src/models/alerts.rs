//! Alerts to people about privileged changes, and each account's email preference.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::schema::{alerts, email_preferences};

/// Writes one alert to every administrator of the organization but `except` (who gets
/// their own). Call inside the transaction of the change.
pub fn add_for_administrators(
    conn: &mut PgConnection,
    org_id: Uuid,
    except: Option<Uuid>,
    security: bool,
    message: &str,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO alerts (id, org_id, user_id, security, message) \
         SELECT gen_random_uuid(), $1, user_id, $2, $3 FROM memberships \
         WHERE org_id = $1 AND role = 'administrator' AND user_id IS DISTINCT FROM $4",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Bool, _>(security)
    .bind::<Text, _>(message)
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(except)
    .execute(conn)
}

/// Writes one alert to one person. Call inside the transaction of the change.
pub fn add_for(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    security: bool,
    message: &str,
) -> QueryResult<()> {
    diesel::insert_into(alerts::table)
        .values((
            alerts::id.eq(Uuid::now_v7()),
            alerts::org_id.eq(org_id),
            alerts::user_id.eq(user_id),
            alerts::security.eq(security),
            alerts::message.eq(message),
        ))
        .execute(conn)
        .map(drop)
}

/// One line of a person's "Alerts" box.
#[derive(Debug, Clone, Queryable)]
pub struct AlertLine {
    pub message: String,
    pub security: bool,
    pub created_at: DateTime<Utc>,
}

/// The person's newest alerts in the organization, newest first.
pub fn recent_for(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    limit: i64,
) -> QueryResult<Vec<AlertLine>> {
    alerts::table
        .filter(alerts::org_id.eq(org_id))
        .filter(alerts::user_id.eq(user_id))
        .order((alerts::created_at.desc(), alerts::id.desc()))
        .limit(limit)
        .select((alerts::message, alerts::security, alerts::created_at))
        .load(conn)
}

/// People with an unmailed alert written at or before `before`.
pub fn due_recipients(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    alerts::table
        .filter(alerts::handled_at.is_null())
        .filter(alerts::created_at.le(before))
        .select(alerts::user_id)
        .distinct()
        .limit(limit)
        .load(conn)
}

/// An unmailed alert with its organization's name and slug.
#[derive(Debug, Clone, QueryableByName)]
pub struct Pending {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub org_name: String,
    #[diesel(sql_type = Text)]
    pub org_slug: String,
    #[diesel(sql_type = Bool)]
    pub security: bool,
    #[diesel(sql_type = Text)]
    pub message: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Locks and returns every unmailed alert of the person, oldest first; rows another
/// worker holds are skipped (it mails them).
pub fn claim_for(conn: &mut PgConnection, user_id: Uuid, limit: i32) -> QueryResult<Vec<Pending>> {
    diesel::sql_query(
        "SELECT a.id, o.name AS org_name, o.slug AS org_slug, a.security, a.message, a.created_at \
         FROM alerts a JOIN organizations o ON o.id = a.org_id \
         WHERE a.user_id = $1 AND a.handled_at IS NULL \
         ORDER BY a.created_at, a.id LIMIT $2 FOR UPDATE OF a SKIP LOCKED",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Integer, _>(limit)
    .load(conn)
}

pub fn mark_handled(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
    outbox_id: Option<Uuid>,
) -> QueryResult<()> {
    diesel::update(alerts::table.filter(alerts::id.eq_any(ids)))
        .set((alerts::handled_at.eq(now), alerts::outbox_id.eq(outbox_id)))
        .execute(conn)
        .map(drop)
}

/// True unless the account turned non-security emails off.
pub fn wants_non_security(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<bool> {
    Ok(email_preferences::table
        .find(user_id)
        .select(email_preferences::non_security)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(true))
}

pub fn set_non_security(
    conn: &mut PgConnection,
    user_id: Uuid,
    on: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(email_preferences::table)
        .values((
            email_preferences::user_id.eq(user_id),
            email_preferences::non_security.eq(on),
            email_preferences::updated_at.eq(now),
        ))
        .on_conflict(email_preferences::user_id)
        .do_update()
        .set((
            email_preferences::non_security.eq(on),
            email_preferences::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
