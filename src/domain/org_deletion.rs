//! Deleting an organization: the restore window and who may restore.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// Days a deleted organization can be restored, and its activity log is kept, before the
/// maintenance job purges it. The SQL function `organization_purgeable` (migration
/// `2026-11-30-000600_organization_deletion`) holds the same number.
pub const RESTORE_DAYS: i64 = 30;

/// A deleted organization's state, as its row records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    pub deleted_at: DateTime<Utc>,
    /// The administrator who deleted it; `None` once that account is gone.
    pub deleted_by: Option<Uuid>,
}

/// Why a restore is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreRefusal {
    /// Only the administrator who deleted it may restore it.
    NotTheDeleter,
    /// The window is over; the organization is purged at the next maintenance pass.
    WindowOver,
}

impl Deletion {
    /// The last moment the organization can be restored.
    pub fn restore_until(&self) -> DateTime<Utc> {
        self.deleted_at + Duration::days(RESTORE_DAYS)
    }

    /// Whether `user` may restore it at `now`.
    pub fn may_restore(&self, user: Uuid, now: DateTime<Utc>) -> Result<(), RestoreRefusal> {
        if self.deleted_by != Some(user) {
            return Err(RestoreRefusal::NotTheDeleter);
        }
        if now >= self.restore_until() {
            return Err(RestoreRefusal::WindowOver);
        }
        Ok(())
    }
}

/// The confirmation typed on the delete page: the organization's name, exactly (spaces
/// around it aside), so that a slip of the hand in another organization's tab cannot
/// delete this one.
pub fn name_confirms(typed: &str, name: &str) -> bool {
    typed.trim() == name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_deleter_restores_and_only_within_the_window() {
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let deletion = Deletion {
            deleted_at: at,
            deleted_by: Some(ada),
        };
        assert_eq!(deletion.may_restore(ada, at + Duration::days(29)), Ok(()));
        assert_eq!(
            deletion.may_restore(bob, at),
            Err(RestoreRefusal::NotTheDeleter)
        );
        assert_eq!(
            deletion.may_restore(ada, at + Duration::days(RESTORE_DAYS)),
            Err(RestoreRefusal::WindowOver)
        );
        let orphan = Deletion {
            deleted_by: None,
            ..deletion
        };
        assert_eq!(
            orphan.may_restore(ada, at),
            Err(RestoreRefusal::NotTheDeleter)
        );
    }

    #[test]
    fn the_name_must_match_exactly() {
        assert!(name_confirms("  Acme Inc ", "Acme Inc"));
        assert!(!name_confirms("acme inc", "Acme Inc"));
        assert!(!name_confirms("", "Acme Inc"));
        assert!(!name_confirms("Acme", "Acme Inc"));
    }
}
