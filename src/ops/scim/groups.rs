//! The provider's groups: members added and removed, roles following the mapped ones.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use super::{follow_groups, mapped_roles_of, refused};
use crate::domain::Permission;
use crate::domain::activity::{Actor, Event};
use crate::domain::scim::Refusal;
use crate::domain::scim::resource::GroupDoc;
use crate::models::activity;
use crate::models::scim::{self as store, ScimGroup};
use crate::ops::{OpError, OpResult, locked, recheck};

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
