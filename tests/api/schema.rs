//! The committed schema matches the code, and the policy declares every field of it.

use std::collections::BTreeSet;

use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use lianfang::{access::policy, graphql};

/// Every coordinate (`Type.field`, `Input.field`) of the schema's object and input types.
fn coordinates() -> Vec<(String, String)> {
    let doc = async_graphql::parser::parse_schema(graphql::sdl()).unwrap();
    let mut out = Vec::new();
    for definition in doc.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let name = ty.node.name.node.to_string();
        let fields: Vec<String> = match &ty.node.kind {
            TypeKind::Object(object) => object
                .fields
                .iter()
                .map(|f| f.node.name.node.to_string())
                .collect(),
            TypeKind::InputObject(input) => input
                .fields
                .iter()
                .map(|f| f.node.name.node.to_string())
                .collect(),
            _ => continue,
        };
        for field in fields {
            out.push((name.clone(), field));
        }
    }
    out
}

#[test]
fn the_committed_schema_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        committed == graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- export-schema` and commit it"
    );
}

#[test]
fn the_policy_declares_every_field_of_every_non_public_type() {
    let declared: BTreeSet<&str> = policy::SCHEMA.iter().map(|(c, _)| *c).collect();
    let missing: Vec<String> = coordinates()
        .into_iter()
        .filter(|(ty, _)| !policy::PUBLIC_TYPES.contains(&ty.as_str()))
        .map(|(ty, field)| format!("{ty}.{field}"))
        .filter(|coordinate| !declared.contains(coordinate.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "declare these in access::policy::SCHEMA: {missing:?}"
    );
}

#[test]
fn the_policy_declares_nothing_the_schema_lacks() {
    let existing: BTreeSet<String> = coordinates()
        .into_iter()
        .map(|(t, f)| format!("{t}.{f}"))
        .collect();
    let stale: Vec<&str> = policy::SCHEMA
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !c.contains('(') && !existing.contains(*c))
        .collect();
    assert!(
        stale.is_empty(),
        "policy names fields the schema does not have: {stale:?}"
    );
}
