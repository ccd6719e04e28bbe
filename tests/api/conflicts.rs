//! Sixteen writers change one record at once, each naming the version they all read: one
//! wins, and every loser's CONFLICT carries the winner's version, so a retry with it goes
//! through. (On PostgreSQL a loser's update waits for the winner's commit; reporting the
//! version read before it sent some of them into a second CONFLICT.)

use entity::{Agency, Role};
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::{
    fixtures::{self, COMMUNITY, GRID},
    helpers::{assert_ok, error_code, local_today, spawn_with, Options, TestApp},
};

const WRITERS: usize = 16;

/// Sends the mutation 16 times at once with `$v` = `version`; asserts that one won and that every loser was told the version it wrote.
/// Returns that version.
async fn race(app: &TestApp, token: &str, mutation: &str, vars: Value, version: i64) -> i64 {
    let requests = (0..WRITERS).map(|_| {
        let mut vars = vars.clone();
        vars["v"] = json!(version);
        app.gql(token, mutation, vars)
    });
    let responses = join_all(requests).await;
    let (won, lost): (Vec<&Value>, Vec<&Value>) =
        responses.iter().partition(|r| r.get("errors").is_none());
    assert_eq!(won.len(), 1, "one writer wins: {responses:#?}");
    let data = won[0]["data"].as_object().unwrap();
    let payload = data.values().next().unwrap();
    let winner = payload["version"]
        .as_i64()
        .or_else(|| payload["confirmation"]["version"].as_i64())
        .or_else(|| payload["labTest"]["version"].as_i64())
        .unwrap_or_else(|| panic!("a version in {payload}"));
    assert_eq!(winner, version + 1);
    for loser in lost {
        assert_eq!(error_code(loser), Some("CONFLICT"), "{loser}");
        assert_eq!(
            loser["errors"][0]["extensions"]["currentVersion"],
            json!(winner),
            "a loser is told the version that won: {loser}"
        );
    }
    winner
}

async fn data(app: &TestApp, token: &str, query: &str, vars: Value) -> Value {
    let r = app.gql(token, query, vars).await;
    assert_ok(&r);
    r["data"].clone()
}

#[tokio::test]
async fn every_loser_of_a_race_is_told_the_version_that_won() {
    // As many connections as writers, so that they meet in the database, not in the pool.
    let app = spawn_with(Options {
        extra_args: vec!["--db-max-connections".into(), WRITERS.to_string()],
        ..Options::default()
    })
    .await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let person = fixtures::register(&app, 1601, "秦竞争", GRID).await;

    // A person's record, by two mutations.
    let update = "mutation($id: ID!, $v: Int!) { updatePerson(id: $id, expectedVersion: $v, input: { address: \"幸福里社区9栋\" }) { version } }";
    let v = race(&app, &health, update, json!({ "id": person.id }), 1).await;
    let flags = "mutation($id: ID!, $v: Int!) { setVulnerabilities(id: $id, expectedVersion: $v, flags: [ELDERLY_LIVING_ALONE]) { version } }";
    let v = race(&app, &community, flags, json!({ "id": person.id }), v).await;
    let retried = data(&app, &health, update, json!({ "id": person.id, "v": v })).await;
    assert_eq!(retried["updatePerson"]["version"], v + 1);

    // A case: one reclassification wins; closing it with the version it reported works.
    let case = data(&app, &health, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED }) { id version } }", json!({ "p": person.id })).await;
    let case_id = case["reportCase"]["id"].clone();
    let reclassify = "mutation($id: ID!, $v: Int!) { reclassifyCase(id: $id, expectedVersion: $v, classification: CONFIRMED, reason: \"核酸阳性\") { version } }";
    let v = race(
        &app,
        &health,
        reclassify,
        json!({ "id": case_id }),
        case["reportCase"]["version"].as_i64().unwrap(),
    )
    .await;
    data(&app, &health, "mutation($id: ID!, $v: Int!) { closeCase(id: $id, expectedVersion: $v, outcome: RECOVERED) { version } }", json!({ "id": case_id, "v": v })).await;

    // An observation's needs.
    let stay = data(&app, &community, "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT }) { id version } }", json!({ "p": person.id })).await;
    let stay_id = stay["startQuarantine"]["id"].clone();
    let needs = "mutation($id: ID!, $v: Int!) { setQuarantineNeeds(id: $id, expectedVersion: $v, needs: \"买菜\") { version } }";
    let v = race(
        &app,
        &community,
        needs,
        json!({ "id": stay_id }),
        stay["startQuarantine"]["version"].as_i64().unwrap(),
    )
    .await;
    data(&app, &community, needs, json!({ "id": stay_id, "v": v })).await;

    // A lab result: final once set, so a retry with the reported version passes the version
    // check and meets that rule instead.
    let today = local_today();
    let test = data(&app, &health, &format!("mutation($p: ID!) {{ recordLabTest(input: {{ person: $p, sampleDate: \"{today}\", sampleType: NASOPHARYNGEAL_SWAB, result: PENDING, laboratory: \"云州市疾控中心实验室\" }}) {{ labTest {{ id version }} }} }}"), json!({ "p": person.id })).await;
    let test_id = test["recordLabTest"]["labTest"]["id"].clone();
    let result = "mutation($id: ID!, $v: Int!) { setLabResult(id: $id, expectedVersion: $v, result: NEGATIVE) { labTest { version } } }";
    let v = race(
        &app,
        &health,
        result,
        json!({ "id": test_id }),
        test["recordLabTest"]["labTest"]["version"]
            .as_i64()
            .unwrap(),
    )
    .await;
    let again = app
        .gql(&health, result, json!({ "id": test_id, "v": v }))
        .await;
    assert_eq!(error_code(&again), Some("BAD_USER_INPUT"), "{again}");

    // A task: one officer accepts; completing it with the reported version works.
    let task = data(&app, &health, "mutation($p: ID!) { createTask(input: { kind: LOCATE_PERSON, person: $p, toAgency: POLICE, toOrgUnit: \"DEMO-01\" }) { id version } }", json!({ "p": person.id })).await;
    let task_id = task["createTask"]["id"].clone();
    let accept =
        "mutation($id: ID!, $v: Int!) { acceptTask(id: $id, expectedVersion: $v) { version } }";
    let v = race(
        &app,
        &police,
        accept,
        json!({ "id": task_id }),
        task["createTask"]["version"].as_i64().unwrap(),
    )
    .await;
    data(&app, &police, "mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v, outcome: \"已找到\") { version } }", json!({ "id": task_id, "v": v })).await;

    // A day's confirmation, confirmed again.
    let confirm = "mutation($d: NaiveDate!, $v: Int) { confirmDailyReport(orgUnit: \"DEMO-01-01-01\", date: $d, expectedVersion: $v, note: \"平安无事\") { confirmation { version } } }";
    let first = data(&app, &community, confirm, json!({ "d": today })).await;
    let v = race(
        &app,
        &community,
        confirm,
        json!({ "d": today }),
        first["confirmDailyReport"]["confirmation"]["version"]
            .as_i64()
            .unwrap(),
    )
    .await;
    data(&app, &community, confirm, json!({ "d": today, "v": v })).await;
}
