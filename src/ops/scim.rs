//! SCIM provisioning: the organization's SCIM token and group roles (administrators,
//! in Settings), and every change the identity provider makes through `/scim/v2/`
//! (the actor is the token). Users and groups change under the organization lock like
//! every membership change: creating an active user makes the person a member,
//! deactivating or deleting them ends the membership at once (their API keys stay,
//! as for any removal), and a change of the groups mapped to roles changes roles.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::sso_sign_in::NO_PASSWORD;
use super::{OpError, OpResult, locked, recheck};
use crate::domain::activity::{Actor, Event, Person};
use crate::domain::membership;
use crate::domain::scim::resource::{GroupDoc, UserDoc};
use crate::domain::scim::{Refusal, TOKEN_PREFIX, TOKEN_SHOWN_CHARS, role_from_groups};
use crate::domain::sso::DomainName;
use crate::domain::{EmailAddress, Permission, PersonName, PlainToken, Role};
use crate::mail::{Context, outbox, removal};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;
use crate::models::scim::{self as store, ScimGroup, ScimToken, ScimUser, UserFields};
use crate::models::users::User;
use crate::models::{activity, billing, project_members, sso};

/// How the provider is named in the emails its removals send.
const PROVIDER: &str = "your identity provider (SCIM)";

fn refused(refusal: Refusal) -> OpError {
    OpError::Scim(refusal)
}

fn only_people(actor: &Actor) -> OpResult<()> {
    if actor.admin_key.is_some() || actor.scim.is_some() {
        return Err(OpError::refused(
            "SCIM tokens are managed by an administrator in Settings.",
        ));
    }
    Ok(())
}

/// A new SCIM token in place of the current one (which stops working at once). The
/// secret is returned to be shown once.
pub fn create_token(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    now: DateTime<Utc>,
) -> OpResult<(ScimToken, PlainToken)> {
    only_people(actor)?;
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let secret = PlainToken::generate(TOKEN_PREFIX);
        let prefix: String = secret.expose().chars().take(TOKEN_SHOWN_CHARS).collect();
        let (token, old) =
            store::replace_token(conn, org_id, &secret.hash(), &prefix, actor.user_id, now)?;
        let event = Event::ScimTokenCreated {
            org: org_id,
            org_name: org.name.clone(),
            prefix,
            rotated: old.is_some(),
        };
        activity::record(conn, org_id, actor, &event)?;
        super::alerts::raise(conn, org_id, actor, &event)?;
        Ok((token, secret))
    })
}

/// Revokes the token: provisioning stops, and every member's role can be changed in
/// the console again. Users and groups are kept for a new token.
pub fn revoke_token(conn: &mut PgConnection, org_id: Uuid, actor: &Actor) -> OpResult<()> {
    only_people(actor)?;
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let token = store::delete_token(conn, org_id)?.ok_or(OpError::NotFound)?;
        store::release_all(conn, org_id)?;
        let event = Event::ScimTokenRevoked {
            org: org_id,
            org_name: org.name.clone(),
            prefix: token.prefix,
        };
        activity::record(conn, org_id, actor, &event)?;
        Ok(())
    })
}

/// A group name as an administrator types it: 1 to 256 characters on one line.
pub fn parse_group_name(input: &str) -> Result<String, &'static str> {
    let name = input.trim();
    if name.is_empty() {
        Err("Enter the group's name as your identity provider sends it.")
    } else if name.chars().count() > 256 || name.chars().any(char::is_control) {
        Err("Group names are at most 256 characters on one line.")
    } else {
        Ok(name.to_owned())
    }
}

/// Members of the provider's group `name` get `role` (`None`: the group gives no
/// role any more). Roles of the group's members follow at once.
pub fn set_group_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    name: &str,
    role: Option<Role>,
) -> OpResult<()> {
    only_people(actor)?;
    locked(conn, org_id, |conn, org| {
        recheck(conn, org_id, actor, Permission::ManageOrganization)?;
        let users = store::users_in_groups_named(conn, org_id, name)?;
        let before = mapped_roles_of(conn, org_id, &users)?;
        let from = match role {
            Some(role) => store::set_group_role(conn, org_id, name, role)?,
            None => Some(store::remove_group_role(conn, org_id, name)?.ok_or(OpError::NotFound)?),
        };
        if from == role {
            return Ok(());
        }
        let event = Event::ScimGroupRoleChanged {
            org: org_id,
            org_name: org.name.clone(),
            group: name.to_owned(),
            from,
            to: role,
        };
        activity::record(conn, org_id, actor, &event)?;
        super::alerts::raise(conn, org_id, actor, &event)?;
        for (user, before) in users.iter().zip(before) {
            follow_groups(conn, org_id, actor, *user, before)?;
        }
        Ok(())
    })
}

fn mapped_roles_of(
    conn: &mut PgConnection,
    org_id: Uuid,
    users: &[Uuid],
) -> OpResult<Vec<Option<Role>>> {
    users
        .iter()
        .map(|u| Ok(role_from_groups(store::mapped_roles(conn, org_id, *u)?)))
        .collect()
}

/// The role of people who join without a mapped group: the single sign-on setting's
/// "Default role", Viewer without one.
fn default_role(conn: &mut PgConnection, org_id: Uuid) -> OpResult<Role> {
    Ok(sso::find(conn, org_id)?.map_or(Role::Viewer, |c| c.default_role))
}

/// After a change of groups or group roles: when the role `scim_user` gets from its
/// groups differs from `before`, a managed member's role becomes it (or the default
/// role when no mapped group is left). Changes of unmapped groups change nothing.
fn follow_groups(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    scim_user: Uuid,
    before: Option<Role>,
) -> OpResult<()> {
    let after = role_from_groups(store::mapped_roles(conn, org_id, scim_user)?);
    if after == before {
        return Ok(());
    }
    let Some(user) = store::find_user(conn, org_id, scim_user)?.filter(|u| u.active) else {
        return Ok(());
    };
    let Some(member) = Membership::find(conn, org_id, user.user_id)? else {
        return Ok(());
    };
    let role = match after {
        Some(role) => role,
        None => default_role(conn, org_id)?,
    };
    if role == member.role {
        return Ok(());
    }
    let admins = Organization::find(conn, org_id)?
        .counts
        .of(Role::Administrator);
    membership::check_role_change(Uuid::nil(), user.user_id, member.role, role, admins)
        .map_err(|r| refused(Refusal::conflict(r.message())))?;
    Membership::set_role(conn, org_id, user.user_id, member.role, role)?;
    let account = User::find(conn, user.user_id)?.ok_or(OpError::NotFound)?;
    let event = Event::MemberRoleChanged {
        member: Person {
            id: account.id,
            name: account.name,
        },
        from: member.role,
        to: role,
    };
    activity::record(conn, org_id, actor, &event)?;
    super::alerts::raise(conn, org_id, actor, &event)?;
    Ok(())
}

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
    super::alerts::raise(conn, org_id, actor, &event)?;
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
    super::alerts::raise(conn, org.id, actor, &event)?;
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

/// The account names of SCIM users, in the order given.
fn names(conn: &mut PgConnection, ids: &[Uuid]) -> OpResult<Vec<String>> {
    let known = store::names_of(conn, ids)?;
    Ok(ids
        .iter()
        .filter_map(|id| known.iter().find(|(k, _)| k == id).map(|(_, n)| n.clone()))
        .collect())
}

fn check_members(conn: &mut PgConnection, org_id: Uuid, doc: &GroupDoc) -> OpResult<()> {
    let known = store::users_among(conn, org_id, &doc.members)?;
    match doc.members.iter().find(|id| !known.contains(id)) {
        Some(unknown) => Err(refused(Refusal::invalid_value(format!(
            "members: {unknown} is not a user of this organization."
        )))),
        None => Ok(()),
    }
}

/// POST /Groups.
pub fn create_group(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    doc: &GroupDoc,
    now: DateTime<Utc>,
) -> OpResult<ScimGroup> {
    locked(conn, org_id, |conn, _org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        if store::group_name_taken(conn, org_id, &doc.display_name, None)? {
            return Err(refused(Refusal::uniqueness(format!(
                "A group named {} exists.",
                doc.display_name
            ))));
        }
        check_members(conn, org_id, doc)?;
        let before = mapped_roles_of(conn, org_id, &doc.members)?;
        let group = store::insert_group(
            conn,
            org_id,
            &doc.display_name,
            doc.external_id.as_deref(),
            now,
        )?;
        store::add_members(conn, group.id, &doc.members)?;
        let event = Event::ScimGroupCreated {
            group: group.id,
            name: group.display_name.clone(),
            members: names(conn, &doc.members)?,
        };
        activity::record(conn, org_id, actor, &event)?;
        for (user, before) in doc.members.iter().zip(before) {
            follow_groups(conn, org_id, actor, *user, before)?;
        }
        Ok(group)
    })
}

/// The members of a stored group, as its document has them.
pub fn group_doc(conn: &mut PgConnection, group: &ScimGroup) -> OpResult<GroupDoc> {
    let members = store::members_of(conn, &[group.id])?
        .into_iter()
        .map(|(_, user)| user)
        .collect();
    Ok(GroupDoc {
        display_name: group.display_name.clone(),
        external_id: group.external_id.clone(),
        members,
    })
}

/// PUT or PATCH /Groups/{id}, like [`update_user`]: a rename, members added and
/// removed; roles follow for everyone whose mapped groups changed.
pub fn update_group(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
    change: impl FnOnce(&GroupDoc) -> Result<GroupDoc, Refusal>,
    now: DateTime<Utc>,
) -> OpResult<ScimGroup> {
    locked(conn, org_id, |conn, _org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let group = store::find_group(conn, org_id, id)?.ok_or(OpError::NotFound)?;
        let before = group_doc(conn, &group)?;
        let after = change(&before).map_err(refused)?;
        let renamed = !after
            .display_name
            .eq_ignore_ascii_case(&before.display_name);
        if renamed && store::group_name_taken(conn, org_id, &after.display_name, Some(id))? {
            return Err(refused(Refusal::uniqueness(format!(
                "A group named {} exists.",
                after.display_name
            ))));
        }
        check_members(conn, org_id, &after)?;
        let added: Vec<Uuid> = after
            .members
            .iter()
            .filter(|m| !before.members.contains(m))
            .copied()
            .collect();
        let removed: Vec<Uuid> = before
            .members
            .iter()
            .filter(|m| !after.members.contains(m))
            .copied()
            .collect();
        // A rename can move every member into or out of a mapped name.
        let mut affected: Vec<Uuid> = if renamed {
            before.members.iter().chain(&added).copied().collect()
        } else {
            added.iter().chain(&removed).copied().collect()
        };
        affected.sort_unstable();
        affected.dedup();
        let roles_before = mapped_roles_of(conn, org_id, &affected)?;
        let updated = store::update_group(
            conn,
            id,
            &after.display_name,
            after.external_id.as_deref(),
            now,
        )?;
        store::add_members(conn, id, &added)?;
        store::remove_members(conn, id, &removed)?;
        if after.display_name != before.display_name || !added.is_empty() || !removed.is_empty() {
            let event = Event::ScimGroupUpdated {
                group: id,
                name: after.display_name.clone(),
                renamed_from: (after.display_name != before.display_name)
                    .then(|| before.display_name.clone()),
                added: names(conn, &added)?,
                removed: names(conn, &removed)?,
            };
            activity::record(conn, org_id, actor, &event)?;
        }
        for (user, before) in affected.iter().zip(roles_before) {
            follow_groups(conn, org_id, actor, *user, before)?;
        }
        Ok(updated)
    })
}

/// DELETE /Groups/{id}: its members' roles follow.
pub fn delete_group(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: &Actor,
    id: Uuid,
) -> OpResult<()> {
    locked(conn, org_id, |conn, _org| {
        recheck(conn, org_id, actor, Permission::ManageMembers)?;
        let group = store::find_group(conn, org_id, id)?.ok_or(OpError::NotFound)?;
        let members = group_doc(conn, &group)?.members;
        let before = mapped_roles_of(conn, org_id, &members)?;
        store::delete_group(conn, id)?;
        let event = Event::ScimGroupDeleted {
            group: id,
            name: group.display_name,
        };
        activity::record(conn, org_id, actor, &event)?;
        for (user, before) in members.iter().zip(before) {
            follow_groups(conn, org_id, actor, *user, before)?;
        }
        Ok(())
    })
}
