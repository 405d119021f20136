use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use uuid::Uuid;

use super::lower;
use crate::domain::Role;
use crate::schema::{memberships, two_factor_secrets, users};

/// Whether the listed user has two-factor sign-in on (a confirmed setup).
#[diesel::dsl::auto_type]
fn two_factor_on() -> _ {
    diesel::dsl::exists(
        two_factor_secrets::table
            .filter(two_factor_secrets::user_id.eq(users::id))
            .filter(two_factor_secrets::enabled_at.is_not_null()),
    )
}

/// Members listed per page.
pub const PAGE_SIZE: i64 = 50;

/// A row of the Members page.
#[derive(Debug, Clone, Queryable)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    pub last_active_at: Option<DateTime<Utc>>,
    /// Signs in with two-factor authentication (the "2FA" column, for administrators).
    pub two_factor: bool,
    /// Provisioned by the identity provider: the role follows its groups ("SCIM").
    pub scim_managed: bool,
}

impl MemberRow {
    pub fn joined_label(&self) -> String {
        self.joined_at.format("%b %-d, %Y").to_string()
    }

    pub fn last_active_label(&self) -> String {
        match self.last_active_at {
            Some(at) => crate::domain::time::ago(at, Utc::now()),
            None => "never".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberSort {
    #[default]
    Name,
    Email,
    Role,
    /// Newest first.
    Joined,
    /// Most recently active first.
    Active,
}

impl MemberSort {
    pub const ALL: [MemberSort; 5] = [
        MemberSort::Name,
        MemberSort::Email,
        MemberSort::Role,
        MemberSort::Joined,
        MemberSort::Active,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberSort::Name => "name",
            MemberSort::Email => "email",
            MemberSort::Role => "role",
            MemberSort::Joined => "joined",
            MemberSort::Active => "active",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberSort::Name => "Name",
            MemberSort::Email => "Email",
            MemberSort::Role => "Role",
            MemberSort::Joined => "Newest",
            MemberSort::Active => "Recently active",
        }
    }

    /// Unknown values fall back to the default order rather than failing the page.
    pub fn parse(value: &str) -> Self {
        MemberSort::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .unwrap_or_default()
    }
}

/// What the Members page shows: a search over name and email, a role, an order, a page.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// Lowercased, at most 100 characters; empty means no search.
    pub search: String,
    pub role: Option<Role>,
    pub sort: MemberSort,
    /// 1-based.
    pub page: i64,
}

type Filtered =
    diesel::dsl::IntoBoxed<'static, diesel::dsl::InnerJoin<memberships::table, users::table>, Pg>;

/// The organization's members matching the search and role of `filter`.
fn filtered(org_id: Uuid, filter: &MemberFilter) -> Filtered {
    let mut query = memberships::table
        .inner_join(users::table)
        .into_boxed()
        .filter(memberships::org_id.eq(org_id));
    if !filter.search.is_empty() {
        let pattern = like_pattern(&filter.search);
        query = query.filter(
            lower(users::name)
                .like(pattern.clone())
                .or(lower(users::email).like(pattern)),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(memberships::role.eq(role));
    }
    query
}

/// One page of members in the filter's order, and how many match in all when searching
/// (a window count in the same statement; `None` without a search, where the role counts
/// are exact, and when the page is past the end). Without a search the first pages walk
/// an index instead of counting and sorting every member. Ties are broken by user id so
/// that pages never overlap.
pub fn page(
    conn: &mut PgConnection,
    org_id: Uuid,
    filter: &MemberFilter,
) -> QueryResult<(Vec<MemberRow>, Option<i64>)> {
    let query = filtered(org_id, filter).select((
        (
            users::id,
            users::name,
            users::email,
            memberships::role,
            memberships::created_at,
            users::last_active_at,
            two_factor_on(),
            memberships::scim_managed,
        ),
        super::cached_sql::literal::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
            if filter.search.is_empty() {
                "NULL::bigint"
            } else {
                "count(*) OVER ()"
            },
        ),
    ));
    let query = match filter.sort {
        MemberSort::Name => query.order((lower(users::name).asc(), users::id.asc())),
        MemberSort::Email => query.order((lower(users::email).asc(), users::id.asc())),
        MemberSort::Role => query.order((
            memberships::role.asc(),
            lower(users::name).asc(),
            users::id.asc(),
        )),
        MemberSort::Joined => query.order((memberships::created_at.desc(), users::id.asc())),
        MemberSort::Active => {
            query.order((users::last_active_at.desc().nulls_last(), users::id.asc()))
        }
    };
    let rows: Vec<(MemberRow, Option<i64>)> = query
        .limit(PAGE_SIZE)
        .offset((filter.page.max(1) - 1) * PAGE_SIZE)
        .load(conn)?;
    let total = rows.first().and_then(|(_, total)| *total);
    Ok((rows.into_iter().map(|(row, _)| row).collect(), total))
}

/// How many members match the filter (for "page N of M").
pub fn count(conn: &mut PgConnection, org_id: Uuid, filter: &MemberFilter) -> QueryResult<i64> {
    filtered(org_id, filter).count().get_result(conn)
}

/// One member's row, for the fragment returned after a change and for confirmations.
pub fn find(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<MemberRow>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org_id))
        .filter(memberships::user_id.eq(user_id))
        .select((
            users::id,
            users::name,
            users::email,
            memberships::role,
            memberships::created_at,
            users::last_active_at,
            two_factor_on(),
            memberships::scim_managed,
        ))
        .first(conn)
        .optional()
}

/// Up to `limit` members of the filter after the user id `after`, in user id order: the
/// admin API's stable cursor (search and role apply; the sort does not).
pub fn after(
    conn: &mut PgConnection,
    org_id: Uuid,
    filter: &MemberFilter,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<MemberRow>> {
    let mut query = filtered(org_id, filter);
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    query
        .select((
            users::id,
            users::name,
            users::email,
            memberships::role,
            memberships::created_at,
            users::last_active_at,
            two_factor_on(),
            memberships::scim_managed,
        ))
        .order(users::id.asc())
        .limit(limit)
        .load(conn)
}

/// Escapes `%`, `_` and `\` so that a search is a plain substring match.
pub(super) fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_match_literally() {
        assert_eq!(like_pattern("ada"), "%ada%");
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn unknown_sorts_fall_back_to_name() {
        assert_eq!(MemberSort::parse("joined"), MemberSort::Joined);
        assert_eq!(MemberSort::parse("password_hash"), MemberSort::Name);
    }
}
