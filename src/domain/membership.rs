//! The rules every membership change must pass, checked under the organization lock.

use uuid::Uuid;

use super::Role;

/// Why a membership change was refused; the message tells the person what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    OwnRole,
    LastAdministrator,
    RemoveSelf,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::OwnRole => {
                "You can't change your own role. Ask another administrator to do it."
            }
            Refusal::LastAdministrator => {
                "An organization needs at least one administrator. Make someone else an administrator first."
            }
            Refusal::RemoveSelf => {
                "To remove yourself, use Leave organization on the Members page."
            }
        }
    }
}

/// `actor` gives `target` the role `to` instead of `from`. `admins` counts the
/// organization's administrators, read under the lock.
pub fn check_role_change(
    actor: Uuid,
    target: Uuid,
    from: Role,
    to: Role,
    admins: i64,
) -> Result<(), Refusal> {
    if actor == target {
        return Err(Refusal::OwnRole);
    }
    if from == Role::Administrator && to != Role::Administrator && admins <= 1 {
        return Err(Refusal::LastAdministrator);
    }
    Ok(())
}

/// `actor` removes `target`, who has `role` (not oneself: leaving is its own action).
pub fn check_removal(actor: Uuid, target: Uuid, role: Role, admins: i64) -> Result<(), Refusal> {
    if actor == target {
        return Err(Refusal::RemoveSelf);
    }
    check_departure(role, admins)
}

/// Removing or leaving: the last administrator stays.
pub fn check_departure(role: Role, admins: i64) -> Result<(), Refusal> {
    if role == Role::Administrator && admins <= 1 {
        return Err(Refusal::LastAdministrator);
    }
    Ok(())
}

/// Whether a role change grants or takes away Administrator: such a change is confirmed
/// by the person making it before it is made.
pub fn needs_confirmation(from: Role, to: Role) -> bool {
    from != to && (from == Role::Administrator || to == Role::Administrator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    const ME: Uuid = Uuid::from_u128(1);
    const THEM: Uuid = Uuid::from_u128(2);

    #[test]
    fn granting_or_removing_administrator_is_confirmed_other_changes_are_not() {
        assert!(needs_confirmation(Viewer, Administrator));
        assert!(needs_confirmation(Administrator, Developer));
        assert!(!needs_confirmation(Viewer, Developer));
        assert!(!needs_confirmation(BillingManager, Viewer));
        assert!(!needs_confirmation(Administrator, Administrator));
    }

    #[test]
    fn nobody_changes_their_own_role() {
        assert_eq!(
            check_role_change(ME, ME, Administrator, Viewer, 5),
            Err(Refusal::OwnRole)
        );
    }

    #[test]
    fn the_last_administrator_cannot_be_demoted_removed_or_leave() {
        assert_eq!(
            check_role_change(ME, THEM, Administrator, Developer, 1),
            Err(Refusal::LastAdministrator)
        );
        assert_eq!(
            check_removal(ME, THEM, Administrator, 1),
            Err(Refusal::LastAdministrator)
        );
        assert_eq!(
            check_departure(Administrator, 1),
            Err(Refusal::LastAdministrator)
        );
    }

    #[test]
    fn with_two_administrators_either_may_go() {
        assert_eq!(
            check_role_change(ME, THEM, Administrator, Viewer, 2),
            Ok(())
        );
        assert_eq!(check_removal(ME, THEM, Administrator, 2), Ok(()));
        assert_eq!(check_departure(Administrator, 2), Ok(()));
    }

    #[test]
    fn other_roles_change_and_leave_freely() {
        assert_eq!(
            check_role_change(ME, THEM, Viewer, Administrator, 1),
            Ok(())
        );
        assert_eq!(
            check_role_change(ME, THEM, Developer, BillingManager, 1),
            Ok(())
        );
        assert_eq!(check_departure(Viewer, 1), Ok(()));
        assert_eq!(check_removal(ME, ME, Viewer, 3), Err(Refusal::RemoveSelf));
    }
}
