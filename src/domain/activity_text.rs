//! Activity entries as sentences: "Ada changed Grace's role from Viewer to Developer".

use serde_json::Value;

use super::activity::Action;
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
/// `after` fields shorten the sentence rather than fail; actions this version does not
/// know read as "Ada did project.created on Apollo". The match over [`Action`] is
/// exhaustive, so a new action cannot be recorded without its sentence.
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
    let Some(known) = Action::parse(action) else {
        return if target.is_empty() {
            start.text(" did ").value(action)
        } else {
            start.text(" did ").value(action).text(" on ").name(target)
        };
    };
    use Action::*;
    match known {
        OrganizationCreated => start
            .text(" created the organization ")
            .name(now("name").unwrap_or_else(|| target.to_owned())),
        OrganizationRenamed => renamed(start, "organization", was("name"), now("name"), target),
        OrganizationRetentionChanged => start
            .text(" changed how long IP addresses and user agents are kept")
            .maybe(" from ", days_kept(before))
            .maybe(" to ", days_kept(after)),
        OrganizationDeleted => {
            let sentence = start.text(" deleted the organization ").name(target);
            match now("invitations_cancelled").and_then(|n| n.parse::<i64>().ok()) {
                Some(1) => sentence
                    .text(" and cancelled ")
                    .value("1 pending invitation"),
                Some(n) if n > 1 => sentence
                    .text(" and cancelled ")
                    .value(format!("{n} pending invitations")),
                _ => sentence,
            }
        }
        OrganizationRestored => start.text(" restored the organization ").name(target),
        OrganizationAuditStreamUpdated => {
            let verb = if before.is_some() {
                " changed audit log streaming to "
            } else {
                " turned on audit log streaming to "
            };
            let sentence = start.text(verb).value(now("endpoint").unwrap_or_default());
            match after.and_then(|a| a.get("secret_replaced")) {
                Some(Value::Bool(true)) if before.is_some() => {
                    sentence.text(" and replaced its secret")
                }
                _ => sentence,
            }
        }
        OrganizationAuditStreamDisabled => start
            .text(" turned off audit log streaming")
            .maybe(" to ", was("endpoint")),
        OrganizationAuditStreamTested => start
            .text(" sent a test event to ")
            .value(now("endpoint").unwrap_or_default()),
        MemberRoleChanged => changed(
            start,
            target,
            "role",
            was("role").map(role_label),
            now("role").map(role_label),
        ),
        MemberRemoved => {
            let sentence = start.text(" removed ").name(target);
            let sentence = match was("role") {
                Some(role) => sentence.text(" (").value(role_label(role)).text(")"),
                None => sentence,
            };
            sentence.text(" from the organization")
        }
        MemberLeft => start.text(" left the organization"),
        InvitationSent => {
            let sentence = start
                .text(" invited ")
                .name(target)
                .maybe(" as ", now("role").map(role_label));
            match now("project") {
                Some(project) => sentence.text(" to the project ").name(project),
                None => sentence,
            }
        }
        InvitationResent => start.text(" resent the invitation to ").name(target),
        InvitationCancelled => start.text(" cancelled the invitation to ").name(target),
        InvitationRequestedAgain => Sentence::default()
            .name(target)
            .text(" asked for a new invitation: their link had expired"),
        InvitationAccepted => match now("role") {
            Some(role) => start
                .text(" accepted the invitation and joined as ")
                .value(role_label(role)),
            None => start.text(" accepted the invitation"),
        },
        ProjectCreated => start
            .text(" created the project ")
            .name(now("name").unwrap_or_else(|| target.to_owned())),
        ProjectRenamed => renamed(start, "project", was("name"), now("name"), target),
        ProjectArchived => start.text(" archived the project ").name(target),
        // Accepting a project invitation grants the access to oneself.
        ProjectAccessGranted if now("invitation").is_some() || actor == target => {
            let sentence = start.text(" accepted the invitation and joined");
            let sentence = match now("project") {
                Some(project) => sentence.text(" the project ").name(project),
                None => sentence.text(" a project"),
            };
            sentence.maybe(" as ", now("role").map(role_label))
        }
        ProjectAccessGranted => {
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
        ProjectAccessChanged => {
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
        ProjectAccessRevoked => {
            let sentence = start.text(" took away ").name(target);
            match was("project") {
                Some(project) => sentence.text("'s access to the project ").name(project),
                None => sentence.text("'s project access"),
            }
        }
        ApiKeyCreated => {
            let sentence = start
                .text(" created the API key ")
                .name(now("name").unwrap_or_else(|| target.to_owned()))
                .maybe(" starting with ", now("prefix"));
            match now("project") {
                Some(project) => sentence.text(" in the project ").name(project),
                None => sentence,
            }
        }
        ApiKeyRevoked => {
            let sentence = start.text(" revoked the API key ").name(target);
            match was("project") {
                Some(project) => sentence.text(" in the project ").name(project),
                None => sentence,
            }
        }
        ApiKeyRotated => {
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
        BillingCreditsAdded => {
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
        BillingPlanChanged => start
            .text(" changed the plan")
            .maybe(" from ", was("plan").map(plan_label))
            .maybe(" to ", now("plan").map(plan_label)),
        OrganizationTwoFactorRequired => {
            start.text(" required two-factor authentication for every member")
        }
        OrganizationTwoFactorOptional => start.text(" made two-factor authentication optional"),
        AccountTwoFactorEnabled => start.text(" turned on two-factor authentication"),
        AccountTwoFactorDisabled => start.text(" turned off two-factor authentication"),
        InvitationRoleChanged => start
            .text(" changed the role of the invitation to ")
            .name(target)
            .maybe(" from ", was("role").map(role_label))
            .maybe(" to ", now("role").map(role_label)),
        ProjectAccessUntilChanged => {
            let sentence = start.text(" changed until when ").name(target);
            let sentence = match now("project").or_else(|| was("project")) {
                Some(project) => sentence.text(" has access to the project ").name(project),
                None => sentence.text(" has project access"),
            };
            let end = |date: Option<String>| date.unwrap_or_else(|| "no end date".to_owned());
            sentence
                .text(": from ")
                .value(end(was("access_until")))
                .text(" to ")
                .value(end(now("access_until")))
        }
        ProjectAccessExpired => {
            let sentence = start.text(" ended ").name(target);
            let sentence = match was("project") {
                Some(project) => sentence.text("'s access to the project ").name(project),
                None => sentence.text("'s project access"),
            };
            sentence.maybe(", which ran until ", was("access_until"))
        }
        AdminKeyCreated => start
            .text(" created the admin key ")
            .name(now("name").unwrap_or_else(|| target.to_owned()))
            .maybe(" starting with ", now("prefix")),
        AdminKeyRevoked => start.text(" revoked the admin key ").name(target),
        OrganizationSsoConfigured => {
            let sentence = start
                .text(" changed the single sign-on settings")
                .maybe(" to the issuer ", now("issuer"))
                .maybe(
                    " with the default role ",
                    now("default_role").map(role_label),
                );
            match after.and_then(|a| a.get("secret_replaced")) {
                Some(Value::Bool(true)) => sentence.text(" and a new client secret"),
                _ => sentence,
            }
        }
        OrganizationSsoTested => start
            .text(" tested single sign-on")
            .maybe(" and signed in at the provider as ", now("email")),
        OrganizationSsoEnabled => start
            .text(" turned on single sign-on")
            .maybe(" with ", now("issuer")),
        OrganizationSsoDisabled => start.text(" turned off single sign-on"),
        OrganizationSsoRequired => {
            start.text(" required single sign-on for addresses in the verified domains")
        }
        OrganizationSsoOptional => start.text(" made single sign-on optional"),
        OrganizationDomainAdded => start.text(" added the domain ").maybe("", now("domain")),
        OrganizationDomainVerified => start
            .text(" verified the domain ")
            .maybe("", now("domain").or_else(|| was("domain"))),
        OrganizationDomainRemoved => start.text(" removed the domain ").maybe("", was("domain")),
        MemberJoinedViaSso => start
            .text(" joined through single sign-on")
            .maybe(" as ", now("role").map(role_label)),
        OrganizationSsoBypassed => {
            start.text(" bypassed required single sign-on with a password and two-factor code")
        }
        OrganizationScimTokenCreated => {
            let rotated = after.and_then(|a| a.get("rotated")) == Some(&Value::Bool(true));
            start
                .text(if rotated {
                    " rotated the SCIM token"
                } else {
                    " created a SCIM token"
                })
                .maybe(": the new one starts with ", now("prefix"))
        }
        OrganizationScimTokenRevoked => start
            .text(" revoked the SCIM token")
            .maybe(" starting with ", was("prefix"))
            .text("; provisioning stopped"),
        OrganizationScimGroupRoleChanged => {
            let group = now("group").or_else(|| was("group")).unwrap_or_default();
            match now("role").map(role_label) {
                Some(role) => start
                    .text(" gave members of the group ")
                    .name(group)
                    .text(" the role ")
                    .value(role),
                None => start
                    .text(" stopped giving a role to members of the group ")
                    .name(group)
                    .maybe(" (it was ", was("role").map(role_label))
                    .text(if was("role").is_some() { ")" } else { "" }),
            }
        }
        MemberProvisioned => {
            let linked = after.and_then(|a| a.get("linked")) == Some(&Value::Bool(true));
            start
                .text(" provisioned ")
                .name(target)
                .maybe(" as ", now("role").map(role_label))
                .text(if linked { " (an existing account)" } else { "" })
        }
        MemberDeprovisioned => {
            let verb = match now("reason").as_deref() {
                Some("deleted") => " deleted ",
                _ => " deactivated ",
            };
            start
                .text(verb)
                .name(target)
                .text(" and removed them from the organization")
                .maybe(" (", was("role").map(role_label))
                .text(if was("role").is_some() { ")" } else { "" })
        }
        ScimUserUpdated => start
            .text(" updated the identity provider's record of ")
            .name(target),
        ScimGroupCreated => start.text(" created the group ").name(target),
        ScimGroupUpdated => {
            let count = |v: Option<&Value>, key: &str| {
                v.and_then(|v| v.get(key))
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            };
            let (added, removed) = (count(after, "added"), count(before, "removed"));
            let people = |n: usize| {
                if n == 1 {
                    "1 person".to_owned()
                } else {
                    format!("{n} people")
                }
            };
            let sentence = match (was("name"), now("name")) {
                (Some(old), Some(new)) if old != new => start
                    .text(" renamed the group ")
                    .name(old)
                    .text(" to ")
                    .name(new),
                _ => start.text(" changed the group ").name(target),
            };
            match (added, removed) {
                (0, 0) => sentence,
                (a, 0) => sentence.text(": added ").value(people(a)),
                (0, r) => sentence.text(": removed ").value(people(r)),
                (a, r) => sentence
                    .text(": added ")
                    .value(people(a))
                    .text(", removed ")
                    .value(people(r)),
            }
        }
        ScimGroupDeleted => start.text(" deleted the group ").name(target),
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

/// "90 days", "1 day", or "not at all" for 0, from `keep_personal_days`.
fn days_kept(recorded: Option<&Value>) -> Option<String> {
    let days = recorded?.get("keep_personal_days")?.as_i64()?;
    Some(match days {
        0 => "not at all".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    })
}

#[cfg(test)]
#[path = "activity_text_tests.rs"]
mod tests;
