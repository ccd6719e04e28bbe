//! One record per person: likely duplicates are listed, a merge keeps every linked record
//! (none lost, none doubled), refusals write nothing, and the reconciliation counts are
//! exact on a constructed data set.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, GRID},
    helpers::{assert_ok, error_code, is_invisible, spawn_app, spawn_with, Options, TestApp},
};

const PAIRS: &str = "query($u: String) { possibleDuplicates(orgUnit: $u, first: 50) {
    edges { node { first { id } second { id } reasons } } } }";
const MERGE: &str = "mutation($k: ID!, $m: ID!, $vk: Int!, $vm: Int!) {
    mergePersons(keepId: $k, mergeId: $m, expectedVersions: { keep: $vk, merge: $vm }) {
    id documentNumber phone vulnerabilities version provenance { agency reportCount } } }";

/// Tables holding a person's records, as (table, person column).
const LINKED: [&str; 10] = [
    "case_record",
    "contact",
    "quarantine",
    "health_check",
    "lab_test",
    "task",
    "checkpoint_entry",
    "alert",
    "access_grant",
    "person_provenance",
];

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let r = app.gql(token, query, variables).await;
    assert_ok(&r);
    r["data"].clone()
}

async fn linked_counts(app: &TestApp, person: &str) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in LINKED {
        counts.push(
            app.count(&format!(
                "SELECT COUNT(*) FROM {table} WHERE person_id = {person}"
            ))
            .await,
        );
    }
    counts
}

async fn table_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in LINKED.iter().chain(&["person", "audit_event"]) {
        counts.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    counts
}

/// A record registered by the community without a document, same name and phone as `known`.
async fn undocumented_twin(app: &TestApp, known: &fixtures::Known) -> String {
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let data = ok(
        app,
        &community,
        fixtures::REGISTER,
        json!({ "input": { "name": known.name, "phone": known.phone, "residence": GRID } }),
    )
    .await;
    data["registerPerson"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_merge_moves_every_linked_record_and_loses_or_doubles_none() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let keep = fixtures::register(&app, 971, "重复登记", GRID).await;
    let twin = undocumented_twin(&app, &keep).await;

    // The pair is listed, with its reason.
    let pairs = ok(&app, &community, PAIRS, json!({ "u": GRID })).await;
    let listed: Vec<&Value> = pairs["possibleDuplicates"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .filter(|n| n["first"]["id"] == keep.id.as_str())
        .collect();
    assert_eq!(listed.len(), 1, "{pairs}");
    assert_eq!(listed[0]["second"]["id"], twin.as_str());
    assert_eq!(listed[0]["reasons"], json!(["SAME_NAME_AND_PHONE"]));

    // Records on both: a case elsewhere traces both as contacts (the same human traced
    // twice); the twin also has a case, an observation, checks, a test, a task, a checkpoint
    // entry and a grant on it; the kept record a check of its own.
    let index = fixtures::register(&app, 972, "源头病例", "DEMO-01-01-01-02").await;
    let case = ok(&app, &health, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }", json!({ "p": index.id })).await;
    let case_id = case["reportCase"]["id"].as_str().unwrap().to_owned();
    let contact = "mutation($c: ID!, $p: ID!, $d: NaiveDate!) { recordContact(input: { sourceCase: $c, person: { id: $p }, relation: WORK, lastExposureDate: $d }) { id } }";
    let today = Utc::now().date_naive();
    ok(
        &app,
        &health,
        contact,
        json!({ "c": case_id, "p": keep.id, "d": today - Duration::days(3) }),
    )
    .await;
    ok(
        &app,
        &health,
        contact,
        json!({ "c": case_id, "p": twin, "d": today - Duration::days(1) }),
    )
    .await;
    ok(&app, &community, "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT }) { id } }", json!({ "p": twin })).await;
    let checks = "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { status } }";
    let now = Utc::now();
    ok(&app, &community, checks, json!({ "c": [
        { "idempotencyKey": "t-1", "person": twin, "measuredAt": now - Duration::hours(2), "temperature": 36.5 },
        { "idempotencyKey": "t-2", "person": twin, "measuredAt": now - Duration::hours(1), "temperature": 38.0 },
        { "idempotencyKey": "k-1", "person": keep.id, "measuredAt": now - Duration::hours(1), "temperature": 36.6 },
    ] })).await;
    ok(&app, &health, &format!("mutation($p: ID!) {{ recordLabTest(input: {{ person: $p, sampleDate: \"{today}\", sampleType: NASOPHARYNGEAL_SWAB, result: NEGATIVE, laboratory: \"云州市疾控中心实验室\" }}) {{ labTest {{ id }} }} }}"), json!({ "p": twin })).await;
    ok(&app, &community, "mutation($p: ID!) { createTask(input: { kind: VERIFY_IDENTITY, person: $p, toAgency: POLICE, toOrgUnit: \"DEMO-01\" }) { id } }", json!({ "p": twin })).await;
    ok(&app, &police, "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) { status } }", json!({ "e": [{
        "idempotencyKey": "cp-1", "checkpointName": "云州北站", "checkpoint": "DEMO-01", "direction": "INBOUND",
        "passedAt": now - Duration::hours(3), "person": twin }] })).await;
    ok(&app, &health, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED }) { id } }", json!({ "p": twin })).await;
    let outside_police = app.token(Agency::Police, Role::Operator, "DEMO-02");
    ok(
        &app,
        &outside_police,
        "mutation($p: ID!) { requestAccess(person: $p, reason: \"身份核查\") { grantId } }",
        json!({ "p": twin }),
    )
    .await;
    let version = fixtures::version_of(&app, &twin).await;
    ok(&app, &community, "mutation($id: ID!, $v: Int!) { setVulnerabilities(id: $id, expectedVersion: $v, flags: [CHRONIC_ILLNESS]) { id } }", json!({ "id": twin, "v": version })).await;

    let keep_before = linked_counts(&app, &keep.id).await;
    let twin_before = linked_counts(&app, &twin).await;
    assert!(twin_before.iter().all(|n| *n > 0), "{twin_before:?}");
    let v_keep = fixtures::version_of(&app, &keep.id).await;
    let v_twin = fixtures::version_of(&app, &twin).await;
    let totals_before = table_counts(&app).await;
    let merged = ok(
        &app,
        &community,
        MERGE,
        json!({ "k": keep.id, "m": twin, "vk": v_keep, "vm": v_twin }),
    )
    .await;
    let kept = &merged["mergePersons"];
    assert_eq!(kept["id"], keep.id.as_str());
    assert_eq!(kept["vulnerabilities"], json!(["CHRONIC_ILLNESS"]));
    assert_eq!(kept["version"], v_keep + 1);

    // Every record of the twin is now the kept person's; the two contacts of one case are
    // one; nothing else was added or removed anywhere.
    let keep_after = linked_counts(&app, &keep.id).await;
    assert_eq!(linked_counts(&app, &twin).await, vec![0; LINKED.len()]);
    for (i, table) in LINKED.iter().enumerate() {
        let expected = match *table {
            "contact" => 1,
            // Provenance is a union by agency: HEALTH, COMMUNITY, POLICE.
            "person_provenance" => 3,
            _ => keep_before[i] + twin_before[i],
        };
        assert_eq!(keep_after[i], expected, "{table}");
    }
    let totals_after = table_counts(&app).await;
    for (i, table) in LINKED.iter().chain(&["person", "audit_event"]).enumerate() {
        let delta = totals_after[i] - totals_before[i];
        let expected = match *table {
            "contact" => -1,
            "person_provenance" => -(keep_before[9] + twin_before[9] - 3),
            // One event naming both persons: the kept and the merged.
            "audit_event" => 1,
            _ => 0,
        };
        assert_eq!(delta, expected, "{table}");
    }
    // The folded contact kept the later exposure; provenance summed the reports.
    let exposure = app
        .count(&format!(
            "SELECT COUNT(*) FROM contact WHERE person_id = {} AND last_exposure_date = '{}'",
            keep.id,
            today - Duration::days(1)
        ))
        .await;
    assert_eq!(exposure, 1);
    let community_reports = kept["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["agency"] == "COMMUNITY")
        .unwrap()["reportCount"]
        .as_i64()
        .unwrap();
    assert!(community_reports >= 1);

    // The merge is on the audit trail with both ids; the twin left every list.
    let auditor = app.token(Agency::Health, Role::Auditor, "DEMO");
    for id in [&keep.id, &twin] {
        let audit = ok(&app, &auditor, "query($id: ID!) { auditEvents(first: 50, filter: { entityType: \"Person\", entityId: $id }) { edges { node { operation reason } } } }", json!({ "id": id })).await;
        let merges: Vec<&Value> = audit["auditEvents"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .filter(|n| n["operation"].as_str().unwrap().contains("mergePersons"))
            .collect();
        assert_eq!(merges.len(), 1, "{audit}");
        let reason = merges[0]["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!("person {twin} merged into {}", keep.id))
                && reason.contains("1 Contact folded"),
            "{reason}"
        );
    }
    let r = app
        .gql(
            &health,
            "query($id: ID!) { person(id: $id) { id } }",
            json!({ "id": twin }),
        )
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"));
    let pairs = ok(&app, &community, PAIRS, json!({ "u": GRID })).await;
    assert!(!pairs.to_string().contains(&format!("\"{twin}\"")));
}

#[tokio::test]
async fn refused_merges_write_nothing() {
    let app = spawn_app().await;
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let a = fixtures::register(&app, 981, "甲某", GRID).await;
    let b = fixtures::register(&app, 982, "甲某", GRID).await;
    let c = undocumented_twin(&app, &a).await;
    let d = undocumented_twin(&app, &a).await;
    let before = table_counts(&app).await;
    let merge = |k: &str, m: &str, vk: i64, vm: i64| json!({ "k": k, "m": m, "vk": vk, "vm": vm });

    // Two document numbers: two people.
    let r = app.gql(&community, MERGE, merge(&a.id, &b.id, 1, 1)).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    assert!(r["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("证件号码"));
    // A stale version.
    let r = app.gql(&community, MERGE, merge(&a.id, &c, 1, 7)).await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "{r}");
    // Itself.
    let r = app.gql(&community, MERGE, merge(&a.id, &a.id, 1, 1)).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    assert_eq!(table_counts(&app).await, before);
    // Both with an open case.
    for p in [&c, &d] {
        ok(&app, &health, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED }) { id } }", json!({ "p": p })).await;
    }
    let before_cases = table_counts(&app).await;
    let r = app.gql(&community, MERGE, merge(&c, &d, 1, 1)).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{r}");
    assert!(r["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("未结病例"));
    // Someone outside the jurisdiction: as if unknown.
    let other = app.token(Agency::Community, Role::Operator, "DEMO-02-01-01");
    let r = app.gql(&other, MERGE, merge(&a.id, &c, 1, 1)).await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    assert_eq!(table_counts(&app).await, before_cases);

    // Civil affairs and the command neither list nor merge; analysts neither.
    for token in [
        app.token(Agency::CivilAffairs, Role::Operator, "DEMO"),
        app.token(Agency::Command, Role::Operator, "DEMO"),
        app.token(Agency::Health, Role::Analyst, "DEMO"),
    ] {
        assert!(is_invisible(&app.gql(&token, PAIRS, json!({})).await));
        assert!(is_invisible(
            &app.gql(&token, MERGE, merge(&a.id, &c, 1, 1)).await
        ));
    }
}

#[tokio::test]
async fn reconciliation_counts_are_exact_on_a_constructed_city() {
    let app = spawn_with(Options {
        residents: Some(0),
        ..Options::default()
    })
    .await;
    let register =
        |agency: Agency, org: &'static str, n: u16, name: &'static str, grid: &'static str| {
            let app = &app;
            async move {
                let token = app.token(agency, Role::Operator, org);
                ok(
                    app,
                    &token,
                    fixtures::REGISTER,
                    json!({ "input": {
                "documentType": "RESIDENT_ID", "documentNumber": fixtures::resident_id(n),
                "name": name, "residence": grid } }),
                )
                .await;
            }
        };
    // In GRID: 2 health only, 1 police only, 1 community only, 1 health + police,
    // 1 all three. In another district: 1 health only (outside the unit counted).
    register(Agency::Health, "DEMO", 1, "甲", GRID).await;
    register(Agency::Health, "DEMO", 2, "乙", GRID).await;
    register(Agency::Police, "DEMO", 3, "丙", GRID).await;
    register(Agency::Community, "DEMO-01-01-01", 4, "丁", GRID).await;
    register(Agency::Health, "DEMO", 5, "戊", GRID).await;
    register(Agency::Police, "DEMO", 5, "戊", GRID).await;
    register(Agency::Health, "DEMO", 6, "己", GRID).await;
    register(Agency::Police, "DEMO", 6, "己", GRID).await;
    register(Agency::Community, "DEMO-01-01-01", 6, "己", GRID).await;
    register(Agency::Health, "DEMO", 7, "庚", "DEMO-02-01-01-01").await;

    let query = "query($u: String) { reconciliation(orgUnit: $u) { persons knownToOne knownToSeveral knownToNone
        byAgencyCount { agencies persons } onlyBy { agency persons } } }";
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    let counts = ok(&app, &command, query, json!({ "u": GRID })).await;
    assert_eq!(
        counts["reconciliation"],
        json!({
            "persons": 6, "knownToOne": 4, "knownToSeveral": 2, "knownToNone": 0,
            "byAgencyCount": [{ "agencies": 1, "persons": 4 }, { "agencies": 2, "persons": 1 }, { "agencies": 3, "persons": 1 }],
            "onlyBy": [{ "agency": "COMMUNITY", "persons": 1 }, { "agency": "HEALTH", "persons": 2 }, { "agency": "POLICE", "persons": 1 }],
        })
    );
    let city = ok(&app, &command, query, json!({ "u": "DEMO" })).await;
    assert_eq!(city["reconciliation"]["persons"], 7);
    assert_eq!(city["reconciliation"]["knownToOne"], 5);

    // A unit outside one's jurisdiction is refused; the default is one's own.
    let district = app.token(Agency::Health, Role::Analyst, "DEMO-02");
    let r = app.gql(&district, query, json!({ "u": GRID })).await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    // An analyst sees a count this small as "<5" (SMALL_COUNT_THRESHOLD).
    let own = ok(&app, &district, query, json!({})).await;
    assert_eq!(own["reconciliation"]["persons"], "<5");
}
