//! "Ask for a new invitation" from an expired join link: the link's token proves the
//! mailbox, so no account is needed. The administrators are alerted, the invitation is
//! marked "Requested again" on the Members page, and an address may ask once a day.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;

use super::{OpError, OpResult, locked};
use crate::domain::activity::{Actor, Event};
use crate::domain::{EmailAddress, TokenHash};
use crate::models::activity;
use crate::models::invitations::{self as store, State};
use crate::models::users::User;

/// How often one invitation may be asked for again.
pub const ONCE_PER_HOURS: i64 = 24;

/// Who asked and from where (for the activity entry).
pub struct Asker {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Records the request of the expired invitation behind `token`; returns the name of
/// its organization. Refuses links that are not expired (still valid, used or
/// cancelled), and a second request within a day (429).
pub fn request_again(
    conn: &mut PgConnection,
    token: &TokenHash,
    asker: Asker,
    now: DateTime<Utc>,
) -> OpResult<String> {
    let (found, _) = store::find_by_token(conn, token)?.ok_or(OpError::NotFound)?;
    locked(conn, found.org_id, |conn, org| {
        // Read again under the lock: a resend meanwhile replaced the token.
        let (invitation, target) = store::find_by_token(conn, token)?.ok_or(OpError::NotFound)?;
        match invitation.state(now) {
            State::Expired => {}
            State::Pending => {
                return Err(OpError::refused(
                    "This invitation still works: open its link to accept it.",
                ));
            }
            State::Accepted | State::Cancelled => {
                return Err(OpError::refused(
                    "This invitation was already used or cancelled, so it cannot be sent again. Ask an administrator to invite you anew.",
                ));
            }
        }
        if let Some(at) = invitation.requested_again_at {
            let next = at + Duration::hours(ONCE_PER_HOURS);
            if next > now {
                return Err(OpError::Limit {
                    message: format!(
                        "You already asked for a new invitation to {} in the last 24 hours, and its administrators were told. You can ask again after {} UTC.",
                        org.name,
                        next.format("%Y-%m-%d %H:%M")
                    ),
                    retry_after: Some(std::time::Duration::from_secs(
                        (next - now).num_seconds().max(1) as u64,
                    )),
                });
            }
        }
        store::mark_requested_again(conn, invitation.id, now)?;
        let account = match EmailAddress::parse(&invitation.email) {
            Ok(email) => User::find_by_email(conn, &email)?,
            Err(_) => None,
        };
        let actor = Actor {
            user_id: account.map(|u| u.id).unwrap_or_else(uuid::Uuid::nil),
            name: invitation.email.clone(),
            ip: asker.ip,
            user_agent: asker.user_agent,
            admin_key: None,
            scim: None,
        };
        let facts = super::invitations::facts(&invitation, target.project_name.as_deref());
        let event = Event::InvitationRequestedAgain(facts);
        activity::record(conn, org.id, &actor, &event)?;
        super::alerts::raise(conn, org.id, &actor, &event)?;
        Ok(org.name.clone())
    })
}
