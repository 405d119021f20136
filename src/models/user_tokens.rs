use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::TokenHash;
use crate::schema::user_tokens;

/// What a mailed account link is for, and how long it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Makes the address the token carries the account's address.
    ChangeEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
        }
    }

    /// 24 hours to confirm an address (or a new one); 1 hour to reset a password (R24).
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail | Purpose::ChangeEmail => Duration::hours(24),
            Purpose::ResetPassword => Duration::hours(1),
        }
    }

    /// The prefix of the token, so that a link of one kind never works as the other.
    pub fn prefix(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "ver_",
            Purpose::ResetPassword => "rst_",
            Purpose::ChangeEmail => "eml_",
        }
    }
}

/// Stores a new token; earlier unused tokens of the same purpose stop working, so that
/// only the latest email's link is live. `new_email` is the address a `ChangeEmail`
/// token makes the account's (and `None` for the other purposes).
pub fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    hash: &TokenHash,
    new_email: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose.as_str()))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(now))
    .execute(conn)?;
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::id.eq(Uuid::now_v7()),
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose.as_str()),
            user_tokens::token_hash.eq(&hash.0),
            user_tokens::expires_at.eq(now + purpose.lifetime()),
            user_tokens::created_at.eq(now),
            user_tokens::new_email.eq(new_email),
        ))
        .execute(conn)
        .map(drop)
}

/// The account a live (unused, unexpired) token belongs to; reads only.
pub fn holder(
    conn: &mut PgConnection,
    purpose: Purpose,
    hash: &TokenHash,
    now: DateTime<Utc>,
) -> QueryResult<Option<Uuid>> {
    user_tokens::table
        .filter(user_tokens::token_hash.eq(&hash.0))
        .filter(user_tokens::purpose.eq(purpose.as_str()))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(now))
        .select(user_tokens::user_id)
        .first(conn)
        .optional()
}

/// Uses a live token once: of concurrent attempts exactly one gets the account id.
pub fn consume(
    conn: &mut PgConnection,
    purpose: Purpose,
    hash: &TokenHash,
    now: DateTime<Utc>,
) -> QueryResult<Option<Uuid>> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::token_hash.eq(&hash.0))
            .filter(user_tokens::purpose.eq(purpose.as_str()))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(now)),
    )
    .set(user_tokens::used_at.eq(now))
    .returning(user_tokens::user_id)
    .get_result(conn)
    .optional()
}

/// Tokens of this purpose issued to the account since `since` (for rate limits).
pub fn issued_since(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    user_tokens::table
        .filter(user_tokens::user_id.eq(user_id))
        .filter(user_tokens::purpose.eq(purpose.as_str()))
        .filter(user_tokens::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// Uses a live `ChangeEmail` token once: the account and the address it asked for.
pub fn consume_change(
    conn: &mut PgConnection,
    hash: &TokenHash,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Uuid, Option<String>)>> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::token_hash.eq(&hash.0))
            .filter(user_tokens::purpose.eq(Purpose::ChangeEmail.as_str()))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(now)),
    )
    .set(user_tokens::used_at.eq(now))
    .returning((user_tokens::user_id, user_tokens::new_email))
    .get_result(conn)
    .optional()
}

/// The new address of the account's live change request, if there is one.
pub fn pending_change(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<String>> {
    user_tokens::table
        .filter(user_tokens::user_id.eq(user_id))
        .filter(user_tokens::purpose.eq(Purpose::ChangeEmail.as_str()))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(now))
        .order(user_tokens::created_at.desc())
        .select(user_tokens::new_email)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}
