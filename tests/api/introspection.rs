//! Each principal's introspection shows exactly the part of the schema the policy gives it.

use std::collections::{BTreeMap, BTreeSet};

use entity::{Agency, Role};
use lianfang::access::policy;
use serde_json::{json, Value};

use crate::helpers::{assert_ok, sdl_fields, spawn_app};

const SCHEMA_QUERY: &str = "{ __schema { types { name fields { name } inputFields { name } } } }";

/// Every principal's `__schema` shows, for every object and input type, exactly the fields
/// the policy gives it; a type it cannot reach is absent, and then the policy gives it
/// none of its fields either.
#[tokio::test]
async fn introspection_shows_each_principal_its_own_schema() {
    let app = spawn_app().await;
    let all = sdl_fields();
    let mut checked = 0;
    for agency in policy::AGENCIES {
        for role in [Role::Operator, Role::Analyst, Role::Auditor, Role::Admin] {
            let token = app.token(agency, role, "DEMO");
            let response = app.gql(&token, SCHEMA_QUERY, json!({})).await;
            assert_ok(&response);
            let shown: BTreeMap<String, BTreeSet<String>> = response["data"]["__schema"]["types"]
                .as_array()
                .unwrap()
                .iter()
                .map(|ty| {
                    let list = if ty["fields"].is_array() {
                        &ty["fields"]
                    } else {
                        &ty["inputFields"]
                    };
                    let fields = list
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .map(|f| f["name"].as_str().unwrap().to_owned())
                                .collect()
                        })
                        .unwrap_or_default();
                    (ty["name"].as_str().unwrap().to_owned(), fields)
                })
                .collect();
            for (type_name, fields) in &all {
                if policy::PUBLIC_TYPES.contains(&type_name.as_str())
                    || policy::is_wrapper(type_name)
                {
                    continue;
                }
                let expected: BTreeSet<String> = fields
                    .iter()
                    .filter(|field| policy::may_see(agency, role, &format!("{type_name}.{field}")))
                    .cloned()
                    .collect();
                match shown.get(type_name) {
                    Some(shown) => assert_eq!(shown, &expected, "{agency} {role} {type_name}"),
                    None => assert!(
                        expected.is_empty(),
                        "{agency} {role}: {type_name} hidden but {expected:?} allowed"
                    ),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 20 * 30, "checked {checked} type views");
}

#[tokio::test]
async fn types_reachable_only_through_hidden_fields_are_hidden() {
    let app = spawn_app().await;
    let names = |r: &Value| -> BTreeSet<String> {
        r["data"]["__schema"]["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let query = "{ __schema { types { name } } }";
    let command = app
        .gql(
            &app.token(Agency::Command, Role::Operator, "DEMO"),
            query,
            json!({}),
        )
        .await;
    let auditor = app
        .gql(
            &app.token(Agency::Command, Role::Auditor, "DEMO"),
            query,
            json!({}),
        )
        .await;
    let community = app
        .gql(
            &app.token(Agency::Community, Role::Operator, "DEMO"),
            query,
            json!({}),
        )
        .await;
    assert!(!names(&command).contains("AuditEvent"));
    assert!(names(&auditor).contains("AuditEvent"));
    assert!(
        !names(&command).contains("PersonInput"),
        "COMMAND cannot register persons"
    );
    assert!(names(&community).contains("PersonInput"));
    assert!(!names(&command).contains("Provenance"));
}

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery` with input
/// value deprecation): every principal can load its schema with it.
const GRAPHIQL_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

#[tokio::test]
async fn graphiql_can_load_the_schema_for_every_principal() {
    let app = spawn_app().await;
    for agency in policy::AGENCIES {
        for role in [Role::Operator, Role::Analyst, Role::Auditor, Role::Admin] {
            let token = app.token(agency, role, "DEMO");
            let response = app.gql(&token, GRAPHIQL_INTROSPECTION, json!({})).await;
            assert_ok(&response);
            let schema = &response["data"]["__schema"];
            assert!(
                schema["types"].as_array().unwrap().len() > 10,
                "{agency} {role}"
            );
            // graphql-js, and so GraphiQL, refuses a schema with a root type without fields:
            // a root type is absent, or has some.
            let types = schema["types"].as_array().unwrap();
            for (root, type_name) in [
                ("queryType", "Query"),
                ("mutationType", "Mutation"),
                ("subscriptionType", "Subscription"),
            ] {
                let Some(name) = schema[root]["name"].as_str() else {
                    assert_ne!(root, "queryType");
                    assert!(
                        !types.iter().any(|t| t["name"] == type_name),
                        "{agency} {role}: {root} is null but {type_name} is listed"
                    );
                    continue;
                };
                let ty = types.iter().find(|t| t["name"] == name).unwrap();
                let fields = ty["fields"].as_array().map_or(0, Vec::len);
                assert!(fields > 0, "{agency} {role}: {name} has no fields");
            }
        }
    }
}
