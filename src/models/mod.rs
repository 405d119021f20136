//! Diesel rows and queries, one file per table group. Functions take the connection
//! first and return `QueryResult`; org-owned queries take the org id.

pub mod access_health;
pub mod account_orgs;
pub mod activity;
pub mod activity_chain;
pub mod activity_checkpoints;
pub mod activity_log;
pub mod admin_api;
pub mod admin_api_requests;
pub mod admin_keys;
pub mod alerts;
pub mod api_keys;
pub mod audit_streams;
pub mod billing;
pub mod cached_sql;
pub mod invitations;
pub mod known_devices;
pub mod login_failures;
pub mod member_export;
pub mod member_extras;
pub mod member_list;
pub mod memberships;
pub mod notices;
pub mod org_deletion;
pub mod organizations;
pub mod project_members;
pub mod projects;
pub mod role_history;
pub mod scim;
pub mod sessions;
pub mod sso;
pub mod throttle;
pub mod two_factor;
pub mod usage;
pub mod usage_charges;
pub mod usage_storage;
pub mod user_tokens;
pub mod users;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// True when the error is a unique-constraint violation (a double submit or a race).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
