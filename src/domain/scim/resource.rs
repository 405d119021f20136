//! The two resources: a User (an account in the organization, as the identity provider
//! describes it) and a Group (a named set of users; mapped groups give roles). Bodies
//! are parsed into these at the edge; attribute names are matched in any case, and
//! attributes this console does not keep are ignored, as RFC 7644 asks.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::Refusal;
use super::path::{Attr, canonical};

const fn attr(name: &'static str) -> Attr {
    Attr {
        name,
        multi: false,
        subs: &[],
        read_only: false,
    }
}

pub const USER_ATTRS: &[Attr] = &[
    attr("userName"),
    attr("externalId"),
    attr("active"),
    attr("displayName"),
    Attr {
        subs: &["givenName", "familyName", "formatted"],
        ..attr("name")
    },
    Attr {
        multi: true,
        subs: &["value", "type", "primary"],
        ..attr("emails")
    },
    Attr {
        multi: true,
        subs: &["value", "$ref", "display"],
        read_only: true,
        ..attr("groups")
    },
];

pub const GROUP_ATTRS: &[Attr] = &[
    attr("displayName"),
    attr("externalId"),
    Attr {
        multi: true,
        subs: &["value", "$ref"],
        ..attr("members")
    },
];

/// The longest text attribute kept (userName, externalId, displayName, a name part, an
/// email's type).
const MAX_TEXT: usize = 256;
/// The most email addresses one user carries, and members one request sets.
const MAX_EMAILS: usize = 10;
pub const MAX_MEMBERS: usize = 10_000;

/// A user's writable attributes, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDoc {
    pub user_name: String,
    pub external_id: Option<String>,
    /// As sent; a user without it (never sent, or removed by PATCH) is active.
    pub active: Option<bool>,
    /// displayName, name and emails, in their canonical spelling: returned as sent.
    pub profile: Map<String, Value>,
}

/// A group's writable attributes, checked; `members` are SCIM user ids.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDoc {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<Uuid>,
}

/// The body's attributes that `attrs` knows, by canonical name.
fn known(body: &Value, attrs: &[Attr]) -> Result<Map<String, Value>, Refusal> {
    let object = body
        .as_object()
        .ok_or_else(|| Refusal::invalid_syntax("The body is a JSON object."))?;
    let mut out = Map::new();
    for (key, value) in object {
        if let Some(a) = canonical(attrs, key).filter(|a| !a.read_only) {
            // `name.givenName`-style keys are PATCH paths, not attributes.
            if !key.contains('.') {
                out.insert(a.name.to_owned(), value.clone());
            }
        }
    }
    Ok(out)
}

fn text(value: Option<&Value>, what: &str, required: bool) -> Result<Option<String>, Refusal> {
    match value {
        None | Some(Value::Null) if required => {
            Err(Refusal::invalid_value(format!("{what} is required.")))
        }
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() && required {
                Err(Refusal::invalid_value(format!("{what} is required.")))
            } else if s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) {
                Err(Refusal::invalid_value(format!(
                    "{what}: at most {MAX_TEXT} characters on one line."
                )))
            } else if s.is_empty() {
                Ok(None)
            } else {
                Ok(Some(s.to_owned()))
            }
        }
        Some(_) => Err(Refusal::invalid_value(format!("{what} is a string."))),
    }
}

/// `true`/`false`, or the strings "True"/"False" that Microsoft Entra ID sends.
fn boolean(value: Option<&Value>, what: &str, default: bool) -> Result<bool, Refusal> {
    match value {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(Refusal::invalid_value(format!("{what} is true or false."))),
    }
}

fn sub_object(value: &Value, subs: &[&str], what: &str) -> Result<Map<String, Value>, Refusal> {
    let object = value
        .as_object()
        .ok_or_else(|| Refusal::invalid_value(format!("{what} is an object.")))?;
    let mut out = Map::new();
    for (key, v) in object {
        let Some(sub) = subs.iter().find(|s| s.eq_ignore_ascii_case(key)) else {
            continue;
        };
        let v = match *sub {
            "primary" => Value::Bool(boolean(Some(v), &format!("{what}.primary"), false)?),
            _ => match text(Some(v), &format!("{what}.{sub}"), false)? {
                Some(s) => Value::String(s),
                None => continue,
            },
        };
        out.insert((*sub).to_owned(), v);
    }
    Ok(out)
}

impl UserDoc {
    /// A POST or PUT body, or the document a PATCH produced.
    pub fn parse(body: &Value) -> Result<UserDoc, Refusal> {
        let fields = known(body, USER_ATTRS)?;
        let user_name = text(fields.get("userName"), "userName", true)?.unwrap_or_default();
        let external_id = text(fields.get("externalId"), "externalId", false)?;
        let active = match fields.get("active") {
            None | Some(Value::Null) => None,
            given => Some(boolean(given, "active", true)?),
        };
        let mut profile = Map::new();
        if let Some(name) = text(fields.get("displayName"), "displayName", false)? {
            profile.insert("displayName".into(), Value::String(name));
        }
        match fields.get("name") {
            None | Some(Value::Null) => {}
            Some(value) => {
                let name = sub_object(value, USER_ATTRS[4].subs, "name")?;
                if !name.is_empty() {
                    profile.insert("name".into(), Value::Object(name));
                }
            }
        }
        match fields.get("emails") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                if items.len() > MAX_EMAILS {
                    return Err(Refusal::invalid_value(format!(
                        "emails: at most {MAX_EMAILS}."
                    )));
                }
                let mut emails = Vec::with_capacity(items.len());
                for item in items {
                    let email = sub_object(item, USER_ATTRS[5].subs, "emails")?;
                    if !email.contains_key("value") {
                        return Err(Refusal::invalid_value("emails: each has a value."));
                    }
                    emails.push(Value::Object(email));
                }
                if !emails.is_empty() {
                    profile.insert("emails".into(), Value::Array(emails));
                }
            }
            Some(_) => return Err(Refusal::invalid_value("emails is a list.")),
        }
        Ok(UserDoc {
            user_name,
            external_id,
            active,
            profile,
        })
    }

    /// What PATCH operates on: every writable attribute.
    pub fn document(&self) -> Map<String, Value> {
        let mut doc = self.profile.clone();
        doc.insert("userName".into(), json!(self.user_name));
        if let Some(active) = self.active {
            doc.insert("active".into(), json!(active));
        }
        if let Some(id) = &self.external_id {
            doc.insert("externalId".into(), json!(id));
        }
        doc
    }

    pub fn is_active(&self) -> bool {
        self.active.unwrap_or(true)
    }

    /// The address the account is for: the primary email, else the first, else a
    /// userName that is an address (how Okta and Entra name users by default).
    pub fn email(&self) -> Option<&str> {
        let emails = self.profile.get("emails").and_then(Value::as_array);
        fn value(e: &Value) -> Option<&str> {
            e.get("value").and_then(Value::as_str)
        }
        emails
            .and_then(|list| {
                list.iter()
                    .find(|e| e.get("primary") == Some(&Value::Bool(true)))
                    .or_else(|| list.first())
            })
            .and_then(value)
            .or_else(|| {
                self.user_name
                    .contains('@')
                    .then_some(self.user_name.as_str())
            })
    }

    /// The person's name for a new account: displayName, name.formatted, given and
    /// family name, else the userName.
    pub fn person_name(&self) -> String {
        let name = self.profile.get("name");
        let part = |k: &str| name.and_then(|n| n.get(k)).and_then(Value::as_str);
        let joined = [part("givenName"), part("familyName")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        self.profile
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| part("formatted").map(str::to_owned))
            .or_else(|| (!joined.is_empty()).then_some(joined))
            .unwrap_or_else(|| {
                self.user_name
                    .split('@')
                    .next()
                    .unwrap_or(&self.user_name)
                    .to_owned()
            })
    }
}

impl GroupDoc {
    pub fn parse(body: &Value) -> Result<GroupDoc, Refusal> {
        let fields = known(body, GROUP_ATTRS)?;
        let display_name =
            text(fields.get("displayName"), "displayName", true)?.unwrap_or_default();
        let external_id = text(fields.get("externalId"), "externalId", false)?;
        let members = match fields.get("members") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                if items.len() > MAX_MEMBERS {
                    return Err(Refusal::invalid_value(format!(
                        "members: at most {MAX_MEMBERS} in one request."
                    )));
                }
                let mut ids = Vec::with_capacity(items.len());
                for item in items {
                    let value = item
                        .as_object()
                        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")))
                        .and_then(|(_, v)| v.as_str())
                        .ok_or_else(|| {
                            Refusal::invalid_value("members: each has the value of a user's id.")
                        })?;
                    let id = Uuid::parse_str(value).map_err(|_| {
                        Refusal::invalid_value(format!(
                            "members: {value} is not a user of this organization."
                        ))
                    })?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            }
            Some(_) => return Err(Refusal::invalid_value("members is a list.")),
        };
        Ok(GroupDoc {
            display_name,
            external_id,
            members,
        })
    }

    /// What PATCH operates on; member items carry only their value.
    pub fn document(&self) -> Map<String, Value> {
        let mut doc = Map::new();
        doc.insert("displayName".into(), json!(self.display_name));
        if let Some(id) = &self.external_id {
            doc.insert("externalId".into(), json!(id));
        }
        if !self.members.is_empty() {
            let members: Vec<Value> = self
                .members
                .iter()
                .map(|id| json!({ "value": id.to_string() }))
                .collect();
            doc.insert("members".into(), Value::Array(members));
        }
        doc
    }
}

/// `attributes` / `excludedAttributes` (RFC 7644 3.9) applied to a rendered resource:
/// `schemas` and `id` always stay; `a.b` keeps or drops one sub-attribute.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

impl Projection {
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Projection {
        let list = |s: Option<&str>| -> Vec<String> {
            s.map(|s| {
                s.split(',')
                    .map(|a| {
                        let a = a.trim();
                        // A core schema's URN in front names the same attribute.
                        let tail = if a.len() > 4 && a[..4].eq_ignore_ascii_case("urn:") {
                            a.rsplit(':').next().unwrap_or(a)
                        } else {
                            a
                        };
                        tail.to_ascii_lowercase()
                    })
                    .filter(|a| !a.is_empty())
                    .collect()
            })
            .unwrap_or_default()
        };
        Projection {
            attributes: list(attributes),
            excluded: list(excluded),
        }
    }

    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(object) = resource else {
            return resource;
        };
        let always = |k: &str| k == "schemas" || k == "id";
        let mut out = Map::new();
        for (key, value) in object {
            let lower = key.to_ascii_lowercase();
            if always(&lower) {
                out.insert(key, value);
                continue;
            }
            if !self.attributes.is_empty() {
                let whole = self.attributes.contains(&lower);
                let subs: Vec<&str> = self
                    .attributes
                    .iter()
                    .filter_map(|a| a.strip_prefix(&format!("{lower}.")))
                    .collect();
                if whole {
                    out.insert(key, value);
                } else if !subs.is_empty() {
                    out.insert(key, keep_subs(value, &subs));
                }
                continue;
            }
            if self.excluded.contains(&lower) {
                continue;
            }
            let dropped: Vec<&str> = self
                .excluded
                .iter()
                .filter_map(|a| a.strip_prefix(&format!("{lower}.")))
                .collect();
            if dropped.is_empty() {
                out.insert(key, value);
            } else {
                out.insert(key, drop_subs(value, &dropped));
            }
        }
        Value::Object(out)
    }
}

fn map_objects(value: Value, f: &dyn Fn(Map<String, Value>) -> Map<String, Value>) -> Value {
    match value {
        Value::Object(o) => Value::Object(f(o)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| map_objects(v, f)).collect()),
        other => other,
    }
}

fn keep_subs(value: Value, subs: &[&str]) -> Value {
    map_objects(value, &|o| {
        o.into_iter()
            .filter(|(k, _)| subs.contains(&k.to_ascii_lowercase().as_str()))
            .collect()
    })
}

fn drop_subs(value: Value, subs: &[&str]) -> Value {
    map_objects(value, &|o| {
        o.into_iter()
            .filter(|(k, _)| !subs.contains(&k.to_ascii_lowercase().as_str()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_okta_user_parses_with_its_primary_email() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "UserName": "ada@example.com",
            "name": { "givenName": "Ada", "familyName": "Lovelace", "middleName": "x" },
            "emails": [
                { "value": "other@example.com", "type": "home" },
                { "primary": true, "value": "ada@example.com", "type": "work" }
            ],
            "active": "True",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "R&D" },
            "groups": [{ "value": "ignored" }],
            "locale": "en-US"
        });
        let user = UserDoc::parse(&body).unwrap();
        assert_eq!(user.user_name, "ada@example.com");
        assert!(user.is_active());
        assert_eq!(user.email(), Some("ada@example.com"));
        assert_eq!(user.person_name(), "Ada Lovelace");
        assert_eq!(
            user.profile["name"],
            json!({ "givenName": "Ada", "familyName": "Lovelace" })
        );
        assert!(!user.document().contains_key("groups"));
    }

    #[test]
    fn a_user_needs_a_user_name_and_sane_values() {
        for body in [
            json!({}),
            json!({ "userName": "  " }),
            json!({ "userName": 5 }),
            json!({ "userName": "a", "active": "maybe" }),
            json!({ "userName": "a", "emails": [{ "type": "work" }] }),
            json!({ "userName": "a", "emails": "a@b.c" }),
            json!({ "userName": "x".repeat(300) }),
            json!({ "userName": "a\nb" }),
            json!([1]),
        ] {
            assert_eq!(UserDoc::parse(&body).unwrap_err().status, 400, "{body}");
        }
        let plain = UserDoc::parse(&json!({ "userName": "jdoe" })).unwrap();
        assert_eq!(plain.email(), None);
        assert_eq!(plain.person_name(), "jdoe");
    }

    #[test]
    fn a_group_lists_its_members_once() {
        let a = Uuid::now_v7();
        let group = GroupDoc::parse(&json!({
            "displayName": "eng",
            "members": [{ "value": a.to_string(), "display": "Ada" }, { "value": a.to_string() }]
        }))
        .unwrap();
        assert_eq!(group.members, vec![a]);
        let bad =
            GroupDoc::parse(&json!({ "displayName": "eng", "members": [{ "value": "nope" }] }));
        assert_eq!(bad.unwrap_err().scim_type, Some("invalidValue"));
    }

    #[test]
    fn projections_keep_id_and_schemas() {
        let resource = json!({
            "schemas": ["s"], "id": "1", "userName": "a", "displayName": "A",
            "name": { "givenName": "A", "familyName": "B" }
        });
        let only =
            Projection::parse(Some("displayName,name.givenName"), None).apply(resource.clone());
        assert_eq!(
            only,
            json!({ "schemas": ["s"], "id": "1", "displayName": "A", "name": { "givenName": "A" } })
        );
        let without = Projection::parse(None, Some("DISPLAYNAME,name.familyName")).apply(resource);
        assert_eq!(
            without,
            json!({ "schemas": ["s"], "id": "1", "userName": "a", "name": { "givenName": "A" } })
        );
    }
}
