//! The discovery documents (RFC 7644 section 4, RFC 7643 sections 5-7): what this
//! service provider supports, its two resource types, and the schemas of exactly the
//! attributes it keeps, so that a client learns the truth from them.

use serde_json::{Value, json};

use super::{GROUP_SCHEMA, MAX_RESULTS, USER_SCHEMA};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

fn meta(resource_type: &str, location: String) -> Value {
    json!({ "resourceType": resource_type, "location": location })
}

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": format!("{base}/docs/api"),
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "SCIM token",
            "description": "Authorization: Bearer tw_scim_..., created in Settings, SCIM provisioning.",
            "primary": true
        }],
        "meta": meta("ServiceProviderConfig", format!("{base}/ServiceProviderConfig")),
    })
}

/// The resource types, by id.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A member of the organization",
            "schema": USER_SCHEMA,
            "schemaExtensions": [],
            "meta": meta("ResourceType", format!("{base}/ResourceTypes/User")),
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A group of the identity provider; mapped groups give roles",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": meta("ResourceType", format!("{base}/ResourceTypes/Group")),
        }),
    ]
}

fn attribute(name: &str, kind: &str, required: bool, mutability: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": name,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    })
}

fn with(mut value: Value, extra: Value) -> Value {
    if let (Some(object), Value::Object(extra)) = (value.as_object_mut(), extra) {
        object.extend(extra);
    }
    value
}

fn schema(base: &str, id: &str, name: &str, description: &str, attributes: Vec<Value>) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": meta("Schema", format!("{base}/Schemas/{id}")),
    })
}

/// The schemas, by id: User and Group with the attributes kept, and the three
/// schemas that describe the discovery resources themselves.
pub fn schemas(base: &str) -> Vec<Value> {
    let string = |name: &str, required: bool| attribute(name, "string", required, "readWrite");
    let user = schema(
        base,
        USER_SCHEMA,
        "User",
        "User Account",
        vec![
            with(string("userName", true), json!({ "uniqueness": "server" })),
            string("displayName", false),
            with(
                attribute("name", "complex", false, "readWrite"),
                json!({ "subAttributes": [
                    string("givenName", false),
                    string("familyName", false),
                    string("formatted", false),
                ]}),
            ),
            with(
                attribute("emails", "complex", true, "readWrite"),
                json!({ "multiValued": true, "subAttributes": [
                    string("value", true),
                    string("type", false),
                    attribute("primary", "boolean", false, "readWrite"),
                ]}),
            ),
            attribute("active", "boolean", false, "readWrite"),
            with(
                attribute("groups", "complex", false, "readOnly"),
                json!({ "multiValued": true, "subAttributes": [
                    attribute("value", "string", false, "readOnly"),
                    with(
                        attribute("$ref", "reference", false, "readOnly"),
                        json!({ "referenceTypes": ["Group"] }),
                    ),
                    attribute("display", "string", false, "readOnly"),
                ]}),
            ),
        ],
    );
    let group = schema(
        base,
        GROUP_SCHEMA,
        "Group",
        "Group",
        vec![
            with(
                string("displayName", true),
                json!({ "uniqueness": "server" }),
            ),
            with(
                attribute("members", "complex", false, "readWrite"),
                json!({ "multiValued": true, "subAttributes": [
                    attribute("value", "string", false, "immutable"),
                    with(
                        attribute("$ref", "reference", false, "immutable"),
                        json!({ "referenceTypes": ["User"] }),
                    ),
                ]}),
            ),
        ],
    );
    let read_only = |name: &str, kind: &str| attribute(name, kind, false, "readOnly");
    let supported = |name: &str| {
        with(
            read_only(name, "complex"),
            json!({ "subAttributes": [read_only("supported", "boolean")] }),
        )
    };
    let spc = schema(
        base,
        SPC_SCHEMA,
        "ServiceProviderConfig",
        "Service Provider Configuration",
        vec![
            with(
                read_only("documentationUri", "reference"),
                json!({ "referenceTypes": ["external"] }),
            ),
            supported("patch"),
            supported("bulk"),
            supported("filter"),
            supported("changePassword"),
            supported("sort"),
            supported("etag"),
            with(
                read_only("authenticationSchemes", "complex"),
                json!({ "multiValued": true, "subAttributes": [
                    read_only("type", "string"),
                    read_only("name", "string"),
                    read_only("description", "string"),
                ]}),
            ),
        ],
    );
    let resource_type = schema(
        base,
        RESOURCE_TYPE_SCHEMA,
        "ResourceType",
        "Resource Type",
        vec![
            read_only("id", "string"),
            read_only("name", "string"),
            read_only("description", "string"),
            with(
                read_only("endpoint", "reference"),
                json!({ "referenceTypes": ["uri"] }),
            ),
            with(
                read_only("schema", "reference"),
                json!({ "referenceTypes": ["uri"] }),
            ),
        ],
    );
    let schema_schema = schema(
        base,
        SCHEMA_SCHEMA,
        "Schema",
        "Specifies the schema attributes",
        vec![
            read_only("id", "string"),
            read_only("name", "string"),
            read_only("description", "string"),
            with(
                read_only("attributes", "complex"),
                json!({ "multiValued": true, "subAttributes": [
                    read_only("name", "string"),
                    read_only("type", "string"),
                    read_only("multiValued", "boolean"),
                    read_only("description", "string"),
                    read_only("required", "boolean"),
                    read_only("mutability", "string"),
                    read_only("returned", "string"),
                ]}),
            ),
        ],
    );
    vec![user, group, spc, resource_type, schema_schema]
}

#[cfg(test)]
mod tests {
    use super::super::resource::{GROUP_ATTRS, USER_ATTRS};
    use super::*;

    /// The published schemas name exactly the attributes the parsers keep.
    #[test]
    fn the_schemas_publish_what_the_resources_keep() {
        let schemas = schemas("https://x.test/scim/v2");
        for (id, attrs) in [(USER_SCHEMA, USER_ATTRS), (GROUP_SCHEMA, GROUP_ATTRS)] {
            let schema = schemas.iter().find(|s| s["id"] == id).unwrap();
            let mut published: Vec<&str> = schema["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["name"].as_str().unwrap())
                .collect();
            published.sort_unstable();
            let mut kept: Vec<&str> = attrs
                .iter()
                .map(|a| a.name)
                .filter(|n| *n != "externalId")
                .collect();
            kept.sort_unstable();
            assert_eq!(published, kept, "{id}");
        }
        assert_eq!(resource_types("b").len(), 2);
        assert_eq!(service_provider_config("b")["patch"]["supported"], true);
    }
}
