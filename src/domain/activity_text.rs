//! Activity entries as sentences: "Ada changed Grace's role from Viewer to Developer".

use serde_json::Value;

use super::{Credits, Plan, ProjectRole, Role};

/// How a piece of a sentence is shown: connecting words, a person or thing named in the
/// entry, or a value (a role, a plan, an amount).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emphasis {
    Plain,
    Name,
    Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub emphasis: Emphasis,
}

impl Segment {
    pub fn is_name(&self) -> bool {
        self.emphasis == Emphasis::Name
    }

    pub fn is_value(&self) -> bool {
        self.emphasis == Emphasis::Value
    }
}

/// A sentence as segments of text: templates escape each one, so recorded names can
/// never become markup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sentence {
    pub segments: Vec<Segment>,
}

impl Sentence {
    fn push(mut self, text: impl Into<String>, emphasis: Emphasis) -> Self {
        self.segments.push(Segment {
            text: text.into(),
            emphasis,
        });
        self
    }

    fn text(self, text: impl Into<String>) -> Self {
        self.push(text, Emphasis::Plain)
    }

    fn name(self, name: impl Into<String>) -> Self {
        self.push(name, Emphasis::Name)
    }

    fn value(self, value: impl Into<String>) -> Self {
        self.push(value, Emphasis::Value)
    }

    /// Appends `prefix` and a value when there is one.
    fn maybe(self, prefix: &str, value: Option<String>) -> Self {
        match value {
            Some(value) => self.text(prefix).value(value),
            None => self,
        }
    }

    /// The sentence as plain text, for exports and tests.
    pub fn plain(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}

/// The sentence for one entry, from what was recorded at the time: the actor's and the
/// target's names as they were then, never as they are now. Missing or odd `before` and
/// `after` fields shorten the sentence rather than fail; unknown actions read as
/// "Ada did project.created on Apollo".
pub fn describe(
    action: &str,
    actor: &str,
    target: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Sentence {
    let actor = if actor.trim().is_empty() {
        "Someone"
    } else {
        actor
    };
    let was = |key: &str| field(before, key);
    let now = |key: &str| field(after, key);
    let start = Sentence::default().name(actor);
    match action {
        "organization.created" => start
            .text(" created the organization ")
            .name(now("name").unwrap_or_else(|| target.to_owned())),
        "organization.renamed" => renamed(start, "organization", was("name"), now("name"), target),
        "member.role_changed" => changed(
            start,
            target,
            "role",
            was("role").map(role_label),
            now("role").map(role_label),
        ),
        "member.removed" => {
            let sentence = start.text(" removed ").name(target);
            let sentence = match was("role") {
                Some(role) => sentence.text(" (").value(role_label(role)).text(")"),
                None => sentence,
            };
            sentence.text(" from the organization")
        }
        "member.left" => start.text(" left the organization"),
        "invitation.sent" => {
            let sentence = start
                .text(" invited ")
                .name(target)
                .maybe(" as ", now("role").map(role_label));
            match now("project") {
                Some(project) => sentence.text(" to the project ").name(project),
                None => sentence,
            }
        }
        "invitation.resent" => start.text(" resent the invitation to ").name(target),
        "invitation.cancelled" => start.text(" cancelled the invitation to ").name(target),
        "invitation.accepted" => match now("role") {
            Some(role) => start
                .text(" accepted the invitation and joined as ")
                .value(role_label(role)),
            None => start.text(" accepted the invitation"),
        },
        "project.created" => start
            .text(" created the project ")
            .name(now("name").unwrap_or_else(|| target.to_owned())),
        "project.renamed" => renamed(start, "project", was("name"), now("name"), target),
        "project.archived" => start.text(" archived the project ").name(target),
        // Accepting a project invitation grants the access to oneself.
        "project_access.granted" if now("invitation").is_some() || actor == target => {
            let sentence = start.text(" accepted the invitation and joined");
            let sentence = match now("project") {
                Some(project) => sentence.text(" the project ").name(project),
                None => sentence.text(" a project"),
            };
            sentence.maybe(" as ", now("role").map(role_label))
        }
        "project_access.granted" => {
            let sentence = start.text(" gave ").name(target);
            let sentence = match now("role") {
                Some(role) => sentence
                    .text(" ")
                    .value(role_label(role))
                    .text(" access to"),
                None => sentence.text(" access to"),
            };
            match now("project") {
                Some(project) => sentence.text(" the project ").name(project),
                None => sentence.text(" a project"),
            }
        }
        "project_access.changed" => {
            let what = match now("project").or_else(|| was("project")) {
                Some(project) => format!("access to the project {project}"),
                None => "project access".to_owned(),
            };
            changed(
                start,
                target,
                &what,
                was("role").map(role_label),
                now("role").map(role_label),
            )
        }
        "project_access.revoked" => {
            let sentence = start.text(" took away ").name(target);
            match was("project") {
                Some(project) => sentence.text("'s access to the project ").name(project),
                None => sentence.text("'s project access"),
            }
        }
        "api_key.created" => {
            let sentence = start
                .text(" created the API key ")
                .name(now("name").unwrap_or_else(|| target.to_owned()))
                .maybe(" starting with ", now("prefix"));
            match now("project") {
                Some(project) => sentence.text(" in the project ").name(project),
                None => sentence,
            }
        }
        "api_key.revoked" => {
            let sentence = start.text(" revoked the API key ").name(target);
            match was("project") {
                Some(project) => sentence.text(" in the project ").name(project),
                None => sentence,
            }
        }
        "api_key.rotated" => {
            let sentence = start.text(" rotated the API key ").name(target);
            let sentence = match now("new_prefix") {
                Some(prefix) => sentence.text(" (new prefix ").value(prefix).text(")"),
                None => sentence,
            };
            match now("overlap_hours").and_then(|h| h.parse::<i64>().ok()) {
                Some(0) => sentence.text(" and stopped the old key at once"),
                Some(1) => sentence
                    .text(" and kept the old key working for ")
                    .value("1 hour"),
                Some(hours) if hours > 1 => sentence
                    .text(" and kept the old key working for ")
                    .value(format!("{hours} hours")),
                _ => sentence,
            }
        }
        "billing.credits_added" => {
            let amount = now("amount_micro").and_then(|a| a.parse::<i64>().ok());
            let sentence = match amount {
                Some(micro) => start
                    .text(" added ")
                    .value(format!("{} credits", Credits::from_micro(micro).display())),
                None => start.text(" added credits"),
            };
            match now("reference") {
                Some(reference) => sentence
                    .text(" (payment reference ")
                    .value(reference)
                    .text(")"),
                None => sentence,
            }
        }
        "billing.plan_changed" => start
            .text(" changed the plan")
            .maybe(" from ", was("plan").map(plan_label))
            .maybe(" to ", now("plan").map(plan_label)),
        _ if target.is_empty() => start.text(" did ").value(action),
        _ => start.text(" did ").value(action).text(" on ").name(target),
    }
}

/// "renamed the project from Apollo to Artemis".
fn renamed(
    start: Sentence,
    what: &str,
    old: Option<String>,
    new: Option<String>,
    target: &str,
) -> Sentence {
    let sentence = start.text(format!(" renamed the {what}"));
    let sentence = match old {
        Some(old) => sentence.text(" from ").name(old),
        None => sentence,
    };
    sentence
        .text(" to ")
        .name(new.unwrap_or_else(|| target.to_owned()))
}

/// "changed Grace Hopper's role from Viewer to Developer".
fn changed(
    start: Sentence,
    target: &str,
    what: &str,
    old: Option<String>,
    new: Option<String>,
) -> Sentence {
    start
        .text(" changed ")
        .name(target)
        .text(format!("'s {what}"))
        .maybe(" from ", old)
        .maybe(" to ", new)
}

/// A string or number field of a recorded JSON object.
fn field(object: Option<&Value>, key: &str) -> Option<String> {
    match object?.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// "billing_manager" -> "Billing Manager"; roles that no longer exist read as stored.
fn role_label(stored: String) -> String {
    match (Role::parse(&stored), ProjectRole::parse(&stored)) {
        (Ok(role), _) => role.label().to_owned(),
        (_, Ok(role)) => role.label().to_owned(),
        _ => humanize(&stored),
    }
}

/// "enterprise" -> "Enterprise"; plans that no longer exist read as stored.
fn plan_label(stored: String) -> String {
    match Plan::parse(&stored) {
        Ok(plan) => plan.label().to_owned(),
        Err(_) => humanize(&stored),
    }
}

/// "some_value" -> "Some value".
fn humanize(stored: &str) -> String {
    let spaced = stored.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

#[cfg(test)]
mod tests {
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
}
