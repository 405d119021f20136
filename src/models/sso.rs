//! An organization's single sign-on: its OpenID Connect connection (`sso_connections`)
//! and the email domains it claims and verifies (`verified_domains`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::Role;
use crate::schema::{organizations, sso_connections, verified_domains};

/// The connection as pages show it; the sealed secret is read only by [`secret`].
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sso_connections)]
pub struct Connection {
    pub org_id: Uuid,
    pub issuer_url: String,
    pub client_id: String,
    pub default_role: Role,
    pub active: bool,
    /// When "Test connection" last succeeded with these settings.
    pub tested_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub fn find(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<Connection>> {
    sso_connections::table
        .find(org_id)
        .select(Connection::as_select())
        .first(conn)
        .optional()
}

pub fn lock(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<Connection>> {
    sso_connections::table
        .find(org_id)
        .select(Connection::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The sealed client secret (bound to the organization under `SECRETS_KEY`).
pub fn secret(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<Vec<u8>>> {
    sso_connections::table
        .find(org_id)
        .select(sso_connections::client_secret_sealed)
        .first(conn)
        .optional()
}

/// The settings a save writes; `sealed_secret` `None` keeps the stored one.
pub struct Settings<'a> {
    pub issuer_url: &'a str,
    pub client_id: &'a str,
    pub sealed_secret: Option<&'a [u8]>,
    pub default_role: Role,
}

/// New settings. With `reset_test` (issuer, client or secret changed) a new "Test
/// connection" is needed before it can be active: `tested_at` is cleared and sign-in
/// turned off until then.
pub fn save(
    conn: &mut PgConnection,
    org_id: Uuid,
    settings: &Settings<'_>,
    reset_test: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let Settings {
        issuer_url,
        client_id,
        sealed_secret,
        default_role,
    } = *settings;
    let existing = find(conn, org_id)?;
    match (existing, sealed_secret) {
        (None, Some(sealed)) => diesel::insert_into(sso_connections::table)
            .values((
                sso_connections::org_id.eq(org_id),
                sso_connections::issuer_url.eq(issuer_url),
                sso_connections::client_id.eq(client_id),
                sso_connections::client_secret_sealed.eq(sealed),
                sso_connections::default_role.eq(default_role),
                sso_connections::updated_at.eq(now),
            ))
            .execute(conn)
            .map(drop),
        (None, None) => Err(diesel::result::Error::NotFound),
        (Some(_), sealed) => {
            let row = sso_connections::table.find(org_id);
            diesel::update(row)
                .set((
                    sso_connections::issuer_url.eq(issuer_url),
                    sso_connections::client_id.eq(client_id),
                    sso_connections::default_role.eq(default_role),
                    sso_connections::updated_at.eq(now),
                ))
                .execute(conn)?;
            if let Some(sealed) = sealed {
                diesel::update(row)
                    .set(sso_connections::client_secret_sealed.eq(sealed))
                    .execute(conn)?;
            }
            if reset_test {
                diesel::update(row)
                    .set((
                        sso_connections::tested_at.eq(None::<DateTime<Utc>>),
                        sso_connections::active.eq(false),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        }
    }
}

pub fn mark_tested(conn: &mut PgConnection, org_id: Uuid, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(sso_connections::table.find(org_id))
        .set(sso_connections::tested_at.eq(at))
        .execute(conn)
        .map(drop)
}

pub fn set_active(conn: &mut PgConnection, org_id: Uuid, active: bool) -> QueryResult<()> {
    diesel::update(sso_connections::table.find(org_id))
        .set(sso_connections::active.eq(active))
        .execute(conn)
        .map(drop)
}

pub fn set_require_sso(conn: &mut PgConnection, org_id: Uuid, on: bool) -> QueryResult<()> {
    diesel::update(organizations::table.find(org_id))
        .set(organizations::require_sso.eq(on))
        .execute(conn)
        .map(drop)
}

/// A claimed domain and its verification state.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = verified_domains)]
pub struct Domain {
    pub id: Uuid,
    pub org_id: Uuid,
    pub domain: String,
    pub token: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub fn domains(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Vec<Domain>> {
    verified_domains::table
        .filter(verified_domains::org_id.eq(org_id))
        .order(verified_domains::domain)
        .select(Domain::as_select())
        .load(conn)
}

pub fn find_domain(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> QueryResult<Option<Domain>> {
    verified_domains::table
        .filter(verified_domains::org_id.eq(org_id))
        .filter(verified_domains::id.eq(id))
        .select(Domain::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn add_domain(
    conn: &mut PgConnection,
    org_id: Uuid,
    domain: &str,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<Domain> {
    diesel::insert_into(verified_domains::table)
        .values((
            verified_domains::id.eq(Uuid::now_v7()),
            verified_domains::org_id.eq(org_id),
            verified_domains::domain.eq(domain),
            verified_domains::token.eq(token),
            verified_domains::created_at.eq(now),
        ))
        .returning(Domain::as_returning())
        .get_result(conn)
}

/// Fails with a unique violation when another organization verified it first.
pub fn mark_verified(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(verified_domains::table.find(id))
        .set(verified_domains::verified_at.eq(now))
        .execute(conn)
        .map(drop)
}

pub fn remove_domain(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::delete(verified_domains::table.find(id))
        .execute(conn)
        .map(drop)
}

/// The organization that verified `domain`, with its connection when active: where
/// "Continue with SSO" sends an address of that domain.
pub fn sso_for_domain(
    conn: &mut PgConnection,
    domain: &str,
) -> QueryResult<Option<(Uuid, Option<Connection>)>> {
    let org: Option<Uuid> = verified_domains::table
        .inner_join(organizations::table)
        .filter(verified_domains::domain.eq(domain))
        .filter(verified_domains::verified_at.is_not_null())
        .filter(organizations::deleted_at.is_null())
        .select(verified_domains::org_id)
        .first(conn)
        .optional()?;
    let Some(org_id) = org else {
        return Ok(None);
    };
    Ok(Some((org_id, find(conn, org_id)?.filter(|c| c.active))))
}

/// Whether `domain` is verified by `org_id` (one indexed lookup).
pub fn is_verified_by(conn: &mut PgConnection, org_id: Uuid, domain: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        verified_domains::table
            .filter(verified_domains::domain.eq(domain))
            .filter(verified_domains::org_id.eq(org_id))
            .filter(verified_domains::verified_at.is_not_null()),
    ))
    .get_result(conn)
}

/// The id and name of the live organization with this slug.
pub fn org_by_slug(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<(Uuid, String)>> {
    organizations::table
        .filter(organizations::slug.eq(slug))
        .filter(organizations::deleted_at.is_null())
        .select((organizations::id, organizations::name))
        .first(conn)
        .optional()
}

/// The slug of a live organization, for the landing after a sign-in.
pub fn slug_of(conn: &mut PgConnection, org_id: Uuid) -> QueryResult<Option<String>> {
    organizations::table
        .find(org_id)
        .filter(organizations::deleted_at.is_null())
        .select(organizations::slug)
        .first(conn)
        .optional()
}
