use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::lower;
use super::memberships::{OrgLink, org_links, switcher};
use crate::domain::{EmailAddress, PersonName};
use crate::schema::users;

/// An account, without its password hash (which only the login path reads).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    id: Uuid,
    email: &'a str,
    name: &'a str,
    password_hash: &'a str,
}

impl User {
    /// Fails with a unique violation when the address (in any case) has an account.
    pub fn create(
        conn: &mut PgConnection,
        email: &EmailAddress,
        name: &PersonName,
        password_hash: &str,
    ) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(NewUser {
                id: Uuid::now_v7(),
                email: email.as_str(),
                name: name.as_str(),
                password_hash,
            })
            .returning(User::as_returning())
            .get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// The user and their organizations (for the header's switcher), in one statement.
    pub fn find_with_orgs(
        conn: &mut PgConnection,
        id: Uuid,
    ) -> QueryResult<Option<(User, Vec<OrgLink>)>> {
        let row = users::table
            .find(id)
            .select((User::as_select(), switcher()))
            .first::<(User, serde_json::Value)>(conn)
            .optional()?;
        row.map(|(user, orgs)| Ok((user, org_links(orgs)?)))
            .transpose()
    }

    pub fn find_by_email(
        conn: &mut PgConnection,
        email: &EmailAddress,
    ) -> QueryResult<Option<User>> {
        users::table
            .filter(lower(users::email).eq(email.normalized()))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// The account id and password hash for a login attempt.
    pub fn credentials(
        conn: &mut PgConnection,
        email: &EmailAddress,
    ) -> QueryResult<Option<(Uuid, String)>> {
        users::table
            .filter(lower(users::email).eq(email.normalized()))
            .select((users::id, users::password_hash))
            .first(conn)
            .optional()
    }

    /// The address is proven (a join link or a verification link reached its mailbox).
    pub fn mark_verified(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> QueryResult<()> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::email_verified_at.is_null()),
        )
        .set(users::email_verified_at.eq(at))
        .execute(conn)
        .map(drop)
    }

    pub fn set_password_hash(conn: &mut PgConnection, id: Uuid, hash: &str) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(hash))
            .execute(conn)
            .map(drop)
    }

    /// The password hash of an account, to check its current password.
    pub fn password_hash_of(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<String>> {
        users::table
            .find(id)
            .select(users::password_hash)
            .first(conn)
            .optional()
    }

    pub fn rename(conn: &mut PgConnection, id: Uuid, name: &PersonName) -> QueryResult<User> {
        diesel::update(users::table.find(id))
            .set(users::name.eq(name.as_str()))
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// Makes `email` the account's address, proven by the link that reached it. Fails
    /// with a unique violation when another account took the address meanwhile.
    pub fn change_email(
        conn: &mut PgConnection,
        id: Uuid,
        email: &EmailAddress,
        at: DateTime<Utc>,
    ) -> QueryResult<User> {
        diesel::update(users::table.find(id))
            .set((
                users::email.eq(email.as_str()),
                users::email_verified_at.eq(Some(at)),
            ))
            .returning(User::as_returning())
            .get_result(conn)
    }
}
