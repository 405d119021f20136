use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::lower;
use super::organizations::{CountChange, Organization};
use crate::domain::{EmailAddress, Role, TokenHash};
use crate::schema::{invitation_sends, invitations, organizations, outbox, projects, users};

/// How long a join link stays valid after its latest sending.
pub const VALID_DAYS: i64 = 7;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub role: Role,
    pub status: String,
    pub invited_by: Option<Uuid>,
    pub invited_by_name: String,
    pub expires_at: DateTime<Utc>,
    pub sent_at: DateTime<Utc>,
    pub send_count: i32,
    pub outbox_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Set for project-only access (then `role` is Developer or Viewer).
    pub project_id: Option<Uuid>,
    /// "Access until" of a project invitation: the accepted access ends after that day.
    pub access_until: Option<chrono::NaiveDate>,
    /// The invitee asked for a new link from the expired one ("Requested again").
    pub requested_again_at: Option<DateTime<Utc>>,
}

/// What a join link leads to, as the invitee's page tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Expired,
    Accepted,
    Cancelled,
}

impl Invitation {
    pub fn state(&self, now: DateTime<Utc>) -> State {
        match self.status.as_str() {
            "accepted" => State::Accepted,
            "cancelled" => State::Cancelled,
            _ if self.expires_at <= now => State::Expired,
            _ => State::Pending,
        }
    }
}

/// What the organization needs to show on the join page.
#[derive(Debug, Clone, Queryable)]
pub struct JoinTarget {
    pub org_name: String,
    pub org_slug: String,
    /// The project, for an invitation to project-only access.
    pub project_name: Option<String>,
}

/// A pending invitation as the Members page lists it, with its email's delivery.
#[derive(Debug, Clone, Queryable)]
pub struct PendingRow {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub invited_by_name: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub delivery_status: Option<String>,
    pub delivery_error: Option<String>,
    pub project_name: Option<String>,
    /// Set when the invitee asked for a new link since the latest sending.
    pub requested_again_at: Option<DateTime<Utc>>,
}

impl PendingRow {
    pub fn sent_label(&self, now: &DateTime<Utc>) -> String {
        crate::domain::time::ago(self.sent_at, *now)
    }

    pub fn expiry_label(&self, now: &DateTime<Utc>) -> String {
        match crate::domain::time::until(self.expires_at, *now) {
            expired if expired == "expired" => "Expired".into(),
            left => format!("Expires {left}"),
        }
    }

    pub fn is_expired(&self, now: &DateTime<Utc>) -> bool {
        self.expires_at <= *now
    }

    /// "Queued", "Sent", or "Failed: <reason>".
    pub fn delivery_label(&self) -> String {
        match self.delivery_status.as_deref() {
            Some("sent") => "Sent".into(),
            Some("failed") => format!(
                "Failed: {}",
                self.delivery_error.as_deref().unwrap_or("unknown reason")
            ),
            _ => "Queued".into(),
        }
    }
}

pub struct NewInvitation<'a> {
    pub org_id: Uuid,
    pub email: &'a EmailAddress,
    pub role: Role,
    pub token: &'a TokenHash,
    pub inviter_id: Uuid,
    pub inviter_name: &'a str,
    pub project_id: Option<Uuid>,
    pub access_until: Option<chrono::NaiveDate>,
    pub now: DateTime<Utc>,
}

/// Fails with a unique violation when the address already has a pending invitation.
/// Call under the organization lock; keeps the organization's counts.
pub fn create(conn: &mut PgConnection, new: NewInvitation<'_>) -> QueryResult<Invitation> {
    let invitation = diesel::insert_into(invitations::table)
        .values((
            invitations::id.eq(Uuid::now_v7()),
            invitations::org_id.eq(new.org_id),
            invitations::email.eq(new.email.as_str()),
            invitations::role.eq(new.role),
            invitations::token_hash.eq(&new.token.0),
            invitations::invited_by.eq(new.inviter_id),
            invitations::invited_by_name.eq(new.inviter_name),
            invitations::expires_at.eq(new.now + chrono::Duration::days(VALID_DAYS)),
            invitations::sent_at.eq(new.now),
            invitations::project_id.eq(new.project_id),
            invitations::access_until.eq(new.access_until),
        ))
        .returning(Invitation::as_returning())
        .get_result(conn)?;
    Organization::count(conn, new.org_id, pending_change(1))?;
    Ok(invitation)
}

fn pending_change(n: i32) -> CountChange {
    CountChange {
        pending_invitations: n,
        ..Default::default()
    }
}

/// The organization's invitation with this id (any state).
pub fn find(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::org_id.eq(org_id))
        .filter(invitations::id.eq(id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

pub fn find_pending_for(
    conn: &mut PgConnection,
    org_id: Uuid,
    email: &EmailAddress,
) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::org_id.eq(org_id))
        .filter(invitations::status.eq("pending"))
        .filter(lower(invitations::email).eq(email.normalized()))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// The invitation a join link points at, with its organization.
pub fn find_by_token(
    conn: &mut PgConnection,
    token: &TokenHash,
) -> QueryResult<Option<(Invitation, JoinTarget)>> {
    invitations::table
        .inner_join(organizations::table)
        .left_join(projects::table.on(projects::id.nullable().eq(invitations::project_id)))
        .filter(invitations::token_hash.eq(&token.0))
        .select((
            Invitation::as_select(),
            (
                organizations::name,
                organizations::slug,
                projects::name.nullable(),
            ),
        ))
        .first(conn)
        .optional()
}

/// A new link and a new 7 days for a pending (possibly expired) invitation; the old link
/// stops working because its hash is gone (R13). The role never changes here.
pub fn reissue(
    conn: &mut PgConnection,
    id: Uuid,
    token: &TokenHash,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::status.eq("pending")),
    )
    .set((
        invitations::token_hash.eq(&token.0),
        invitations::sent_at.eq(now),
        invitations::expires_at.eq(now + chrono::Duration::days(VALID_DAYS)),
        invitations::send_count.eq(invitations::send_count + 1),
        invitations::requested_again_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Marks that the invitee asked for a new link (shown as "Requested again").
pub fn mark_requested_again(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(invitations::table.find(id))
        .set(invitations::requested_again_at.eq(now))
        .execute(conn)
        .map(drop)
}

pub fn set_outbox(conn: &mut PgConnection, id: Uuid, outbox_id: Uuid) -> QueryResult<()> {
    diesel::update(invitations::table.find(id))
        .set(invitations::outbox_id.eq(outbox_id))
        .execute(conn)
        .map(drop)
}

/// Call under the organization lock; keeps the organization's counts.
pub fn cancel(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::status.eq("pending")),
    )
    .set((
        invitations::status.eq("cancelled"),
        invitations::cancelled_at.eq(now),
    ))
    .returning(invitations::org_id)
    .get_result(conn)
    .optional()?
    .map(|org_id| Organization::count(conn, org_id, pending_change(-1)))
    .transpose()
    .map(|done| done.is_some())
}

/// Cancels every pending invitation of the organization (expired ones too: a resend
/// would revive them), for its deletion. Call under the organization lock; keeps the
/// organization's counts. Returns how many were cancelled.
pub fn cancel_all_pending(
    conn: &mut PgConnection,
    org_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let cancelled = diesel::update(
        invitations::table
            .filter(invitations::org_id.eq(org_id))
            .filter(invitations::status.eq("pending")),
    )
    .set((
        invitations::status.eq("cancelled"),
        invitations::cancelled_at.eq(now),
    ))
    .execute(conn)? as i32;
    if cancelled > 0 {
        Organization::count(conn, org_id, pending_change(-cancelled))?;
    }
    Ok(i64::from(cancelled))
}

/// Marks the invitation used, only if it is still pending and unexpired at `now`:
/// of many concurrent accepts exactly one gets `true` (R12).
pub fn mark_accepted(
    conn: &mut PgConnection,
    id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::status.eq("pending"))
            .filter(invitations::expires_at.gt(now)),
    )
    .set((
        invitations::status.eq("accepted"),
        invitations::accepted_by.eq(user_id),
        invitations::accepted_at.eq(now),
    ))
    .returning(invitations::org_id)
    .get_result(conn)
    .optional()?
    .map(|org_id| Organization::count(conn, org_id, pending_change(-1)))
    .transpose()
    .map(|done| done.is_some())
}

/// Pending invitations, newest first, with the delivery status of their latest email:
/// of one project, or of the whole organization.
pub fn pending_for_project(
    conn: &mut PgConnection,
    org_id: Uuid,
    project_id: Uuid,
) -> QueryResult<Vec<PendingRow>> {
    pending(conn, org_id, Some(project_id), 200)
}

pub fn pending_for_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    limit: i64,
) -> QueryResult<Vec<PendingRow>> {
    pending(conn, org_id, None, limit)
}

/// One pending invitation's row, for the row swapped in place after a resend.
pub fn pending_row(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<PendingRow>> {
    Ok(pending_filtered(conn, org_id, None, Some(id), 1)?.pop())
}

fn pending(
    conn: &mut PgConnection,
    org_id: Uuid,
    project: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<PendingRow>> {
    pending_filtered(conn, org_id, project, None, limit)
}

fn pending_filtered(
    conn: &mut PgConnection,
    org_id: Uuid,
    project: Option<Uuid>,
    id: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<PendingRow>> {
    let mut query = invitations::table
        .left_join(outbox::table.on(outbox::id.nullable().eq(invitations::outbox_id)))
        .left_join(projects::table.on(projects::id.nullable().eq(invitations::project_id)))
        .filter(invitations::org_id.eq(org_id))
        .filter(invitations::status.eq("pending"))
        .into_boxed();
    if let Some(project_id) = project {
        query = query.filter(invitations::project_id.eq(project_id));
    }
    if let Some(id) = id {
        query = query.filter(invitations::id.eq(id));
    }
    query
        .order(invitations::sent_at.desc())
        .limit(limit)
        .select((
            invitations::id,
            invitations::email,
            invitations::role,
            invitations::invited_by_name,
            invitations::sent_at,
            invitations::expires_at,
            outbox::status.nullable(),
            outbox::last_error.nullable(),
            projects::name.nullable(),
            invitations::requested_again_at,
        ))
        .load(conn)
}

/// True when an account with this address is a member of the organization, or has
/// project-only access to one of its projects.
pub fn has_access(
    conn: &mut PgConnection,
    org_id: Uuid,
    email: &EmailAddress,
) -> QueryResult<bool> {
    use crate::schema::{memberships, project_members};
    let member = diesel::select(diesel::dsl::exists(
        memberships::table
            .inner_join(users::table)
            .filter(memberships::org_id.eq(org_id))
            .filter(lower(users::email).eq(email.normalized())),
    ))
    .get_result(conn)?;
    let project_only = diesel::select(diesel::dsl::exists(
        project_members::table
            .inner_join(users::table)
            .filter(project_members::org_id.eq(org_id))
            .filter(lower(users::email).eq(email.normalized())),
    ))
    .get_result(conn)?;
    Ok(member || project_only)
}

/// Sendings in the last day: by this inviter (any organization), by the organization,
/// and to this address in the organization (R25).
pub struct SendCounts {
    pub by_inviter: i64,
    pub by_org: i64,
}

pub fn sends_since(
    conn: &mut PgConnection,
    org_id: Uuid,
    inviter_id: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<SendCounts> {
    let by_inviter = invitation_sends::table
        .filter(invitation_sends::inviter_id.eq(inviter_id))
        .filter(invitation_sends::sent_at.gt(since))
        .count()
        .get_result(conn)?;
    let by_org = invitation_sends::table
        .filter(invitation_sends::org_id.eq(org_id))
        .filter(invitation_sends::sent_at.gt(since))
        .count()
        .get_result(conn)?;
    Ok(SendCounts { by_inviter, by_org })
}

pub fn sends_to_address_since(
    conn: &mut PgConnection,
    org_id: Uuid,
    email: &EmailAddress,
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    invitation_sends::table
        .filter(invitation_sends::org_id.eq(org_id))
        .filter(lower(invitation_sends::email).eq(email.normalized()))
        .filter(invitation_sends::sent_at.gt(since))
        .count()
        .get_result(conn)
}

pub fn record_send(
    conn: &mut PgConnection,
    org_id: Uuid,
    inviter_id: Uuid,
    email: &EmailAddress,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(invitation_sends::table)
        .values((
            invitation_sends::org_id.eq(org_id),
            invitation_sends::inviter_id.eq(inviter_id),
            invitation_sends::email.eq(email.as_str()),
            invitation_sends::sent_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Gives a pending (possibly expired) invitation another role; the token, and so the
/// link, stays. False when it is no longer pending. Call under the organization lock.
pub fn set_role(conn: &mut PgConnection, id: Uuid, role: Role) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::status.eq("pending")),
    )
    .set(invitations::role.eq(role))
    .execute(conn)
    .map(|n| n == 1)
}
