//! What the service provider tells a directory about itself (RFC 7643 §5–7, RFC 7644
//! §4): its configuration, its resource types and the schemas of their attributes —
//! exactly the attributes Stilla keeps, with what is required and what is read-only,
//! so a client (and `scim2-tester`) knows what it may send.
use serde_json::{Value, json};

use super::urn;

const CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG],
        "documentationUri": "https://github.com/stilla/stilla#connecting-your-identity-provider",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": super::users::Window::MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A Stilla API token with the scim role, made by the tenant's admin",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "User", "name": "User", "endpoint": "/Users",
            "description": "An employee", "schema": urn::USER,
            "schemaExtensions": [{"schema": urn::ENTERPRISE, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "Group", "name": "Group", "endpoint": "/Groups",
            "description": "A directory group; mapped groups place their members",
            "schema": urn::GROUP,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// One attribute's description.
fn attribute(
    name: &str,
    kind: &str,
    required: bool,
    multi: bool,
    mutability: &str,
    extra: Value,
) -> Value {
    let mut a = json!({
        "name": name,
        "type": kind,
        "multiValued": multi,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    });
    if let (Value::Object(a), Value::Object(extra)) = (&mut a, extra) {
        a.extend(extra);
    }
    a
}

fn string(name: &str, required: bool) -> Value {
    attribute(name, "string", required, false, "readWrite", json!({}))
}

pub fn schemas(base: &str) -> Vec<Value> {
    let user = json!({
        "schemas": [SCHEMA],
        "id": urn::USER, "name": "User", "description": "An employee",
        "attributes": [
            attribute("userName", "string", true, false, "readWrite", json!({"uniqueness": "server"})),
            attribute("externalId", "string", false, false, "readWrite", json!({"caseExact": true})),
            attribute("name", "complex", false, false, "readWrite", json!({"subAttributes": [
                string("givenName", false), string("familyName", false),
            ]})),
            string("displayName", true),
            string("title", false),
            attribute("active", "boolean", false, false, "readWrite", json!({})),
            attribute("emails", "complex", true, true, "readWrite", json!({"subAttributes": [
                string("value", true),
                attribute("type", "string", false, false, "readWrite", json!({"canonicalValues": ["work", "home", "other"]})),
                attribute("primary", "boolean", false, false, "readWrite", json!({})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", urn::USER)},
    });
    let enterprise = json!({
        "schemas": [SCHEMA],
        "id": urn::ENTERPRISE, "name": "EnterpriseUser", "description": "Where the employee works",
        "attributes": [
            string("employeeNumber", false),
            string("costCenter", false),
            string("department", false),
            attribute("manager", "complex", false, false, "readWrite", json!({"subAttributes": [
                attribute("value", "string", false, false, "readWrite", json!({"caseExact": true})),
                attribute("$ref", "reference", false, false, "readWrite", json!({"referenceTypes": ["User"]})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", urn::ENTERPRISE)},
    });
    let group = json!({
        "schemas": [SCHEMA],
        "id": urn::GROUP, "name": "Group", "description": "A directory group",
        "attributes": [
            attribute("displayName", "string", true, false, "readWrite", json!({"uniqueness": "server"})),
            attribute("externalId", "string", false, false, "readWrite", json!({"caseExact": true})),
            attribute("members", "complex", false, true, "readWrite", json!({"subAttributes": [
                attribute("value", "string", false, false, "immutable", json!({"caseExact": true})),
                attribute("$ref", "reference", false, false, "immutable", json!({"referenceTypes": ["User"]})),
                attribute("type", "string", false, false, "immutable", json!({"canonicalValues": ["User"]})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", urn::GROUP)},
    });
    vec![user, enterprise, group]
}
