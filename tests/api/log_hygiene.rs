//! No personal data in the server's log: a scripted session against the real binary at
//! log level `debug`, then every name, document number, phone and address it submitted is
//! searched for in what the server wrote.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};

use crate::{binary::Binary, fixtures::resident_id, helpers::TestDatabase};

fn token(agency: &str, org: &str) -> String {
    Binary::token(agency, org, "log-tester")
}

#[tokio::test]
async fn names_documents_phones_and_addresses_never_reach_the_log() {
    let database = TestDatabase::create().await;
    let mut server = Binary::start(&database.url, &[("RUST_LOG", "trace")]);
    let client = reqwest::Client::new();
    let health = token("HEALTH", "DEMO");
    let community = token("COMMUNITY", "DEMO-01-01-01");
    let gql = |token: String, query: &str, variables: Value| {
        let request = client
            .post(format!("{}/graphql", server.base))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };

    // Values that appear nowhere else: if they are in the log, this session put them there.
    let secrets = [
        ("name", "欧阳日志甲"),
        ("name", "司马日志乙"),
        ("document", &*resident_id(901)),
        ("document", &*resident_id(902)),
        ("phone", "13987650001"),
        ("phone", "13987650002"),
        ("address", "云州市日志测试路88号"),
        ("address", "云州市隐私巷66号"),
    ]
    .map(|(kind, value)| (kind, value.to_owned()));
    let register = "mutation($i: PersonInput!) { registerPerson(input: $i) { id name phone address documentNumber } }";
    let first = gql(health.clone(), register, json!({ "i": { "documentType": "RESIDENT_ID", "documentNumber": secrets[2].1,
        "name": secrets[0].1, "phone": secrets[4].1, "address": secrets[6].1, "residence": "DEMO-01-01-01-01" } })).await;
    let id = first["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same number again (an upsert), a look-up, a list filtered by name and phone.
    gql(
        community.clone(),
        register,
        json!({ "i": { "documentType": "RESIDENT_ID", "documentNumber": secrets[2].1,
        "name": secrets[0].1, "residence": "DEMO-01-01-01-01" } }),
    )
    .await;
    gql(
        health.clone(),
        "query($n: String!) { personByDocument(documentType: RESIDENT_ID, number: $n) { name } }",
        json!({ "n": secrets[2].1 }),
    )
    .await;
    gql(community.clone(), "query($p: String!, $n: String!) { a: persons(filter: { phone: $p }) { totalCount } b: persons(filter: { namePrefix: $n }) { totalCount } }",
        json!({ "p": secrets[4].1, "n": secrets[0].1 })).await;
    // Errors carrying personal values: a mismatched name, a bad phone, a stale version.
    gql(
        token("COMMUNITY", "DEMO-02-01-01"),
        register,
        json!({ "i": { "documentType": "RESIDENT_ID", "documentNumber": secrets[2].1,
        "name": secrets[1].1, "residence": "DEMO-02-01-01-01" } }),
    )
    .await;
    gql(health.clone(), "mutation($id: ID!, $p: String!) { updatePerson(id: $id, expectedVersion: 99, input: { phone: $p }) { id } }",
        json!({ "id": id, "p": secrets[5].1 })).await;
    gql(health.clone(), "mutation($id: ID!, $a: String!) { updatePerson(id: $id, expectedVersion: 2, input: { address: $a, phone: \"12345\" }) { id } }",
        json!({ "id": id, "a": secrets[7].1 })).await;
    // The workflow: a case, a contact registered inline, checks.
    let case = gql(health.clone(), "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }", json!({ "p": id })).await;
    let case_id = case["data"]["reportCase"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    gql(health.clone(), "mutation($c: ID!, $d: NaiveDate!, $r: PersonInput!) { recordContact(input: { sourceCase: $c, relation: WORK, lastExposureDate: $d, person: { register: $r } }) { id } }",
        json!({ "c": case_id, "d": Utc::now().date_naive(), "r": { "documentType": "RESIDENT_ID", "documentNumber": secrets[3].1,
            "name": secrets[1].1, "phone": secrets[5].1, "address": secrets[7].1, "residence": "DEMO-02-01-01-01" } })).await;
    gql(community.clone(), "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { status } }",
        json!({ "c": [{ "idempotencyKey": "log-1", "person": id, "measuredAt": Utc::now(), "temperature": 38.5 }] })).await;
    // A garbled query with personal values in it.
    gql(
        health.clone(),
        &format!(
            "{{ persons(filter: {{ namePrefix: \"{}\" }} {{ oops }}",
            secrets[0].1
        ),
        json!({}),
    )
    .await;

    server.signal("KILL");
    server
        .wait(Duration::from_secs(10))
        .expect("the server stops");
    let log = server.log();
    // Trace is a superset of debug: everything up to debug, and the SQL statements too.
    assert!(
        log.contains("TRACE"),
        "the log was captured: {} bytes",
        log.len()
    );
    eprintln!(
        "scanned {} bytes ({} lines) of trace-level log",
        log.len(),
        log.lines().count()
    );
    for (kind, value) in &secrets {
        assert!(
            !log.contains(value.as_str()),
            "the {kind} {value} is in the log"
        );
    }
    // Parts long enough to identify: 8 digits of a number, a name without its first character.
    for (kind, value) in &secrets {
        if *kind == "document" || *kind == "phone" {
            assert!(
                !log.contains(&value[value.len() - 8..]),
                "part of the {kind} {value} is in the log"
            );
        }
    }
}
