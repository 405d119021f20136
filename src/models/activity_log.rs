//! Reading the activity log: keyset pages under a filter, and the people it can be filtered by.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use uuid::Uuid;

use super::activity::ActivityRow;
use crate::domain::activity_filter::ActionFilter;
use crate::schema::activity;

/// Entries per page of the Activity log.
pub const PAGE_SIZE: i64 = 50;

/// Entries read per statement while exporting.
pub const EXPORT_CHUNK: i64 = 1_000;

/// The group of an action, as `domain::activity_filter::stem` computes it; the
/// expression of the index `activity_org_stem_idx`, written identically so that the
/// planner matches it.
const STEM_SQL: &str = "substring(activity.action FROM '^[a-z]+')";

/// What the log is narrowed to. Dates are id bounds (see `activity_filter::day_start`).
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub action: ActionFilter,
    /// Entries where this user is the actor or the target.
    pub member: Option<Uuid>,
    /// Only ids at or above this bound.
    pub since: Option<Uuid>,
    /// Only ids below this bound.
    pub until: Option<Uuid>,
}

type Boxed = activity::BoxedQuery<'static, Pg>;

/// The filter's action and dates, below `before`, ordered newest first. Every shape
/// is served by an index that ends in `id DESC`, so a page reads about `limit` index
/// entries however many match and however deep the cursor is.
fn narrowed(org_id: Uuid, filter: &LogFilter, before: Option<Uuid>, limit: i64) -> Boxed {
    let mut query = activity::table
        .filter(activity::org_id.eq(org_id))
        .order(activity::id.desc())
        .limit(limit)
        .into_boxed();
    match &filter.action {
        ActionFilter::All => {}
        ActionFilter::One(code) => query = query.filter(activity::action.eq(code.clone())),
        ActionFilter::Group(group) => {
            query = query.filter(super::cached_sql::literal::<Text>(STEM_SQL).eq(group.stem))
        }
    }
    if let Some(since) = filter.since {
        query = query.filter(activity::id.ge(since));
    }
    let upper = match (before, filter.until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(upper) = upper {
        query = query.filter(activity::id.lt(upper));
    }
    query
}

/// One page of the log and the cursor of the next, older one.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub rows: Vec<ActivityRow>,
    /// The last row's id, when older entries exist.
    pub older: Option<Uuid>,
}

/// The [`PAGE_SIZE`] entries older than `before` (the newest when `None`).
pub fn page(
    conn: &mut PgConnection,
    org_id: Uuid,
    filter: &LogFilter,
    before: Option<Uuid>,
) -> QueryResult<LogPage> {
    let mut rows = entries(conn, org_id, filter, before, PAGE_SIZE + 1)?;
    let size = PAGE_SIZE as usize;
    let older = (rows.len() > size).then(|| rows[size - 1].id);
    rows.truncate(size);
    Ok(LogPage { rows, older })
}

/// Up to `limit` entries older than `before` (the newest when `None`), newest first.
/// A member filter reads two index ranges, the member as actor and as target (minus
/// what they did to themselves, already in the first), and merges them: one `OR`
/// would make Postgres sort every match.
pub fn entries(
    conn: &mut PgConnection,
    org_id: Uuid,
    filter: &LogFilter,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<ActivityRow>> {
    let query = narrowed(org_id, filter, before, limit);
    let Some(member) = filter.member else {
        return query.select(ActivityRow::as_select()).load(conn);
    };
    let mut rows = query
        .filter(activity::actor_id.eq(member))
        .select(ActivityRow::as_select())
        .load(conn)?;
    let targeted = narrowed(org_id, filter, before, limit)
        .filter(activity::target_id.eq(member))
        .filter(activity::actor_id.is_distinct_from(member))
        .select(ActivityRow::as_select())
        .load(conn)?;
    rows.extend(targeted);
    rows.sort_unstable_by_key(|row| std::cmp::Reverse(row.id));
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}

/// Someone the log can be filtered by: a member, or a former member who appears in it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Person {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Bool)]
    pub current: bool,
}

/// People shown by the "Member" filter, at most this many per search: the page's size
/// never depends on how many people the log has seen.
pub const PEOPLE_SHOWN: i64 = 10;

// A member of the organization, or someone who acted or was acted on in its log (one
// index probe each: `(org_id, actor_id, id)` and `(org_id, target_id, id)`).
const PERSON: &str = "SELECT u.id AS user_id, u.name, u.email, (m.user_id IS NOT NULL) AS current \
     FROM users u LEFT JOIN memberships m ON m.org_id = $1 AND m.user_id = u.id \
     WHERE {match} AND (m.user_id IS NOT NULL \
        OR EXISTS (SELECT 1 FROM activity a WHERE a.org_id = $1 AND a.actor_id = u.id) \
        OR EXISTS (SELECT 1 FROM activity a WHERE a.org_id = $1 AND a.target_id = u.id)) \
     ORDER BY current DESC, lower(u.name), u.id LIMIT $3";

/// People whose name or email contains `search` (lowercased, non-empty): members first,
/// then former members, by name. The substring match uses the trigram indexes on users.
pub fn search_people(
    conn: &mut PgConnection,
    org_id: Uuid,
    search: &str,
) -> QueryResult<Vec<Person>> {
    diesel::sql_query(PERSON.replace(
        "{match}",
        "(lower(u.name) LIKE $2 OR lower(u.email) LIKE $2)",
    ))
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<Text, _>(super::member_list::like_pattern(search))
    .bind::<diesel::sql_types::BigInt, _>(PEOPLE_SHOWN)
    .load(conn)
}

/// The person a member filter names, if the organization knows them.
pub fn person(conn: &mut PgConnection, org_id: Uuid, user_id: Uuid) -> QueryResult<Option<Person>> {
    diesel::sql_query(PERSON.replace("{match}", "u.id = $2"))
        .bind::<diesel::sql_types::Uuid, _>(org_id)
        .bind::<diesel::sql_types::Uuid, _>(user_id)
        .bind::<diesel::sql_types::BigInt, _>(1_i64)
        .get_result(conn)
        .optional()
}
