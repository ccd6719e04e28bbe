//! Each principal's introspection shows exactly the part of the schema the policy gives it.

use std::collections::BTreeSet;

use entity::{Agency, Role};
use lianfang::access::policy;
use serde_json::{json, Value};

use crate::helpers::{assert_ok, sdl_fields, spawn_app};

const TYPES: [&str; 6] = [
    "Query",
    "Mutation",
    "Person",
    "PersonFilter",
    "PersonInput",
    "AuditEvent",
];

const INTROSPECT: &str = r#"
query($name: String!) {
  __type(name: $name) { name fields { name } inputFields { name } }
}"#;

#[tokio::test]
async fn introspection_shows_each_principal_its_own_schema() {
    let app = spawn_app().await;
    for agency in policy::AGENCIES {
        for role in [Role::Operator, Role::Analyst, Role::Auditor, Role::Admin] {
            let token = app.token(agency, role, "DEMO");
            for type_name in TYPES {
                let shown = fields(&app, &token, type_name).await;
                // The type's full set of fields, from the SDL.
                let all = all_fields(type_name);
                let expected: BTreeSet<String> = all
                    .iter()
                    .filter(|field| policy::may_see(agency, role, &format!("{type_name}.{field}")))
                    .cloned()
                    .collect();
                match shown {
                    Some(shown) => assert_eq!(shown, expected, "{agency} {role} {type_name}"),
                    None => assert!(
                        expected.is_empty(),
                        "{agency} {role}: {type_name} hidden but {expected:?} allowed"
                    ),
                }
            }
        }
    }
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

async fn fields(
    app: &crate::helpers::TestApp,
    token: &str,
    type_name: &str,
) -> Option<BTreeSet<String>> {
    let response = app
        .gql(token, INTROSPECT, json!({ "name": type_name }))
        .await;
    assert_ok(&response);
    let ty = &response["data"]["__type"];
    if ty.is_null() {
        return None;
    }
    let list = if ty["fields"].is_array() {
        &ty["fields"]
    } else {
        &ty["inputFields"]
    };
    Some(
        list.as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect(),
    )
}

fn all_fields(type_name: &str) -> BTreeSet<String> {
    sdl_fields().remove(type_name).unwrap_or_default()
}
