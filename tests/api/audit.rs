//! The audit trail holds every personal record returned and every write.

use std::collections::{BTreeSet, HashMap};

use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, COMMUNITY, GRID},
    helpers::{assert_ok, error_code, spawn_app, TestApp},
};

/// (operation, entity id) pairs the auditor can see, for events of `subject`: an event
/// naming several records gives one pair per record.
async fn trail(app: &TestApp, subject: &str) -> Vec<(String, String)> {
    let auditor = app.token(Agency::Health, Role::Auditor, "DEMO");
    let mut events = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = app
            .gql(
                &auditor,
                "query($s: String!, $after: String) { auditEvents(first: 100, after: $after, filter: { subject: $s }) {
                    edges { node { operation entityType entityId entityIds subject agency role requestId } }
                    pageInfo { hasNextPage endCursor } } }",
                json!({ "s": subject, "after": after }),
            )
            .await;
        assert_ok(&response);
        let page = &response["data"]["auditEvents"];
        for edge in page["edges"].as_array().unwrap() {
            let node = &edge["node"];
            assert_eq!(node["entityType"], "Person");
            assert_eq!(node["agency"], "COMMUNITY");
            assert_eq!(node["role"], "OPERATOR");
            let ids: Vec<&str> = node["entityIds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap())
                .collect();
            // One record in entityId, several only in entityIds.
            match ids.as_slice() {
                [one] => assert_eq!(node["entityId"], *one),
                _ => assert_eq!(node["entityId"], Value::Null),
            }
            for id in ids {
                events.push((
                    node["operation"].as_str().unwrap().to_owned(),
                    id.to_owned(),
                ));
            }
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return events;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn every_record_returned_and_every_write_is_on_the_audit_trail() {
    let app = spawn_app().await;
    let subject = "grid-worker-audit";
    let token = app.token_for(Agency::Community, Role::Operator, COMMUNITY, subject);
    let mut returned: BTreeSet<String> = BTreeSet::new();

    // A scripted session: two pages of the list, one look-up, a registration, an update.
    let list = app
        .gql(
            &token,
            "{ persons(first: 5) { edges { node { id name } } pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    assert_ok(&list);
    let ids = |r: &Value| -> Vec<String> {
        r["data"]["persons"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    returned.extend(ids(&list));
    let next = app
        .gql(
            &token,
            "query($a: String) { persons(first: 5, after: $a) { edges { node { id } } } }",
            json!({ "a": list["data"]["persons"]["pageInfo"]["endCursor"] }),
        )
        .await;
    returned.extend(ids(&next));
    let one = ids(&list)[0].clone();
    let single = app
        .gql(
            &token,
            "query($id: ID!) { person(id: $id) { phone } }",
            json!({ "id": one }),
        )
        .await;
    assert_ok(&single);
    let registered = app
        .gql(
            &token,
            fixtures::REGISTER,
            json!({ "input": { "documentType": "RESIDENT_ID", "documentNumber": fixtures::resident_id(81), "name": "冯军", "residence": GRID }}),
        )
        .await;
    assert_ok(&registered);
    let new_id = registered["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let updated = app
        .gql(
            &token,
            "mutation($id: ID!) { updatePerson(id: $id, expectedVersion: 1, input: { phone: \"13700000001\" }) { id } }",
            json!({ "id": new_id }),
        )
        .await;
    assert_ok(&updated);
    // A failed write (stale version) writes no event.
    let stale = app
        .gql(
            &token,
            "mutation($id: ID!) { updatePerson(id: $id, expectedVersion: 1, input: { phone: \"13700000002\" }) { id } }",
            json!({ "id": new_id }),
        )
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"));

    let events = trail(&app, subject).await;
    let mut by_operation: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (operation, id) in &events {
        by_operation
            .entry(operation.clone())
            .or_default()
            .insert(id.clone());
    }
    let reads: BTreeSet<String> = by_operation
        .iter()
        .filter(|(op, _)| op.starts_with("query"))
        .flat_map(|(_, ids)| ids.iter().cloned())
        .collect();
    for id in &returned {
        assert!(
            reads.contains(id),
            "person {id} was returned but not audited: {events:?}"
        );
    }
    assert!(reads.contains(&one));
    assert_eq!(
        by_operation["mutation registerPerson"],
        BTreeSet::from([new_id.clone()])
    );
    assert_eq!(
        by_operation["mutation updatePerson"],
        BTreeSet::from([new_id])
    );
    assert_eq!(
        events
            .iter()
            .filter(|(op, _)| op == "mutation updatePerson")
            .count(),
        1,
        "the refused update left no event"
    );
}

#[tokio::test]
async fn a_request_files_one_event_per_kind_and_each_record_finds_it() {
    let app = spawn_app().await;
    let subject = "grid-worker-grouped";
    let token = app.token_for(Agency::Community, Role::Operator, COMMUNITY, subject);
    let ids = persons_read(&app, &token, 20).await;
    assert!(ids.len() >= 3, "{ids:?}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE subject = '{subject}'"
        ))
        .await,
        1,
        "the persons read in one request are one event"
    );

    // Each of them finds that event by its own id, through the index of either backend.
    let auditor = app.token(Agency::Health, Role::Auditor, "DEMO");
    for id in &ids {
        let found = app
            .gql(
                &auditor,
                "query($id: ID!) { auditEvents(first: 10, filter: { entityType: \"Person\", entityId: $id }) {
                    edges { node { subject entityId entityIds } } } }",
                json!({ "id": id }),
            )
            .await;
        assert_ok(&found);
        let events = found["data"]["auditEvents"]["edges"].as_array().unwrap();
        let mine: Vec<&Value> = events
            .iter()
            .map(|e| &e["node"])
            .filter(|n| n["subject"] == subject)
            .collect();
        assert_eq!(mine.len(), 1, "{id}: {events:?}");
        assert_eq!(mine[0]["entityId"], Value::Null);
        let named: BTreeSet<&str> = mine[0]["entityIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(named, ids.iter().map(String::as_str).collect());
    }
    // A person the request did not read does not find it.
    let other = app
        .gql(
            &auditor,
            "query($id: ID!) { auditEvents(first: 10, filter: { entityId: $id, subject: \"grid-worker-grouped\" }) { edges { node { id } } } }",
            json!({ "id": "999999" }),
        )
        .await;
    assert_eq!(other["data"]["auditEvents"]["edges"], json!([]));
}

#[tokio::test]
async fn auditors_see_only_events_of_their_jurisdiction() {
    let app = spawn_app().await;
    let inside = app.token_for(
        Agency::Community,
        Role::Operator,
        COMMUNITY,
        "worker-inside",
    );
    let outside = app.token_for(
        Agency::Community,
        Role::Operator,
        "DEMO-02-01-01",
        "worker-outside",
    );
    for token in [&inside, &outside] {
        assert_ok(
            &app.gql(
                token,
                "{ persons(first: 3) { edges { node { id } } } }",
                json!({}),
            )
            .await,
        );
    }
    let auditor = app.token(Agency::Community, Role::Auditor, "DEMO-01");
    let response = app
        .gql(
            &auditor,
            "{ auditEvents(first: 100) { edges { node { subject actorOrgUnit { code } } } } }",
            json!({}),
        )
        .await;
    assert_ok(&response);
    let subjects: BTreeSet<&str> = response["data"]["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["subject"].as_str().unwrap())
        .collect();
    assert!(subjects.contains("worker-inside"), "{response}");
    assert!(!subjects.contains("worker-outside"), "{response}");
}

#[tokio::test]
async fn the_audit_trail_cannot_be_rewritten() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    assert_ok(
        &app.gql(
            &token,
            "{ persons(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await,
    );
    use sea_orm::ConnectionTrait;
    let update = app
        .state
        .db
        .execute_unprepared("UPDATE audit_event SET subject = 'someone-else'")
        .await;
    assert!(update.is_err(), "an audit event was changed");
    let delete = app
        .state
        .db
        .execute_unprepared("DELETE FROM audit_event")
        .await;
    assert!(delete.is_err(), "an audit event was deleted");
    assert!(app.count("SELECT COUNT(*) FROM audit_event").await > 0);
}

/// On PostgreSQL the index of the records an event names is written in bulk: today's
/// partition's GIN index keeps a pending list, an insert appends to it, and the server's own
/// task merges it into the index within a second or two. Each record finds its event, merged
/// or not.
#[tokio::test]
async fn the_audit_index_is_written_in_bulk_and_the_server_merges_it() {
    let app = spawn_app().await;
    if app.state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let today = format!("audit_event_p{}", chrono::Utc::now().format("%Y%m%d"));
    let gin = format!(
        "SELECT x.indexrelid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid \
         JOIN pg_am a ON a.oid = c.relam WHERE x.indrelid = '{today}'::regclass AND a.amname = 'gin'"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM pg_class WHERE oid IN ({gin}) \
             AND reloptions @> ARRAY['fastupdate=on']"
        ))
        .await,
        1,
        "today's GIN index keeps a pending list"
    );
    let subject = "grid-worker-bulk";
    let token = app.token_for(Agency::Community, Role::Operator, COMMUNITY, subject);
    let ids = persons_read(&app, &token, 5).await;
    assert!(ids.len() >= 2, "{ids:?}");
    let auditor = app.token(Agency::Health, Role::Auditor, "DEMO");
    let found = |id: String| {
        let (app, auditor) = (&app, &auditor);
        async move {
            let response = app
                .gql(
                    auditor,
                    "query($id: ID!) { auditEvents(first: 10, filter: { entityType: \"Person\", entityId: $id, subject: \"grid-worker-bulk\" }) { edges { node { id } } } }",
                    json!({ "id": id }),
                )
                .await;
            assert_ok(&response);
            response["data"]["auditEvents"]["edges"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    for id in &ids {
        assert_eq!(found(id.clone()).await, 1, "{id}, merged or not");
    }
    // The server's task empties the pending list, without anyone asking.
    app.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        .await;
    let pending = format!(
        "SELECT n_pending_tuples FROM gin_metapage_info(get_raw_page(({gin})::regclass::text, 0))"
    );
    let mut left = app.count(&pending).await;
    for _ in 0..50 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        left = app.count(&pending).await;
    }
    assert_eq!(left, 0, "the pending list is merged within 5 s");
    for id in &ids {
        assert_eq!(found(id.clone()).await, 1, "{id}, after the merge");
    }
}

/// The ids of the first `first` persons a request of `token` reads.
async fn persons_read(app: &TestApp, token: &str, first: usize) -> Vec<String> {
    let page = app
        .gql(
            token,
            "query($n: Int) { persons(first: $n) { edges { node { id } } } }",
            json!({ "n": first }),
        )
        .await;
    assert_ok(&page);
    page["data"]["persons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}
