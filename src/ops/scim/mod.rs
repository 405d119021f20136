//! SCIM provisioning: the organization's SCIM token and group roles (administrators,
//! in Settings), and every change the identity provider makes through `/scim/v2/`
//! (the actor is the token). Users and groups change under the organization lock like
//! every membership change: creating an active user makes the person a member,
//! deactivating or deleting them ends the membership at once (their API keys stay,
//! as for any removal), and a change of the groups mapped to roles changes roles.

mod groups;
mod users;

pub use groups::{create_group, delete_group, group_doc, update_group};
pub use users::{create_user, delete_user, update_user, user_doc};

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{OpError, OpResult, locked, recheck};
use crate::domain::activity::{Actor, Event, Person};
use crate::domain::membership;
use crate::domain::scim::{Refusal, TOKEN_PREFIX, TOKEN_SHOWN_CHARS, role_from_groups};
use crate::domain::{Permission, PlainToken, Role};
use crate::models::memberships::Membership;
use crate::models::organizations::Organization;
use crate::models::scim::{self as store, ScimToken};
use crate::models::users::User;
use crate::models::{activity, sso};

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
