//! The committed schema matches the code, and the policy declares every field of it.

use std::collections::BTreeSet;

use lianfang::{access::policy, graphql};

use crate::helpers::sdl_fields;

/// Every coordinate (`Type.field`, `Input.field`) of the schema's object and input types.
fn coordinates() -> Vec<(String, String)> {
    sdl_fields()
        .into_iter()
        .flat_map(|(ty, fields)| fields.into_iter().map(move |f| (ty.clone(), f)))
        .collect()
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
        .filter(|(ty, _)| !policy::PUBLIC_TYPES.contains(&ty.as_str()) && !policy::is_wrapper(ty))
        .filter(|(ty, field)| {
            !declared.contains(format!("{ty}.{field}").as_str())
                && !declared.contains(format!("{ty}.*").as_str())
        })
        .map(|(ty, field)| format!("{ty}.{field}"))
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
    let types: BTreeSet<String> = coordinates()
        .into_iter()
        .map(|(t, _)| format!("{t}.*"))
        .collect();
    let stale: Vec<&str> = policy::SCHEMA
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !c.contains('(') && !existing.contains(*c) && !types.contains(*c))
        .collect();
    assert!(
        stale.is_empty(),
        "policy names fields the schema does not have: {stale:?}"
    );
}
