//! A person's own choices about what the console shows them (no activity entry: they
//! change nothing of the organization).

use diesel::PgConnection;
use uuid::Uuid;

use super::OpResult;
use crate::models::notices;

/// `user_id` no longer wants the "only one administrator" notice in `org_id`.
pub fn dismiss_second_admin(conn: &mut PgConnection, org_id: Uuid, user_id: Uuid) -> OpResult<()> {
    notices::dismiss(conn, org_id, user_id, notices::SECOND_ADMIN)?;
    Ok(())
}
