//! The change feed: every record created or changed in the caller's reach, in commit order,
//! each once at its latest change; scoped and masked as its own query; no gaps and no
//! repeats while writers commit concurrently.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, Known, COMMUNITY, GRID},
    helpers::{assert_ok, error_code, is_invisible, spawn_app, TestApp},
};

const OTHER_DISTRICT_GRID: &str = "DEMO-02-01-01-01";

/// What every reader may ask for: the kinds and the persons behind each record.
const FEED: &str = r#"
query($after: String, $first: Int, $types: [ChangeType!]) {
  changes(after: $after, first: $first, types: $types) {
    edges { cursor node { type operation at
      person { id name pseudonymized version }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// The same, with the records an operator of health or community reads.
const HEALTH_FEED: &str = r#"
query($after: String, $first: Int) {
  changes(after: $after, first: $first) {
    edges { cursor node { type
      person { id name documentNumber }
      healthCheck { id temperature person { id name pseudonymized } }
      alert { kind person { id name } }
      case { id classification person { id name } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

async fn feed(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app.gql(token, query, variables).await;
    assert_ok(&response);
    response["data"]["changes"].clone()
}

/// Every node of the feed from the start, page by page.
async fn whole_feed(app: &TestApp, token: &str, query: &str, first: i64) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = feed(app, token, query, json!({ "after": after, "first": first })).await;
        for edge in page["edges"].as_array().unwrap() {
            nodes.push(edge["node"].clone());
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Waits until every change committed so far is final, i.e. no transaction still open on the
/// database server (another test's, say) holds it back from readers. On SQLite it always is.
pub async fn settled(app: &TestApp) {
    if app.postgres().is_none() {
        return;
    }
    for _ in 0..100 {
        let waiting = app
            .count(
                "SELECT COUNT(*) FROM change_log \
                 WHERE tx >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
            )
            .await;
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("changes stayed held back behind an open transaction for 5 s");
}

async fn check(app: &TestApp, token: &str, person: &str, key: &str, temperature: f64) {
    let response = app
        .gql(
            token,
            "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { status } }",
            json!({ "c": [{ "idempotencyKey": key, "person": person,
                "measuredAt": Utc::now() - Duration::minutes(1), "temperature": temperature }] }),
        )
        .await;
    assert_ok(&response);
    assert_eq!(
        response["data"]["recordHealthChecks"][0]["status"],
        "RECORDED"
    );
}

/// Two residents, one in district 01 and one in district 02, each with a fever check (and
/// its alert); the second also a case.
async fn two_districts(app: &TestApp) -> (Known, Known) {
    let inside = fixtures::register(app, 501, "林晓雯", GRID).await;
    let outside = fixtures::register(app, 502, "高振国", OTHER_DISTRICT_GRID).await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    check(app, &health, &inside.id, "feed-in-1", 38.4).await;
    check(app, &health, &outside.id, "feed-out-1", 38.9).await;
    let response = app
        .gql(
            &health,
            "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED }) { id } }",
            json!({ "p": outside.id }),
        )
        .await;
    assert_ok(&response);
    (inside, outside)
}

fn types(nodes: &[Value]) -> BTreeSet<String> {
    nodes
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_reader_gets_only_the_changes_in_its_reach_masked_as_its_queries_mask_them() {
    let app = spawn_app().await;
    let (inside, outside) = two_districts(&app).await;
    settled(&app).await;

    // The community of the first resident: their record (number masked), their check and
    // its alert; nothing of the other district, not even a pseudonymized trace.
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let nodes = whole_feed(&app, &community, HEALTH_FEED, 50).await;
    assert_eq!(
        types(&nodes),
        BTreeSet::from(["PERSON".into(), "HEALTH_CHECK".into(), "ALERT".into()])
    );
    let text = serde_json::to_string(&nodes).unwrap();
    assert!(!text.contains(&format!("\"{}\"", outside.id)), "{text}");
    assert!(
        !text.contains(&outside.name) && !text.contains("高*"),
        "{text}"
    );
    let person = nodes.iter().find(|n| n["type"] == "PERSON").unwrap();
    assert_eq!(person["person"]["name"], inside.name);
    assert_eq!(person["person"]["documentNumber"], inside.masked_document());
    let checked = nodes.iter().find(|n| n["type"] == "HEALTH_CHECK").unwrap();
    assert_eq!(checked["healthCheck"]["temperature"], 38.4);
    assert_eq!(checked["healthCheck"]["person"]["name"], inside.name);
    assert_eq!(checked["healthCheck"]["person"]["pseudonymized"], false);

    // Health in the other district: the mirror image, with numbers in full and the case.
    let health_b = app.token(Agency::Health, Role::Operator, "DEMO-02");
    let nodes = whole_feed(&app, &health_b, HEALTH_FEED, 50).await;
    assert_eq!(
        types(&nodes),
        BTreeSet::from([
            "PERSON".into(),
            "HEALTH_CHECK".into(),
            "ALERT".into(),
            "CASE".into()
        ])
    );
    let text = serde_json::to_string(&nodes).unwrap();
    assert!(!text.contains(&inside.name) && !text.contains(&inside.document));
    let person = nodes.iter().find(|n| n["type"] == "PERSON").unwrap();
    assert_eq!(person["person"]["documentNumber"], outside.document);

    // Police of the first district: the person, not the check nor the fever alert (health
    // data); the field does not exist for them, and asking for the kind is refused.
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let nodes = whole_feed(&app, &police, FEED, 50).await;
    assert_eq!(types(&nodes), BTreeSet::from(["PERSON".into()]));
    assert_eq!(nodes[0]["person"]["id"], json!(inside.id));
    assert!(is_invisible(
        &app.gql(&police, HEALTH_FEED, json!({})).await
    ));
    let refused = app
        .gql(&police, FEED, json!({ "types": ["HEALTH_CHECK"] }))
        .await;
    assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");

    // Civil affairs reach only vulnerable or isolated residents: neither is.
    let civil = app.token(Agency::CivilAffairs, Role::Operator, "DEMO-01");
    assert!(whole_feed(&app, &civil, FEED, 50).await.is_empty());

    // An analyst of the city sees both persons, pseudonymized only.
    let analyst = app.token(Agency::Health, Role::Analyst, "DEMO");
    let nodes = whole_feed(&app, &analyst, FEED, 50).await;
    let persons: Vec<&Value> = nodes.iter().filter(|n| n["type"] == "PERSON").collect();
    assert_eq!(persons.len(), 2);
    for p in persons {
        assert_eq!(p["person"]["pseudonymized"], true, "{p}");
        assert!(p["person"]["name"].as_str().unwrap().ends_with('*'));
    }
    assert!(is_invisible(
        &app.gql(
            &analyst,
            "{ changes { edges { node { person { phone } } } } }",
            json!({})
        )
        .await
    ));

    // Every record the community was shown is on the audit trail as its read.
    let reads = app
        .audited_reads(
            &format!("test-COMMUNITY-OPERATOR-{COMMUNITY}"),
            "Person",
            &inside.id,
        )
        .await;
    assert!(reads >= 1, "the feed's reads are audited");
}

#[tokio::test]
async fn a_reader_paging_while_writers_commit_misses_nothing_and_a_full_read_repeats_nothing() {
    let app = spawn_app().await;
    let reader = app.token(Agency::Community, Role::Operator, COMMUNITY);
    const WRITERS: u16 = 4;
    const EACH: u16 = 8;

    // Writers: each registers residents, checks each one, and renames every other one.
    let writers = (0..WRITERS).map(|w| {
        let app = &app;
        async move {
            let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
            let mut last_names = BTreeMap::new();
            for i in 0..EACH {
                let n = 600 + w * 100 + i;
                let person = fixtures::register(app, n, &format!("测试{w}号{i}"), GRID).await;
                check(app, &community, &person.id, &format!("conc-{n}"), 36.6).await;
                let mut name = person.name.clone();
                if i % 2 == 0 {
                    name = format!("改名{w}号{i}");
                    let version = fixtures::version_of(app, &person.id).await;
                    let response = app
                        .gql(
                            &community,
                            "mutation($id: ID!, $v: Int!, $n: String!) { updatePerson(id: $id, expectedVersion: $v, input: { name: $n }) { version } }",
                            json!({ "id": person.id, "v": version, "n": name }),
                        )
                        .await;
                    assert_ok(&response);
                }
                last_names.insert(person.id.clone(), name);
            }
            last_names
        }
    });

    // The reader polls small pages from its cursor until the writers are done and it has
    // drained the feed.
    let done = std::sync::atomic::AtomicBool::new(false);
    let read = async {
        let mut cursor = Value::Null;
        let mut seen: Vec<(String, Value)> = Vec::new();
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            if finished {
                settled(&app).await;
            }
            let page = feed(&app, &reader, FEED, json!({ "after": cursor, "first": 7 })).await;
            for edge in page["edges"].as_array().unwrap() {
                seen.push((
                    edge["cursor"].as_str().unwrap().to_owned(),
                    edge["node"].clone(),
                ));
            }
            if !page["pageInfo"]["endCursor"].is_null() {
                cursor = page["pageInfo"]["endCursor"].clone();
            }
            if finished && !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(15)).await;
        }
    };
    let write = async {
        let names = futures_util::future::join_all(writers).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        names
    };
    let (names, seen) = tokio::join!(write, read);
    let final_names: BTreeMap<String, String> = names.into_iter().flatten().collect();
    assert_eq!(final_names.len(), usize::from(WRITERS * EACH));

    // No position twice, and positions only move forward.
    let positions: Vec<&String> = seen.iter().map(|(c, _)| c).collect();
    let distinct: BTreeSet<&String> = positions.iter().copied().collect();
    assert_eq!(distinct.len(), positions.len(), "a position came twice");
    // Every resident reached the reader, and the last it heard of each is its final state.
    let mut last_seen: BTreeMap<String, String> = BTreeMap::new();
    let mut checks = 0;
    for (_, node) in &seen {
        match node["type"].as_str().unwrap() {
            "PERSON" => {
                last_seen.insert(
                    node["person"]["id"].as_str().unwrap().to_owned(),
                    node["person"]["name"].as_str().unwrap().to_owned(),
                );
            }
            "HEALTH_CHECK" => checks += 1,
            _ => {}
        }
    }
    assert_eq!(last_seen, final_names, "a gap: the reader missed a change");
    assert_eq!(checks, usize::from(WRITERS * EACH));

    // Read again from the start, the feed holds each record once, as it is now.
    settled(&app).await;
    let all = whole_feed(&app, &reader, FEED, 9).await;
    let persons: Vec<&Value> = all.iter().filter(|n| n["type"] == "PERSON").collect();
    assert_eq!(persons.len(), final_names.len(), "a record came twice");
    for p in persons {
        let id = p["person"]["id"].as_str().unwrap();
        assert_eq!(
            p["person"]["name"].as_str(),
            final_names.get(id).map(String::as_str)
        );
    }
}

#[tokio::test]
async fn a_page_of_changes_costs_the_same_statements_at_any_size() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    for i in 0..12u16 {
        let person = fixtures::register(&app, 700 + i, &format!("计数{i}"), GRID).await;
        check(&app, &health, &person.id, &format!("count-{i}"), 38.0).await;
    }
    settled(&app).await;
    let mut costs = Vec::new();
    for first in [3, 30] {
        let before = app.statements();
        let page = feed(&app, &health, HEALTH_FEED, json!({ "first": first })).await;
        costs.push(app.statements() - before);
        assert_eq!(
            page["edges"].as_array().unwrap().len(),
            usize::try_from(first).unwrap()
        );
    }
    assert_eq!(
        costs[0], costs[1],
        "statements grew with the page: {costs:?}"
    );
}

#[tokio::test]
async fn a_cursor_of_another_list_or_too_large_a_page_is_refused() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let other = lianfang::domain::values::Cursor::Id(3).encode("cases");
    let response = app.gql(&health, FEED, json!({ "after": other })).await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    let response = app.gql(&health, FEED, json!({ "first": 101 })).await;
    assert_eq!(error_code(&response), Some("LIMIT_EXCEEDED"), "{response}");
}

/// The feed's promise rests on reading in commit order: while a writer's transaction is
/// open, nothing committed after it is shown, so no reader can move past a change that has
/// yet to appear. A transaction held open by hand shows it deterministically.
#[tokio::test]
async fn a_change_committed_late_is_not_skipped_by_a_reader_that_read_meanwhile() {
    use sea_orm::TransactionTrait;
    let app = spawn_app().await;
    let reader = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let resident = app
        .count(&format!(
            "SELECT MIN(p.id) FROM person p, org_unit o WHERE o.code = '{COMMUNITY}' \
             AND p.residence_path LIKE o.path || '%'"
        ))
        .await;

    // A slow writer appends and holds its transaction open...
    let slow = app.state.db.begin().await.unwrap();
    lianfang::events::change_log::append(&slow, "Person", &[resident], "mutation slowWrite")
        .await
        .unwrap();
    // ...while another writer commits a record, and the reader reads.
    let late_reader = async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let page = feed(&app, &reader, FEED, json!({})).await;
        slow.commit().await.unwrap();
        page
    };
    let (other, early) = tokio::join!(fixtures::register(&app, 801, "快写入", GRID), late_reader);
    let early_ids: Vec<&Value> = early["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["person"]["id"])
        .collect();
    assert!(
        !early_ids.contains(&&json!(other.id)),
        "a change committed after an open transaction was shown before it: {early_ids:?}"
    );
    let cursor = early["pageInfo"]["endCursor"].clone();
    settled(&app).await;
    let later = whole_feed_after(&app, &reader, cursor).await;
    let seen: BTreeSet<String> = early["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .chain(later)
        .map(|n| n["person"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        seen.contains(&resident.to_string()),
        "the slow writer's change was skipped: {seen:?}"
    );
    assert!(seen.contains(&other.id), "{seen:?}");
}

async fn whole_feed_after(app: &TestApp, token: &str, mut after: Value) -> Vec<Value> {
    let mut nodes = Vec::new();
    loop {
        let page = feed(app, token, FEED, json!({ "after": after })).await;
        for edge in page["edges"].as_array().unwrap() {
            nodes.push(edge["node"].clone());
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}
