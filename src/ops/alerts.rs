//! Alerts on privileged changes: written with the change (one call after its activity
//! entry), mailed by [`flush_due`], which groups a person's alerts of the same minute
//! into one message, and shown in the "Alerts" box of the organization's Overview.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, tx};
use crate::domain::Role;
use crate::domain::activity::{Actor, Event};
use crate::domain::{EmailAddress, activity_text, alerts::audience};
use crate::mail::{alerts as emails, outbox};
use crate::models::alerts as store;
use crate::models::users::User;

/// How long an alert waits for others to share its email.
pub const BATCH_WINDOW_SECONDS: i64 = 60;
/// Alerts listed in one email at most; the rest go in the next one.
const PER_EMAIL: i32 = 50;
/// People mailed per pass.
const PER_PASS: i64 = 200;

/// Writes the alerts `event` calls for (none for most events). Call inside the
/// operation's transaction, after recording the event, so that both commit together.
pub fn raise(conn: &mut PgConnection, org_id: Uuid, actor: &Actor, event: &Event) -> OpResult<()> {
    let who = audience(event);
    if who.administrators.is_none() && who.member.is_none() {
        return Ok(());
    }
    let stored = event.stored();
    let message = activity_text::describe(
        stored.action.as_str(),
        &actor.name,
        &stored.target.label,
        stored.before.as_ref(),
        stored.after.as_ref(),
    )
    .plain();
    // Someone just made Administrator hears of it once, as the member it is about.
    let made_admin = match event {
        Event::MemberRoleChanged { member, to, .. } if *to == Role::Administrator => {
            Some(member.id)
        }
        _ => None,
    };
    if let Some(security) = who.administrators {
        store::add_for_administrators(conn, org_id, made_admin, security, &message)?;
    }
    if let Some((user_id, security)) = who.member {
        store::add_for(conn, org_id, user_id, security, &message)?;
    }
    Ok(())
}

/// Mails every person whose oldest unmailed alert is at least a minute old, all their
/// unmailed alerts in one message (security alerts always; the others unless the
/// account turned them off). Safe to run in several instances at once: each person's
/// alerts are claimed with `SKIP LOCKED`. Returns how many emails were queued.
pub fn flush_due(conn: &mut PgConnection, now: DateTime<Utc>, base_url: &str) -> OpResult<usize> {
    let due = store::due_recipients(
        conn,
        now - Duration::seconds(BATCH_WINDOW_SECONDS),
        PER_PASS,
    )?;
    let mut queued = 0;
    for user_id in due {
        if tx(conn, |conn| mail_one(conn, user_id, now, base_url))? {
            queued += 1;
        }
    }
    Ok(queued)
}

fn mail_one(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
    base_url: &str,
) -> OpResult<bool> {
    let pending = store::claim_for(conn, user_id, PER_EMAIL)?;
    if pending.is_empty() {
        return Ok(false);
    }
    let ids: Vec<Uuid> = pending.iter().map(|p| p.id).collect();
    let Some(user) = User::find(conn, user_id)? else {
        store::mark_handled(conn, &ids, now, None)?;
        return Ok(false);
    };
    let all = store::wants_non_security(conn, user_id)?;
    let lines: Vec<emails::Line> = pending
        .into_iter()
        .filter(|p| p.security || all)
        .map(|p| emails::Line {
            overview_url: format!("{base_url}/orgs/{}", p.org_slug),
            org: p.org_name,
            message: p.message,
            security: p.security,
        })
        .collect();
    if lines.is_empty() {
        store::mark_handled(conn, &ids, now, None)?;
        return Ok(false);
    }
    let to = EmailAddress::parse(&user.email)
        .map_err(|e| OpError::Internal(format!("stored user email: {e}")))?;
    let email = emails::alerts(to, &user.name, &lines, base_url)?;
    let outbox_id = outbox::enqueue(conn, None, "alerts", &email, base_url)?;
    store::mark_handled(conn, &ids, now, Some(outbox_id.0))?;
    Ok(true)
}

/// Turns the account's non-security emails on or off; security alerts stay on.
pub fn set_non_security_email(
    conn: &mut PgConnection,
    user_id: Uuid,
    on: bool,
    now: DateTime<Utc>,
) -> OpResult<()> {
    Ok(store::set_non_security(conn, user_id, on, now)?)
}

/// Whether the account gets non-security emails.
pub fn wants_non_security_email(conn: &mut PgConnection, user_id: Uuid) -> OpResult<bool> {
    Ok(store::wants_non_security(conn, user_id)?)
}
