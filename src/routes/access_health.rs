//! "Access health": a checklist of what to look at in the organization's access, each
//! check with its count and a link to where it is fixed. Computed on every request.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::OrgMember;
use crate::config::Config;
use crate::db::Db;
use crate::domain::Permission;
use crate::error::AppError;
use crate::htmx::html;
use crate::layout::{Layout, Section};
use crate::models::access_health::{self, HealthCounts, IDLE_DAYS, STALE_INVITATION_DAYS};

/// One line of the checklist.
pub struct Check {
    title: String,
    /// What the count means ("2 administrators").
    detail: String,
    open: bool,
    fix_href: String,
    fix_label: &'static str,
}

#[derive(Template)]
#[template(path = "access_health/index.html")]
struct HealthPage {
    layout: Layout,
    checks: Vec<Check>,
}

impl HealthPage {
    fn open_count(&self) -> usize {
        self.checks.iter().filter(|c| c.open).count()
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The checklist, in the order of what matters most.
fn checks(counts: &HealthCounts, slug: &str, can_manage: bool) -> Vec<Check> {
    let base = format!("/orgs/{slug}");
    vec![
        Check {
            title: "At least two administrators".into(),
            detail: plural(counts.administrators, "administrator", "administrators"),
            open: counts.administrators < 2,
            fix_href: if can_manage {
                format!("{base}/invitations/new")
            } else {
                format!("{base}/members?role=administrator")
            },
            fix_label: if can_manage {
                "Invite an administrator"
            } else {
                "See administrators"
            },
        },
        Check {
            title: format!("Invitations pending more than {STALE_INVITATION_DAYS} days or expired"),
            detail: plural(counts.stale_invitations, "invitation", "invitations"),
            open: counts.stale_invitations > 0,
            fix_href: format!("{base}/members#pending-heading"),
            fix_label: "Resend or cancel",
        },
        Check {
            title: "API keys created by people who are no longer members".into(),
            detail: plural(counts.orphaned_keys, "key", "keys"),
            open: counts.orphaned_keys > 0,
            fix_href: format!("{base}/api-keys"),
            fix_label: "Rotate or revoke",
        },
        Check {
            title: format!("API keys unused for {IDLE_DAYS} days"),
            detail: plural(counts.unused_keys, "key", "keys"),
            open: counts.unused_keys > 0,
            fix_href: format!("{base}/api-keys"),
            fix_label: "Review keys",
        },
        Check {
            title: "Project-only access without an end date".into(),
            detail: plural(counts.open_ended_access, "person", "people"),
            open: counts.open_ended_access > 0,
            fix_href: format!("{base}/members#project-only-heading"),
            fix_label: "Set Access until",
        },
        Check {
            title: "Members without two-factor authentication".into(),
            detail: plural(counts.without_two_factor, "person", "people"),
            open: counts.without_two_factor > 0,
            fix_href: if can_manage {
                format!("{base}/settings")
            } else {
                format!("{base}/members")
            },
            fix_label: if can_manage {
                "Require two-factor authentication"
            } else {
                "See members"
            },
        },
        Check {
            title: format!("Administrators inactive for {IDLE_DAYS} days"),
            detail: plural(
                counts.inactive_administrators,
                "administrator",
                "administrators",
            ),
            open: counts.inactive_administrators > 0,
            fix_href: format!("{base}/members?role=administrator&sort=active"),
            fix_label: "Review administrators",
        },
    ]
}

/// GET /orgs/{org}/health
pub async fn show_access_health(
    mut member: OrgMember,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    member.require_org_wide(Permission::ViewAccessHealth)?;
    let (org_id, now) = (member.org.id, config.clock.now());
    // The page counts everything anyway: its sidebar shows that number, kept for the
    // badge of the next pages.
    let counts = db
        .run(move |conn| {
            let counts = access_health::counts(conn, org_id, now)?;
            access_health::keep_badge(conn, org_id, access_health::open_of(&counts), now)?;
            Ok::<_, AppError>(counts)
        })
        .await?;
    member.health_open = Some(access_health::open_of(&counts));
    html(&HealthPage {
        layout: member.layout(Section::Health, "Access health"),
        checks: checks(
            &counts,
            &member.org.slug,
            member.can(Permission::ManageMembers),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The badge kept from this page's counts says what the page's checklist says.
    #[test]
    fn the_kept_badge_counts_the_open_lines_of_the_checklist() {
        let cases = [
            HealthCounts::default(),
            HealthCounts {
                administrators: 2,
                ..Default::default()
            },
            HealthCounts {
                administrators: 3,
                stale_invitations: 1,
                orphaned_keys: 4,
                unused_keys: 0,
                open_ended_access: 2,
                without_two_factor: 9,
                inactive_administrators: 1,
            },
        ];
        let mut seen = Vec::new();
        for counts in cases {
            let open = checks(&counts, "acme", true)
                .iter()
                .filter(|c| c.open)
                .count();
            assert_eq!(access_health::open_of(&counts), open as i64);
            seen.push(open);
        }
        assert_eq!(seen, [1, 0, 5]);
    }
}
