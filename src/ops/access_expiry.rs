//! "Access until" at work: reminders 7 days and 1 day before project-only access ends,
//! to the member and every administrator (each sent once), and the end itself, done by
//! the console (a job every minute). Safe with several app instances: an access is
//! ended under its organization's lock with its row taken `FOR UPDATE SKIP LOCKED`,
//! and reminders claim their rows the same way and record that they went out.

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use super::{OpError, OpResult, locked, tx};
use crate::domain::activity::{Event, Person};
use crate::domain::{EmailAddress, ProjectRole, access_until};
use crate::mail::access_until::{EndingMail, ending};
use crate::mail::outbox;
use crate::models::activity;
use crate::models::project_members::{self, Ending, Reminder};

/// Accesses handled per pass; the next pass (a minute later) takes the rest.
const BATCH: i64 = 200;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub expired: usize,
    pub reminded: usize,
}

/// One pass of the job: reminders first (the day's, then the week's), then the ends.
pub fn run(conn: &mut PgConnection, now: DateTime<Utc>, base_url: &str) -> OpResult<Pass> {
    let reminded =
        remind(conn, Reminder::Day, now, base_url)? + remind(conn, Reminder::Week, now, base_url)?;
    let expired = expire(conn, now)?;
    Ok(Pass { expired, reminded })
}

/// Ends every access whose last day is over, each in its own transaction. Returns how
/// many this call ended (another instance's share is not counted).
pub fn expire(conn: &mut PgConnection, now: DateTime<Utc>) -> OpResult<usize> {
    let today = now.date_naive();
    let mut done = 0;
    for candidate in project_members::ended(conn, today, BATCH)? {
        // The organization's lock first, as every membership change takes it, then the
        // row: of two instances, the second finds it gone.
        let ended = locked(conn, candidate.org_id, |conn, _| {
            let Some(access) =
                project_members::lock_one_ended(conn, candidate.org_id, candidate.user_id, today)?
            else {
                return Ok(false);
            };
            let role = ProjectRole::parse(&access.role)
                .map_err(|_| OpError::Internal("unknown project role".into()))?;
            project_members::delete(conn, access.org_id, access.user_id)?;
            let event = Event::ProjectAccessExpired {
                member: Person {
                    id: access.user_id,
                    name: access.name.clone(),
                },
                project: access.project_name.clone(),
                role,
                until: access.access_until,
            };
            activity::record_by_system(conn, access.org_id, &event)?;
            Ok(true)
        });
        match ended {
            Ok(true) => done += 1,
            Ok(false) | Err(OpError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Sends `reminder` for every access due for it, in one transaction; returns how many
/// accesses were reminded.
fn remind(
    conn: &mut PgConnection,
    reminder: Reminder,
    now: DateTime<Utc>,
    base_url: &str,
) -> OpResult<usize> {
    let today = now.date_naive();
    tx(conn, |conn| {
        let due = project_members::lock_due(conn, reminder, today, BATCH)?;
        for access in &due {
            send_reminder(conn, access, reminder, today, base_url)?;
            project_members::mark_reminded(conn, access.org_id, access.user_id, reminder, now)?;
        }
        Ok(due.len())
    })
}

fn send_reminder(
    conn: &mut PgConnection,
    access: &Ending,
    _reminder: Reminder,
    today: chrono::NaiveDate,
    base_url: &str,
) -> OpResult<()> {
    // The access works through its last day: it ends at the start of the next.
    let days = (access.access_until - today).num_days() + 1;
    let when = match days {
        1 => "tomorrow".to_owned(),
        n => format!("in {n} days"),
    };
    let until = access_until::label(access.access_until);
    let link = format!(
        "{base_url}/orgs/{}/projects/{}",
        access.slug, access.project_id
    );
    let mut recipients = vec![(access.name.clone(), access.email.clone(), true)];
    for (name, email) in project_members::administrators(conn, access.org_id)? {
        recipients.push((name, email, false));
    }
    for (name, email, is_member) in recipients {
        let Ok(to) = EmailAddress::parse(&email) else {
            continue;
        };
        let mail = ending(EndingMail {
            to,
            to_name: &name,
            member: &access.name,
            is_member,
            project: &access.project_name,
            org: &access.org_name,
            until: &until,
            when: &when,
            link: &link,
        })?;
        outbox::enqueue(conn, Some(access.org_id), "access_ending", &mail, base_url)?;
    }
    Ok(())
}
