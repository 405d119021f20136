//! The sentences of the activity log, case by case.

use super::*;
use serde_json::json;

fn say(action: &str, actor: &str, target: &str, before: Value, after: Value) -> String {
    let before = (!before.is_null()).then_some(&before);
    let after = (!after.is_null()).then_some(&after);
    describe(action, actor, target, before, after).plain()
}

#[test]
fn organization_entries() {
    assert_eq!(
        say(
            "organization.created",
            "Ada",
            "Acme",
            Value::Null,
            json!({"name": "Acme", "slug": "acme"})
        ),
        "Ada created the organization Acme"
    );
    assert_eq!(
        say(
            "organization.renamed",
            "Ada",
            "Acme Labs",
            json!({"name": "Acme"}),
            json!({"name": "Acme Labs"})
        ),
        "Ada renamed the organization from Acme to Acme Labs"
    );
}

#[test]
fn member_entries() {
    assert_eq!(
        say(
            "member.role_changed",
            "Ada Lovelace",
            "Grace Hopper",
            json!({"role": "viewer"}),
            json!({"role": "developer"})
        ),
        "Ada Lovelace changed Grace Hopper's role from Viewer to Developer"
    );
    assert_eq!(
        say(
            "member.removed",
            "Ada",
            "Grace Hopper",
            json!({"role": "billing_manager", "email": "grace@example.com"}),
            Value::Null
        ),
        "Ada removed Grace Hopper (Billing Manager) from the organization"
    );
    assert_eq!(
        say(
            "member.left",
            "Grace",
            "Grace",
            json!({"role": "viewer"}),
            Value::Null
        ),
        "Grace left the organization"
    );
}

#[test]
fn invitation_entries() {
    let invitation = json!({"email": "grace@example.com", "role": "developer", "expires_at": "2026-12-04T00:00:00Z"});
    assert_eq!(
        say(
            "invitation.sent",
            "Ada",
            "grace@example.com",
            Value::Null,
            invitation.clone()
        ),
        "Ada invited grace@example.com as Developer"
    );
    assert_eq!(
        say(
            "invitation.resent",
            "Ada",
            "grace@example.com",
            json!({"expires_at": "2026-12-01T00:00:00Z", "send_count": 1}),
            invitation.clone()
        ),
        "Ada resent the invitation to grace@example.com"
    );
    assert_eq!(
        say(
            "invitation.cancelled",
            "Ada",
            "grace@example.com",
            invitation,
            Value::Null
        ),
        "Ada cancelled the invitation to grace@example.com"
    );
    assert_eq!(
        say(
            "invitation.accepted",
            "Grace Hopper",
            "grace@example.com",
            Value::Null,
            json!({"member": "Grace Hopper", "role": "developer"})
        ),
        "Grace Hopper accepted the invitation and joined as Developer"
    );
    assert_eq!(
        say(
            "invitation.role_changed",
            "Ada",
            "grace@example.com",
            json!({"email": "grace@example.com", "role": "viewer"}),
            json!({"email": "grace@example.com", "role": "administrator"})
        ),
        "Ada changed the role of the invitation to grace@example.com from Viewer to Administrator"
    );
}

#[test]
fn project_entries() {
    assert_eq!(
        say(
            "project.created",
            "Ada",
            "Apollo",
            Value::Null,
            json!({"name": "Apollo"})
        ),
        "Ada created the project Apollo"
    );
    assert_eq!(
        say(
            "project.renamed",
            "Ada",
            "Artemis",
            json!({"name": "Apollo"}),
            json!({"name": "Artemis"})
        ),
        "Ada renamed the project from Apollo to Artemis"
    );
    assert_eq!(
        say(
            "project.archived",
            "Ada",
            "Apollo",
            Value::Null,
            Value::Null
        ),
        "Ada archived the project Apollo"
    );
    assert_eq!(
        say(
            "project_access.granted",
            "Ada",
            "Carl",
            Value::Null,
            json!({"role": "developer", "project": "Apollo"})
        ),
        "Ada gave Carl Developer access to the project Apollo"
    );
    assert_eq!(
        say(
            "project_access.granted",
            "Carl",
            "Carl",
            Value::Null,
            json!({"role": "viewer", "project": "Apollo", "invitation": "0193"})
        ),
        "Carl accepted the invitation and joined the project Apollo as Viewer"
    );
    assert_eq!(
        say(
            "invitation.sent",
            "Ada",
            "carl@example.com",
            Value::Null,
            json!({"email": "carl@example.com", "role": "viewer", "project": "Apollo"})
        ),
        "Ada invited carl@example.com as Viewer to the project Apollo"
    );
    assert_eq!(
        say(
            "project_access.changed",
            "Ada",
            "Carl",
            json!({"role": "developer"}),
            json!({"role": "viewer"})
        ),
        "Ada changed Carl's project access from Developer to Viewer"
    );
    assert_eq!(
        say(
            "project_access.revoked",
            "Ada",
            "Carl",
            Value::Null,
            Value::Null
        ),
        "Ada took away Carl's project access"
    );
}

#[test]
fn api_key_entries() {
    assert_eq!(
        say(
            "api_key.created",
            "Dev",
            "deploy",
            Value::Null,
            json!({"name": "deploy", "prefix": "tw_3f9a", "project": "Apollo"})
        ),
        "Dev created the API key deploy starting with tw_3f9a in the project Apollo"
    );
    assert_eq!(
        say(
            "api_key.revoked",
            "Dev",
            "deploy",
            json!({"prefix": "tw_3f9a", "project": "Apollo"}),
            Value::Null
        ),
        "Dev revoked the API key deploy in the project Apollo"
    );
    assert_eq!(
        say(
            "api_key.rotated",
            "Dev",
            "deploy",
            Value::Null,
            json!({"new_prefix": "tw_77c1", "overlap_hours": 24})
        ),
        "Dev rotated the API key deploy (new prefix tw_77c1) and kept the old key working for 24 hours"
    );
    assert_eq!(
        say(
            "api_key.rotated",
            "Dev",
            "deploy",
            Value::Null,
            json!({"new_prefix": "tw_77c1", "overlap_hours": 0})
        ),
        "Dev rotated the API key deploy (new prefix tw_77c1) and stopped the old key at once"
    );
}

#[test]
fn billing_entries() {
    assert_eq!(
        say(
            "billing.credits_added",
            "Bill",
            "Acme",
            Value::Null,
            json!({"amount_micro": 1_250_500_000i64, "reference": "INV-42"})
        ),
        "Bill added 1,250.50 credits (payment reference INV-42)"
    );
    assert_eq!(
        say(
            "billing.plan_changed",
            "Bill",
            "Acme",
            json!({"plan": "free"}),
            json!({"plan": "team"})
        ),
        "Bill changed the plan from Free to Team"
    );
}

#[test]
fn unknown_actions_and_missing_details_still_read() {
    assert_eq!(
        say(
            "project.exploded",
            "Ada",
            "Apollo",
            Value::Null,
            Value::Null
        ),
        "Ada did project.exploded on Apollo"
    );
    assert_eq!(
        say(
            "member.role_changed",
            "",
            "Grace",
            Value::Null,
            json!({"role": 7})
        ),
        "Someone changed Grace's role to 7"
    );
    assert_eq!(
        say(
            "invitation.accepted",
            "Grace",
            "g@example.com",
            Value::Null,
            json!([1])
        ),
        "Grace accepted the invitation"
    );
}

#[test]
fn names_are_separate_segments_so_markup_stays_text() {
    let sentence = describe(
        "member.role_changed",
        "<script>alert(1)</script>",
        "=HYPERLINK(\"x\")",
        Some(&json!({"role": "viewer"})),
        Some(&json!({"role": "<b>"})),
    );
    let names: Vec<&str> = sentence
        .segments
        .iter()
        .filter(|s| s.is_name())
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(names, ["<script>alert(1)</script>", "=HYPERLINK(\"x\")"]);
    assert!(
        sentence
            .segments
            .iter()
            .any(|s| s.is_value() && s.text == "<b>")
    );
}

#[test]
fn deletion_entries() {
    assert_eq!(
        say(
            "organization.deleted",
            "Ada",
            "Acme",
            Value::Null,
            json!({"restore_until": "2026-12-30T10:00:00Z", "invitations_cancelled": 2})
        ),
        "Ada deleted the organization Acme and cancelled 2 pending invitations"
    );
    assert_eq!(
        say(
            "organization.deleted",
            "Ada",
            "Acme",
            Value::Null,
            json!({"invitations_cancelled": 0})
        ),
        "Ada deleted the organization Acme"
    );
    assert_eq!(
        say(
            "organization.restored",
            "Ada",
            "Acme",
            Value::Null,
            Value::Null
        ),
        "Ada restored the organization Acme"
    );
}
