//! Notices a person dismissed in an organization, and when the second-administrator
//! notice applies.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Uuid as SqlUuid};
use uuid::Uuid;

/// The one notice that can be dismissed so far.
pub const SECOND_ADMIN: &str = "second_admin";

/// Records that `user_id` dismissed `notice` in `org_id`; dismissing twice is harmless.
pub fn dismiss(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    notice: &str,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO notice_dismissals (org_id, user_id, notice) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<SqlUuid, _>(user_id)
    .bind::<Text, _>(notice)
    .execute(conn)
    .map(drop)
}

/// Whether the second-administrator notice is for this person now: not dismissed by
/// them, and the organization has invited someone (a new one-person organization is
/// not nagged on its first page).
#[derive(Debug, Clone, Copy, Default)]
pub struct SecondAdminNotice {
    pub dismissed: bool,
    pub invited_anyone: bool,
}

const NOTICE_STATE: &str = "EXISTS (SELECT 1 FROM notice_dismissals d \
                              WHERE d.org_id = $1 AND d.user_id = $2 AND d.notice = 'second_admin') \
                              AS dismissed, \
                            EXISTS (SELECT 1 FROM invitations i WHERE i.org_id = $1) AS invited_anyone";

/// The notice's state alone, after a role change made in place.
pub fn second_admin_notice(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> QueryResult<SecondAdminNotice> {
    #[derive(QueryableByName)]
    struct Flags {
        #[diesel(sql_type = Bool)]
        dismissed: bool,
        #[diesel(sql_type = Bool)]
        invited_anyone: bool,
    }
    let flags: Flags = diesel::sql_query(format!("SELECT {NOTICE_STATE}"))
        .bind::<SqlUuid, _>(org_id)
        .bind::<SqlUuid, _>(user_id)
        .get_result(conn)?;
    Ok(SecondAdminNotice {
        dismissed: flags.dismissed,
        invited_anyone: flags.invited_anyone,
    })
}
