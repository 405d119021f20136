//! The provider's users: creating one makes a member, deactivating or deleting one
//! ends the membership at once.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{default_role, refused};
use crate::domain::activity::{Actor, Event, Person};
use crate::domain::scim::resource::UserDoc;
use crate::domain::scim::{Refusal, role_from_groups};
use crate::domain::sso::DomainName;
use crate::domain::{EmailAddress, Permission, PersonName, Role};
use crate::mail::{Context, outbox, removal};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;
use crate::models::scim::{self as store, ScimUser, UserFields};
use crate::models::users::User;
use crate::models::{activity, billing, project_members, sso};
use crate::ops::sso_sign_in::NO_PASSWORD;
use crate::ops::{OpError, OpResult, locked, recheck};

/// How the provider is named in the emails its removals send.
const PROVIDER: &str = "your identity provider (SCIM)";

/// What a user row stores: the profile, with `active` when it was sent, and whether
/// the user is active.
fn fields(doc: &UserDoc) -> (Value, bool) {
    let mut attributes = doc.profile.clone();
    if let Some(active) = doc.active {
        attributes.insert("active".into(), Value::Bool(active));
    }
    (Value::Object(attributes), doc.is_active())
}

/// The document a stored user had.
pub fn user_doc(row: &ScimUser) -> UserDoc {
    let mut profile = row.attributes.as_object().cloned().unwrap_or_default();
    let sent = profile.remove("active").and_then(|a| a.as_bool());
    UserDoc {
        user_name: row.user_name.clone(),
        external_id: row.external_id.clone(),
        // Removed in the console: inactive, whatever the provider last sent.
        active: if row.active { sent } else { Some(false) },
        profile,
    }
}

/// The account a new user stands for: the existing one with that address when it is
/// confirmed (never one whose address nobody proved), or a new one without a
/// password, confirmed when the address is in a domain the organization verified.
fn account_for(
    conn: &mut PgConnection,
    org_id: Uuid,
    doc: &UserDoc,
    now: DateTime<Utc>,
) -> OpResult<(User, bool)> {
    let address = doc.email().ok_or_else(|| {
        refused(Refusal::invalid_value(
            "emails: an email address is needed (or a userName that is one).",
        ))
    })?;
    let email = EmailAddress::parse(address).map_err(|_| {
        refused(Refusal::invalid_value(format!(
            "{address} is not an email address this console can use."
        )))
    })?;
    match User::find_by_email(conn, &email)? {
        Some(user) if user.email_verified_at.is_none() => Err(refused(Refusal::conflict(format!(
            "An account with the address {} exists, but its address was never confirmed; it cannot be provisioned until its owner confirms it.",
            email.as_str()
        )))),
        Some(user) => Ok((user, true)),
        None => {
            let name = PersonName::parse(&doc.person_name())
                .or_else(|_| {
                    PersonName::parse(&doc.user_name.chars().take(100).collect::<String>())
                })
                .map_err(|e| refused(Refusal::invalid_value(format!("name: {e}"))))?;
            let user = User::create(conn, &email, &name, NO_PASSWORD)
                .map_err(|e| OpError::taken(e, "An account with this address exists."))?;
            let verified_domain = match DomainName::of_email(email.as_str()) {
                Some(domain) => sso::is_verified_by(conn, org_id, domain.as_str())?,
                None => false,
            };
            if verified_domain {
                User::mark_verified(conn, user.id, now)?;
            }
            Ok((user, false))
        }
    }
}

/// Makes the account a managed member: a new member gets the role of their mapped
/// groups (or the default role); a member already there keeps their role until a
/// group change.
fn provision(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    user: &ScimUser,
    account: &User,
    linked: bool,
) -> OpResult<()> {
    let role = match Membership::find(conn, org_id, account.id)? {
        Some(existing) => existing.role,
        None => {
            // Project-only access becomes the organization membership the provider
            // grants (one person never holds both), in the seat it had.
            if project_members::find(conn, org_id, account.id)?.is_some() {
                project_members::delete(conn, org_id, account.id)?;
            }
            let plan = billing::find(conn, org_id)?.plan;
            if !plan.has_room(billing::seats_used(conn, org_id)?) {
                return Err(refused(Refusal::conflict(format!(
                    "Every seat of the {} plan ({}) is taken: {} cannot become a member. Change the plan in Billing, or deactivate someone.",
                    plan.label(),
                    plan.seats_label(),
                    account.email
                ))));
            }
            let role = match role_from_groups(store::mapped_roles(conn, org_id, user.id)?) {
                Some(role) => role,
                None => default_role(conn, org_id)?,
            };
            Membership::create(conn, org_id, account.id, role)?;
            role
        }
    };
    store::set_managed(conn, org_id, account.id, true)?;
    let event = Event::MemberProvisioned {
        member: Person {
            id: account.id,
            name: account.name.clone(),
        },
        email: account.email.clone(),
        role,
        linked,
    };
    activity::record(conn, org_id, actor, &event)?;
    crate::ops::alerts::raise(conn, org_id, actor, &event)?;
    Ok(())
}

/// Ends the account's membership at once (never the last administrator's) and tells
/// them by email. Their API keys stay active, as for any removal.
fn deprovision(
    conn: &mut PgConnection,
    org: &Organization,
    actor: &Actor,
    account: &User,
    deleted: bool,
    ctx: &Context,
) -> OpResult<()> {
    let Some(member) = Membership::find(conn, org.id, account.id)? else {
        return Ok(());
    };
    let admins = Organization::find(conn, org.id)?
        .counts
        .of(Role::Administrator);
    if member.role == Role::Administrator && admins <= 1 {
        return Err(refused(Refusal::conflict(format!(
            "{} is the last administrator of {}: make someone else an administrator first.",
            account.name, org.name
        ))));
    }
    Membership::delete(conn, org.id, account.id)?;
    let event = Event::MemberDeprovisioned {
        member: Person {
            id: account.id,
            name: account.name.clone(),
        },
        email: account.email.clone(),
        role: member.role,
        deleted,
    };
    activity::record(conn, org.id, actor, &event)?;
    crate::ops::alerts::raise(conn, org.id, actor, &event)?;
    if let Ok(to) = EmailAddress::parse(&account.email) {
        let mail = removal::removed(to, &account.name, &org.name, PROVIDER)?;
        outbox::enqueue(conn, Some(org.id), "member_removed", &mail, &ctx.base_url)?;
    }
    Ok(())
}

/// The attributes that differ between two documents, as (before, after) objects.
fn changes(before: &UserDoc, after: &UserDoc) -> Option<(Value, Value)> {
    let (old, new) = (before.document(), after.document());
    let mut was = Map::new();
    let mut now = Map::new();
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        // Membership changes have entries of their own.
        if key == "active" {
            continue;
        }
        let (a, b) = (old.get(key), new.get(key));
        if a != b {
            was.insert(key.clone(), a.cloned().unwrap_or(Value::Null));
            now.insert(key.clone(), b.cloned().unwrap_or(Value::Null));
        }
    }
    (!now.is_empty()).then_some((Value::Object(was), Value::Object(now)))
}

/// POST /Users: a new user, and (when active) a new member.
pub fn create_user(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    doc: &UserDoc,
    ctx: &Context,
) -> OpResult<ScimUser> {
    locked(conn, org_id, |conn, _org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        if store::user_name_taken(conn, org_id, &doc.user_name, None)? {
            return Err(refused(Refusal::uniqueness(format!(
                "A user with the userName {} exists.",
                doc.user_name
            ))));
        }
        let (account, linked) = account_for(conn, org_id, doc, ctx.now)?;
        if store::user_of_account(conn, org_id, account.id)?.is_some() {
            return Err(refused(Refusal::uniqueness(format!(
                "Another user stands for the address {} already.",
                account.email
            ))));
        }
        let (attributes, active) = fields(doc);
        let row = store::insert_user(
            conn,
            org_id,
            account.id,
            &UserFields {
                user_name: &doc.user_name,
                external_id: doc.external_id.as_deref(),
                active,
                attributes: &attributes,
            },
            ctx.now,
        )?;
        if active {
            provision(conn, org_id, actor, &row, &account, linked)?;
        } else {
            let event = Event::ScimUserUpdated {
                member: Person {
                    id: account.id,
                    name: account.name.clone(),
                },
                before: Value::Null,
                after: Value::Object(doc.document()),
            };
            activity::record(conn, org_id, actor, &event)?;
        }
        Ok(row)
    })
}

/// PUT or PATCH /Users/{id}: `change` turns the stored document into the new one,
/// under the lock, so that concurrent changes of one user never lose each other.
pub fn update_user(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
    change: impl FnOnce(&UserDoc) -> Result<UserDoc, Refusal>,
    ctx: &Context,
) -> OpResult<ScimUser> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let row = store::find_user(conn, org_id, id)?.ok_or(OpError::NotFound)?;
        let before = user_doc(&row);
        let after = change(&before).map_err(refused)?;
        if !after.user_name.eq_ignore_ascii_case(&before.user_name)
            && store::user_name_taken(conn, org_id, &after.user_name, Some(id))?
        {
            return Err(refused(Refusal::uniqueness(format!(
                "A user with the userName {} exists.",
                after.user_name
            ))));
        }
        let (attributes, active) = fields(&after);
        let updated = store::update_user(
            conn,
            id,
            &UserFields {
                user_name: &after.user_name,
                external_id: after.external_id.as_deref(),
                active,
                attributes: &attributes,
            },
            ctx.now,
        )?;
        let account = User::find(conn, row.user_id)?.ok_or(OpError::NotFound)?;
        if let Some((was, now)) = changes(&before, &after) {
            let event = Event::ScimUserUpdated {
                member: Person {
                    id: account.id,
                    name: account.name.clone(),
                },
                before: was,
                after: now,
            };
            activity::record(conn, org_id, actor, &event)?;
        }
        match (before.is_active(), after.is_active()) {
            (true, false) => deprovision(conn, org, actor, &account, false, ctx)?,
            (false, true) => provision(conn, org_id, actor, &updated, &account, true)?,
            _ => {}
        }
        Ok(updated)
    })
}

/// DELETE /Users/{id}: the membership ends, the user is forgotten (and leaves its
/// groups); the account stays, as every account does.
pub fn delete_user(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
    ctx: &Context,
) -> OpResult<()> {
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let row = store::find_user(conn, org_id, id)?.ok_or(OpError::NotFound)?;
        let account = User::find(conn, row.user_id)?.ok_or(OpError::NotFound)?;
        if row.active {
            deprovision(conn, org, actor, &account, true, ctx)?;
        }
        store::delete_user(conn, id)?;
        if !row.active {
            let event = Event::ScimUserUpdated {
                member: Person {
                    id: account.id,
                    name: account.name.clone(),
                },
                before: Value::Object(user_doc(&row).document()),
                after: Value::Null,
            };
            activity::record(conn, org_id, actor, &event)?;
        }
        Ok(())
    })
}
