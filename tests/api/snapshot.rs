//! A partner's first full copy: a snapshot of everything in reach, taken while others write,
//! then the change feed from the snapshot's cursor, give exactly the lists at the end, with
//! nothing twice; and a cursor older than what the log keeps is told to take a new snapshot.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    changes::settled,
    fixtures::{self, COMMUNITY, GRID},
    helpers::{assert_ok, error_code, spawn_with, Options, TestApp},
};

/// The record fields of `Change` a principal reads, each with its `id` (persons with more).
fn selection(kinds: &[&str]) -> String {
    kinds
        .iter()
        .map(|kind| match *kind {
            "person" => "person { id name version }".to_owned(),
            other => format!("{other} {{ id }}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn snapshot_query(kinds: &[&str]) -> String {
    format!(
        "query($after: String) {{ snapshot(after: $after, first: 7) {{
           edges {{ node {{ type operation {} }} }}
           pageInfo {{ hasNextPage endCursor }} changesCursor }} }}",
        selection(kinds)
    )
}

fn feed_query(kinds: &[&str]) -> String {
    format!(
        "query($after: String) {{ changes(after: $after, first: 7) {{
           edges {{ node {{ type {} }} }}
           pageInfo {{ hasNextPage endCursor }} }} }}",
        selection(kinds)
    )
}

/// A record of a copy: its kind and id, and the node as it came.
type Copy = BTreeMap<(String, String), Value>;

fn key(node: &Value, kinds: &[&str]) -> (String, String, Value) {
    let record = kinds
        .iter()
        .map(|kind| &node[*kind])
        .find(|record| !record.is_null())
        .unwrap_or_else(|| panic!("one record field is set: {node}"));
    (
        node["type"].as_str().unwrap().to_owned(),
        record["id"].as_str().unwrap().to_owned(),
        record.clone(),
    )
}

/// Reads the snapshot to its end; returns its records (none twice) and the feed cursor.
async fn read_snapshot(app: &TestApp, token: &str, kinds: &[&str]) -> (Copy, Value) {
    let query = snapshot_query(kinds);
    let mut copy = Copy::new();
    let mut after = Value::Null;
    let mut cursor = None;
    loop {
        let response = app.gql(token, &query, json!({ "after": after })).await;
        assert_ok(&response);
        let page = &response["data"]["snapshot"];
        // Every page names the same feed cursor.
        let changes_cursor = page["changesCursor"].clone();
        assert!(cursor.get_or_insert(changes_cursor.clone()) == &changes_cursor);
        for edge in page["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["operation"], "snapshot");
            let (kind, id, record) = key(&edge["node"], kinds);
            assert!(
                copy.insert((kind.clone(), id.clone()), record).is_none(),
                "{kind} {id} came twice in the snapshot"
            );
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return (copy, cursor.unwrap());
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Follows the feed from `cursor` to its end; returns the records (none twice) and the
/// cursor to keep.
async fn follow(app: &TestApp, token: &str, kinds: &[&str], cursor: Value) -> (Copy, Value) {
    let query = feed_query(kinds);
    let mut changes = Copy::new();
    let mut after = cursor;
    loop {
        let response = app.gql(token, &query, json!({ "after": after })).await;
        assert_ok(&response);
        let page = &response["data"]["changes"];
        for edge in page["edges"].as_array().unwrap() {
            let (kind, id, record) = key(&edge["node"], kinds);
            assert!(
                changes.insert((kind.clone(), id.clone()), record).is_none(),
                "{kind} {id} came twice in the feed"
            );
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            let end = page["pageInfo"]["endCursor"].clone();
            return (changes, if end.is_null() { after } else { end });
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Ids of a list, read to its end.
async fn list_ids(app: &TestApp, token: &str, field: &str) -> BTreeSet<String> {
    let query = format!(
        "query($after: String) {{ {field}(first: 100, after: $after) {{
           edges {{ node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    app.all_pages(token, &query, field, json!({}))
        .await
        .iter()
        .map(|node| node["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn rename(app: &TestApp, token: &str, id: &str, name: &str) {
    let version = fixtures::version_of(app, id).await;
    let response = app
        .gql(
            token,
            "mutation($id: ID!, $v: Int!, $name: String!) {
               updatePerson(id: $id, expectedVersion: $v, input: { name: $name }) { id } }",
            json!({ "id": id, "v": version, "name": name }),
        )
        .await;
    assert_ok(&response);
}

/// The record kinds of `Change`, their change types and the lists that answer for them.
const LISTS: [(&str, &str, &str); 6] = [
    ("person", "PERSON", "persons"),
    ("case", "CASE", "cases"),
    ("contact", "CONTACT", "contacts"),
    ("quarantine", "QUARANTINE", "quarantines"),
    ("checkpointEntry", "CHECKPOINT_ENTRY", "checkpointEntries"),
    ("task", "TASK", "tasks"),
];

/// Fields of a type in the principal's own schema.
async fn fields_of(app: &TestApp, token: &str, ty: &str) -> BTreeSet<String> {
    let response = app
        .gql(
            token,
            "query($t: String!) { __type(name: $t) { fields { name } } }",
            json!({ "t": ty }),
        )
        .await;
    assert_ok(&response);
    response["data"]["__type"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn query_fields(app: &TestApp, token: &str) -> BTreeSet<String> {
    fields_of(app, token, "Query").await
}

/// The record kinds a principal's `Change` has.
async fn readable_kinds(app: &TestApp, token: &str) -> Vec<&'static str> {
    let fields = fields_of(app, token, "Change").await;
    [
        "person",
        "case",
        "contact",
        "quarantine",
        "healthCheck",
        "labTest",
        "checkpointEntry",
        "task",
        "alert",
    ]
    .into_iter()
    .filter(|kind| fields.contains(*kind))
    .collect()
}

/// Builds each principal's copy from a snapshot taken while others write, then the feed, and
/// compares it with the principal's own lists at the end.
#[tokio::test]
async fn a_copy_from_a_snapshot_and_the_feed_is_the_lists_with_nothing_twice() {
    // It waits for the log to settle: not while the generator's bulk load holds it back.
    let _settling = crate::helpers::LONG_TRANSACTIONS.read().await;
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let residents: Vec<String> = list_ids(&app, &health, "persons")
        .await
        .into_iter()
        .collect();
    // Every agency, each with the kinds its own schema's `Change` has.
    let tokens = [
        app.token(Agency::Community, Role::Operator, COMMUNITY),
        app.token(Agency::Health, Role::Operator, "DEMO-01"),
        app.token(Agency::Police, Role::Operator, "DEMO-01"),
        app.token(Agency::CivilAffairs, Role::Operator, "DEMO-01-01"),
        app.token(Agency::Command, Role::Operator, "DEMO"),
    ];
    let mut readers: Vec<(String, Vec<&str>)> = Vec::new();
    for token in tokens {
        let kinds = readable_kinds(&app, &token).await;
        assert!(kinds.contains(&"person"), "{kinds:?}");
        readers.push((token, kinds));
    }
    let mut seeded_cases = 0;
    for (round, (token, kinds)) in readers.iter().enumerate() {
        let kinds = kinds.as_slice();
        // Writers: new residents in the community, and renames of residents, while the
        // snapshot is read.
        let round = u16::try_from(round).unwrap();
        let writers = {
            let app = &app;
            let health = &health;
            let residents = &residents;
            async move {
                for i in 0..6u16 {
                    fixtures::register(app, 600 + round * 10 + i, "新来人", GRID).await;
                    let id = &residents[usize::from(round * 6 + i) % residents.len()];
                    rename(app, health, id, &format!("改名{round}{i}")).await;
                }
            }
        };
        let ((snapshot, cursor), ()) = tokio::join!(read_snapshot(&app, token, kinds), writers);
        settled(&app).await;
        let (changes, _) = follow(&app, token, kinds, cursor).await;

        // A record in both changed after its snapshot page was read: the feed has it newer.
        for ((kind, id), record) in &changes {
            if let Some(old) = snapshot.get(&(kind.clone(), id.clone())) {
                assert_eq!(
                    kind, "PERSON",
                    "{kind} {id} came in the snapshot and the feed"
                );
                assert!(
                    record["version"].as_i64() > old["version"].as_i64(),
                    "person {id} came twice in the same version"
                );
            }
        }
        let mut copy = snapshot;
        copy.extend(changes);

        let of = |kind: &str| -> BTreeSet<String> {
            copy.keys()
                .filter(|(k, _)| k == kind)
                .map(|(_, id)| id.clone())
                .collect()
        };
        // Each kind the principal lists, as its list has it.
        let lists = query_fields(&app, token).await;
        for (kind, change_type, list) in LISTS {
            if kinds.contains(&kind) && lists.contains(list) {
                assert_eq!(
                    of(change_type),
                    list_ids(&app, token, list).await,
                    "{change_type} of {kinds:?}"
                );
            }
        }
        seeded_cases += of("CASE").len();
        // Every person as the list shows them now.
        let persons = app
            .all_pages(
                token,
                "query($after: String) { persons(first: 100, after: $after) {
                   edges { node { id name version } } pageInfo { hasNextPage endCursor } } }",
                "persons",
                json!({}),
            )
            .await;
        for person in persons {
            let id = person["id"].as_str().unwrap().to_owned();
            assert_eq!(copy[&("PERSON".to_owned(), id)], person);
        }
    }
    // The seeded outbreak never passed through the change log, and it is in the copies.
    assert!(seeded_cases > 0);
}

#[tokio::test]
async fn a_cursor_older_than_the_log_keeps_is_told_to_take_a_new_snapshot() {
    let _settling = crate::helpers::LONG_TRANSACTIONS.read().await;
    let app = spawn_with(Options::default()).await;
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let kinds: &[&str] = &["person"];
    let (_, old_cursor) = read_snapshot(&app, &community, kinds).await;
    fixtures::register(&app, 701, "王建华", GRID).await;
    settled(&app).await;
    let removed =
        lianfang::events::retention::prune(&app.state.db, Utc::now() + Duration::minutes(1))
            .await
            .expect("prune");
    assert!(removed > 0);

    let feed = feed_query(kinds);
    let response = app
        .gql(&community, &feed, json!({ "after": old_cursor }))
        .await;
    assert_eq!(
        error_code(&response),
        Some("SNAPSHOT_REQUIRED"),
        "{response}"
    );
    let response = app.gql(&community, &feed, json!({ "after": null })).await;
    assert_eq!(error_code(&response), Some("SNAPSHOT_REQUIRED"));

    // A new snapshot has the person, and its cursor is followed from then on.
    let (snapshot, cursor) = read_snapshot(&app, &community, kinds).await;
    assert!(snapshot.values().any(|p| p["name"] == "王建华"));
    let (changes, _) = follow(&app, &community, kinds, cursor.clone()).await;
    assert!(changes.is_empty());
    fixtures::register(&app, 702, "赵丽娟", GRID).await;
    settled(&app).await;
    let (changes, _) = follow(&app, &community, kinds, cursor).await;
    assert_eq!(changes.len(), 1);
}
