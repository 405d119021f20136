//! Role history read from the activity log: who was a member with which role at the end
//! of a day, and one member's membership entries. Each answer is one statement however
//! large the organization or its log.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::domain::Role;
use crate::domain::activity_filter::day_start;
use crate::domain::role_history::{Change, Effect, membership_actions};

/// The membership entries of the organization, one row per entry: whom it concerns,
/// what it did, the roles before and after. A project-only member leaving is no
/// organization membership.
const EVENTS: &str = "ev AS ( \
    SELECT a.id, a.created_at, \
           CASE WHEN a.action IN ('organization.created', 'invitation.accepted', 'member.joined_via_sso', 'member.left') \
                THEN a.actor_id ELSE a.target_id END AS user_id, \
           CASE WHEN a.action IN ('organization.created', 'invitation.accepted', 'member.joined_via_sso', 'member.provisioned') THEN 'joined' \
                WHEN a.action = 'member.role_changed' THEN 'changed' \
                ELSE 'departed' END AS kind, \
           CASE WHEN a.action = 'organization.created' THEN 'administrator' \
                ELSE a.after ->> 'role' END AS role_after, \
           a.before ->> 'role' AS role_before, \
           a.actor_name, a.actor_id \
    FROM activity a \
    WHERE a.org_id = $1 AND a.action = ANY($2) \
      AND NOT (a.action = 'member.left' AND a.before ? 'project'){narrow})";

/// The membership entries as `EVENTS` has them, without their roles: the roles of the
/// few entries that decide are read afterwards by id, so that the JSON of every entry is
/// not parsed.
const MOMENTS: &str = "ev AS MATERIALIZED ( \
    SELECT a.id, a.created_at, \
           CASE WHEN a.action IN ('organization.created', 'invitation.accepted', 'member.joined_via_sso', 'member.left') \
                THEN a.actor_id ELSE a.target_id END AS user_id, \
           CASE a.action WHEN 'organization.created' THEN 'founded' \
                WHEN 'invitation.accepted' THEN 'joined' \
                WHEN 'member.joined_via_sso' THEN 'joined' \
                WHEN 'member.provisioned' THEN 'joined' \
                WHEN 'member.role_changed' THEN 'changed' \
                ELSE 'departed' END AS kind \
    FROM activity a \
    WHERE a.org_id = $1 AND a.action = ANY($2) \
      AND NOT (a.action = 'member.left' AND a.before ? 'project'))";

/// Who held which role when the entries below `$3` (an id bound) were written and
/// nothing after: a person's last entry before the bound says it; a person whose first
/// entry is after it held what that entry found (unless it is a join, or their current
/// membership began after the bound); a member without any entry held their current
/// role from their membership's date (`$4`, a time bound).
const HELD: &str = "last_before AS ( \
    SELECT DISTINCT ON (user_id) user_id, id, kind \
    FROM ev WHERE id < $3 ORDER BY user_id, id DESC), \
first_after AS ( \
    SELECT DISTINCT ON (user_id) user_id, id, kind, created_at \
    FROM ev WHERE id >= $3 ORDER BY user_id, id), \
logged AS MATERIALIZED ( \
    SELECT coalesce(b.user_id, f.user_id) AS user_id, \
           CASE WHEN b.user_id IS NOT NULL THEN \
                    CASE b.kind WHEN 'departed' THEN NULL \
                         WHEN 'founded' THEN 'administrator' \
                         ELSE (SELECT a.after ->> 'role' FROM activity a WHERE a.id = b.id) END \
                WHEN f.kind IN ('founded', 'joined') THEN NULL \
                WHEN EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = $1 \
                             AND m.user_id = f.user_id AND m.created_at >= $4 \
                             AND m.created_at <= f.created_at) THEN NULL \
                ELSE (SELECT a.before ->> 'role' FROM activity a WHERE a.id = f.id) END AS role \
    FROM last_before b FULL JOIN first_after f ON f.user_id = b.user_id), \
held AS ( \
    SELECT user_id, role FROM logged WHERE role IS NOT NULL AND user_id IS NOT NULL \
    UNION ALL \
    SELECT m.user_id, m.role FROM memberships m \
    WHERE m.org_id = $1 AND m.created_at < $4 \
      AND NOT EXISTS (SELECT 1 FROM ev WHERE ev.user_id = m.user_id))";

/// A member of the organization at the end of a day.
#[derive(Debug, Clone, QueryableByName)]
pub struct HeldRow {
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub role: Role,
    #[diesel(sql_type = BigInt)]
    total: i64,
    /// A member today too (their page exists).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub current: bool,
}

/// The end of `day` (UTC) as the log's id bound and as a time.
fn end_of(day: NaiveDate) -> (Uuid, DateTime<Utc>) {
    let next = day.succ_opt().unwrap_or(day);
    (day_start(next), next.and_time(NaiveTime::MIN).and_utc())
}

/// Who was a member, with which role, at the end of `day` (UTC): `limit` of them from
/// `offset`, by name, and how many in all.
pub fn on_date(
    conn: &mut PgConnection,
    org_id: Uuid,
    day: NaiveDate,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<HeldRow>, i64)> {
    let (bound, time) = end_of(day);
    let sql = format!(
        "WITH {}, {HELD} \
         SELECT h.user_id, coalesce(u.name, '') AS name, coalesce(u.email, '') AS email, \
                h.role, count(*) OVER () AS total, \
                EXISTS (SELECT 1 FROM memberships c \
                        WHERE c.org_id = $1 AND c.user_id = h.user_id) AS current \
         FROM held h LEFT JOIN users u ON u.id = h.user_id \
         ORDER BY lower(coalesce(u.name, '')), h.user_id LIMIT $5 OFFSET $6",
        MOMENTS
    );
    let rows: Vec<HeldRow> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(org_id)
        .bind::<Array<Text>, _>(membership_actions())
        .bind::<SqlUuid, _>(bound)
        .bind::<Timestamptz, _>(time)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)?;
    let total = rows.first().map_or(0, |row| row.total);
    Ok((rows, total))
}

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    role_before: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    role_after: Option<String>,
    #[diesel(sql_type = Text)]
    actor_name: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    actor_id: Option<Uuid>,
}

/// The newest `limit` membership entries of `user_id`, oldest first.
pub fn changes_of(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    limit: i64,
) -> QueryResult<Vec<Change>> {
    let sql = format!(
        "WITH {} \
         SELECT * FROM (SELECT id, created_at, kind, role_before, role_after, actor_name, actor_id \
                        FROM ev WHERE user_id = $3 ORDER BY id DESC LIMIT $4) newest \
         ORDER BY id",
        // Two index probes (as actor, as target) instead of every membership entry.
        EVENTS.replace("{narrow}", " AND (a.actor_id = $3 OR a.target_id = $3)")
    );
    let rows: Vec<EntryRow> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(org_id)
        .bind::<Array<Text>, _>(membership_actions())
        .bind::<SqlUuid, _>(user_id)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    let role = |stored: Option<String>| stored.and_then(|r| Role::parse(&r).ok());
    Ok(rows
        .into_iter()
        .map(|row| Change {
            at: row.created_at,
            effect: match row.kind.as_str() {
                "joined" => Effect::Joined,
                "changed" => Effect::RoleChanged,
                _ => Effect::Departed,
            },
            before: role(row.role_before),
            after: role(row.role_after),
            by: row.actor_name,
            own: row.actor_id == Some(user_id),
        })
        .collect())
}
