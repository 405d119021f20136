//! Sessions of an account: what a sign-in records, and signing sessions out from the
//! Sessions page.

use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, tx};
use crate::domain::EmailAddress;
use crate::domain::device::Device;
use crate::mail::account_notices::{Notice, notice};
use crate::mail::{Context, outbox};
use crate::models::known_devices::{self, Seen};
use crate::models::sessions;
use crate::models::users::User;

/// A session was established for `user_id` from `device`: remembers the device, and
/// mails the account a notice when the device is new to it (not on its very first
/// sign-in, when there is nothing to compare with).
pub fn signed_in(
    conn: &mut PgConnection,
    user_id: Uuid,
    device: &Device,
    ctx: &Context,
) -> OpResult<Seen> {
    tx(conn, |conn| {
        let seen = known_devices::remember(conn, user_id, &device.fingerprint(), ctx.now)?;
        if seen == Seen::New {
            let user = User::find(conn, user_id)?.ok_or(OpError::NotFound)?;
            let new_sign_in = Notice::NewSignIn {
                device: device.browser().describe(),
                ip: device.ip.clone(),
            };
            send_notice(conn, &user, &user.email, &new_sign_in, ctx)?;
        }
        Ok(seen)
    })
}

/// Queues a security notice about `user`'s account to `to` (its address, or the old one).
pub(super) fn send_notice(
    conn: &mut PgConnection,
    user: &User,
    to: &str,
    what: &Notice,
    ctx: &Context,
) -> OpResult<()> {
    let recipient =
        EmailAddress::parse(to).map_err(|e| OpError::Internal(format!("stored email: {e}")))?;
    let email = notice(recipient, &user.name, &user.email, what, &ctx.base_url)?;
    let kind = match what {
        Notice::NewSignIn { .. } => "new_sign_in",
        Notice::PasswordChanged { .. } => "password_changed",
        Notice::EmailChanged { .. } => "email_changed",
    };
    outbox::enqueue(conn, None, kind, &email, &ctx.base_url)?;
    Ok(())
}

/// Signs out the session `id` of `user_id`. Another account's session, or one that has
/// ended, is `NotFound`: nothing tells them apart.
pub fn sign_out(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> OpResult<()> {
    if sessions::delete_of_user(conn, user_id, id)? {
        Ok(())
    } else {
        Err(OpError::NotFound)
    }
}

/// "Sign out everywhere else": ends every session of `user_id` but `current`; returns
/// how many ended.
pub fn sign_out_others(conn: &mut PgConnection, user_id: Uuid, current: Uuid) -> OpResult<usize> {
    Ok(sessions::delete_others_of_user(conn, user_id, current)?)
}
