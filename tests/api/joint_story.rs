//! The agencies working one day together, over HTTP: a community's quarantined resident
//! absconds; the district police receive the task, find the person and bring them back;
//! civil affairs deliver supplies to a vulnerable household under observation; and the
//! evening's daily reports show it all, to the community, its street and the command.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    daily_reports::{confirm_mutation, figures, report_query},
    fixtures::{self, COMMUNITY, GRID},
    helpers::{assert_ok, local_today, spawn_app, TestApp},
};

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let r = app.gql(token, query, variables).await;
    assert_ok(&r);
    r["data"].clone()
}

const INBOX: &str = "query($k: TaskKind) { tasks(first: 20, filter: { box: INBOX, kind: $k }) {
    edges { node { id kind status version priority person { id name } source { entityType } } } } }";

fn only_task(data: &Value) -> Value {
    let edges = data["tasks"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{data}");
    edges[0]["node"].clone()
}

#[tokio::test]
async fn an_absconding_a_supply_run_and_the_evening_report() {
    let app = spawn_app().await;
    let community = app.token_for(Agency::Community, Role::Operator, COMMUNITY, "cw-xinghua");
    let grid_worker = app.token(Agency::Community, Role::Operator, GRID);
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let civil = app.token(Agency::CivilAffairs, Role::Operator, "DEMO-01-01");
    let street = app.token(Agency::Community, Role::Operator, "DEMO-01-01");
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    let today = local_today();

    // Morning: two residents under home observation; one is an elderly man living alone.
    let runner = fixtures::register(&app, 601, "任出走", GRID).await;
    let elder = fixtures::register(&app, 602, "孤老人", GRID).await;
    let version = fixtures::version_of(&app, &elder.id).await;
    ok(&app, &community, "mutation($id: ID!, $v: Int!) { setVulnerabilities(id: $id, expectedVersion: $v, flags: [ELDERLY_LIVING_ALONE], note: \"独居\") { version } }",
        json!({ "id": elder.id, "v": version })).await;
    let start = "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: RISK_AREA_ARRIVAL }) { id version } }";
    let first_stay = ok(&app, &community, start, json!({ "p": runner.id })).await;
    ok(&app, &community, start, json!({ "p": elder.id })).await;

    // The elder's observation opened a supply task for the street's civil affairs.
    let supply = only_task(&ok(&app, &civil, INBOX, json!({ "k": "DELIVER_SUPPLIES" })).await);
    assert_eq!(supply["person"]["name"], "孤老人");
    assert_eq!(supply["status"], "OPEN");

    // Afternoon: the runner is gone. Ending the observation as ABSCONDED alerts the
    // community and hands the police an urgent task.
    ok(&app, &community, "mutation($id: ID!, $v: Int!) { endQuarantine(id: $id, expectedVersion: $v, input: { outcome: ABSCONDED, note: \"巡查不在家\" }) { active } }",
        json!({ "id": first_stay["startQuarantine"]["id"], "v": first_stay["startQuarantine"]["version"] })).await;
    let alerts = ok(&app, &community, "{ alerts(first: 10, filter: { kinds: [QUARANTINE_ENDED_EARLY] }) { edges { node { person { id } } } } }", json!({})).await;
    assert_eq!(
        alerts["alerts"]["edges"][0]["node"]["person"]["id"],
        runner.id
    );
    let enforce = only_task(&ok(&app, &police, INBOX, json!({ "k": "ENFORCE_ISOLATION" })).await);
    assert_eq!(enforce["person"]["name"], "任出走");
    assert_eq!(enforce["priority"], "URGENT");
    assert_eq!(enforce["source"]["entityType"], "Quarantine");

    // The police accept, find the runner and bring them home; the community puts them back
    // under observation.
    let accepted = ok(&app, &police, "mutation($id: ID!, $v: Int!) { acceptTask(id: $id, expectedVersion: $v) { status version } }",
        json!({ "id": enforce["id"], "v": enforce["version"] })).await;
    assert_eq!(accepted["acceptTask"]["status"], "ACCEPTED");
    let done = ok(&app, &police, "mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v, outcome: \"在亲戚家找到，已送返\") { status outcomeNote } }",
        json!({ "id": enforce["id"], "v": accepted["acceptTask"]["version"] })).await;
    assert_eq!(done["completeTask"]["status"], "DONE");
    ok(&app, &community, start, json!({ "p": runner.id })).await;
    let outbox = ok(&app, &community, "{ tasks(first: 10, filter: { box: OUTBOX, kind: ENFORCE_ISOLATION }) { edges { node { status outcomeNote } } } }", json!({})).await;
    assert_eq!(
        outbox["tasks"]["edges"][0]["node"]["outcomeNote"],
        "在亲戚家找到，已送返"
    );

    // Civil affairs deliver the supplies.
    let accepted = ok(
        &app,
        &civil,
        "mutation($id: ID!, $v: Int!) { acceptTask(id: $id, expectedVersion: $v) { version } }",
        json!({ "id": supply["id"], "v": supply["version"] }),
    )
    .await;
    ok(&app, &civil, "mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v, outcome: \"已送达蔬菜和降压药\") { status } }",
        json!({ "id": supply["id"], "v": accepted["acceptTask"]["version"] })).await;
    let household = ok(&app, &civil, "{ vulnerablePersons(first: 10, filter: { orgUnit: \"DEMO-01-01-01-01\" }) { edges { node { person { id } underQuarantine supplyTaskOpen supplyTaskStatus } } } }",
        json!({ "p": elder.id })).await;
    let row = household["vulnerablePersons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["person"]["id"] == elder.id)
        .unwrap()["node"]
        .clone();
    assert_eq!(row["underQuarantine"], true);
    assert_eq!(row["supplyTaskOpen"], false);
    assert!(
        row["supplyTaskStatus"].is_null(),
        "no live supply task: {row}"
    );
    let delivered = only_task(&ok(&app, &civil, INBOX, json!({ "k": "DELIVER_SUPPLIES" })).await);
    assert_eq!(delivered["status"], "DONE");

    // The grid worker's rounds: the elder twice, the runner once (they came back late).
    ok(&app, &grid_worker, "mutation($k: [HealthCheckInput!]!) { recordHealthChecks(checks: $k) { status } }",
        json!({ "k": [
            { "idempotencyKey": "eve-1", "person": elder.id, "measuredAt": Utc::now() - Duration::minutes(3), "temperature": 36.6 },
            { "idempotencyKey": "eve-2", "person": elder.id, "measuredAt": Utc::now() - Duration::minutes(2), "temperature": 36.7 },
            { "idempotencyKey": "eve-3", "person": runner.id, "measuredAt": Utc::now() - Duration::minutes(1), "temperature": 36.9 },
        ] })).await;

    // Evening: the community's report says it all, and the community confirms it.
    let expected = figures(&[
        ("activeQuarantines", 2),
        ("quarantinesStarted", 3),
        ("quarantinesEnded", 1),
        ("checksDue", 4),
        ("checksRecorded", 3),
        ("checksMissed", 1),
        ("tasksOpened", 2),
        ("tasksClosed", 2),
    ]);
    let report = ok(&app, &community, &report_query(), json!({})).await;
    assert_eq!(report["dailyReport"]["figures"], expected);
    let confirmed = ok(
        &app,
        &community,
        &confirm_mutation(),
        json!({ "u": COMMUNITY, "d": today, "n": "一人擅自离开已由公安送返；独居老人物资已送达" }),
    )
    .await;
    assert_eq!(
        confirmed["confirmDailyReport"]["confirmation"]["figures"],
        expected
    );
    assert_eq!(
        confirmed["confirmDailyReport"]["confirmation"]["confirmedBy"],
        "cw-xinghua"
    );

    // The street office sees the community confirmed, with the same figures; the command
    // sees them in the district's.
    let status = ok(
        &app,
        &street,
        "{ dailyReportStatus { confirmed children { orgUnit { code } confirmed } } }",
        json!({}),
    )
    .await;
    assert_eq!(status["dailyReportStatus"]["confirmed"], 1);
    let mine = status["dailyReportStatus"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["orgUnit"]["code"] == COMMUNITY)
        .unwrap()
        .clone();
    assert_eq!(mine["confirmed"], 1);
    let seen = ok(&app, &street, &report_query(), json!({ "u": COMMUNITY })).await;
    assert_eq!(
        seen["dailyReport"]["confirmation"]["note"],
        "一人擅自离开已由公安送返；独居老人物资已送达"
    );
    let district = ok(&app, &command, &report_query(), json!({ "u": "DEMO-01" })).await;
    assert_eq!(district["dailyReport"]["figures"], expected);
}
