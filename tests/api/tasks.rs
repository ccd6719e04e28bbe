//! Tasks between agencies: routes from the policy, the state machine by side, the flows that
//! open tasks by themselves, and the view a live task gives its receivers, and no longer.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, GRID},
    helpers::{assert_ok, error_code, spawn_app, TestApp},
};

const CREATE: &str =
    "mutation($i: CreateTaskInput!) { createTask(input: $i) { id status version yourSides } }";
const INBOX: &str = "query($b: TaskBox) { tasks(first: 50, filter: { box: $b }) { totalCount edges { node {
    id kind status priority overdue source { entityType entityId } person { id name phone pseudonymized } toUnit { code } } } } }";

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let r = app.gql(token, query, variables).await;
    assert_ok(&r);
    r["data"].clone()
}

fn tasks_of(data: &Value) -> Vec<Value> {
    data["tasks"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn an_absconding_opens_an_urgent_task_for_the_district_police_who_close_it() {
    let app = spawn_app().await;
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let district_police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let station = app.token(Agency::Police, Role::Operator, "DEMO-01-01");
    let other_police = app.token(Agency::Police, Role::Operator, "DEMO-02");
    let person = fixtures::register(&app, 801, "潘逃离", GRID).await;
    let q = ok(&app, &community, "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT }) { id } }", json!({ "p": person.id })).await;
    let qid = q["startQuarantine"]["id"].as_str().unwrap().to_owned();
    ok(&app, &community, "mutation($id: ID!) { endQuarantine(id: $id, expectedVersion: 1, input: { outcome: ABSCONDED }) { outcome } }", json!({ "id": qid })).await;

    // The district police and a station below it receive it; another district does not.
    let inbox = tasks_of(&ok(&app, &district_police, INBOX, json!({ "b": "INBOX" })).await);
    let task = inbox
        .iter()
        .find(|t| t["person"]["id"] == person.id.as_str())
        .expect("the police received the task")
        .clone();
    assert_eq!(task["kind"], "ENFORCE_ISOLATION");
    assert_eq!(task["priority"], "URGENT");
    assert_eq!(task["status"], "OPEN");
    assert_eq!(
        task["source"],
        json!({ "entityType": "Quarantine", "entityId": qid })
    );
    assert_eq!(task["toUnit"]["code"], "DEMO-01");
    assert!(
        tasks_of(&ok(&app, &station, INBOX, json!({ "b": "INBOX" })).await)
            .iter()
            .any(|t| t["id"] == task["id"])
    );
    assert!(tasks_of(&ok(&app, &other_police, INBOX, json!({})).await).is_empty());
    // The community sent it.
    let outbox = tasks_of(&ok(&app, &community, INBOX, json!({ "b": "OUTBOX" })).await);
    assert!(outbox.iter().any(|t| t["id"] == task["id"]));

    // The police locate and return the person.
    let accept = "mutation($id: ID!, $v: Int!) { acceptTask(id: $id, expectedVersion: $v) { status version } }";
    let complete = "mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v, outcome: \"已找到并送回隔离点\") { status outcomeNote } }";
    let accepted = ok(&app, &station, accept, json!({ "id": task["id"], "v": 1 })).await;
    assert_eq!(accepted["acceptTask"]["status"], "ACCEPTED");
    let done = ok(
        &app,
        &station,
        complete,
        json!({ "id": task["id"], "v": 2 }),
    )
    .await;
    assert_eq!(
        done["completeTask"],
        json!({ "status": "DONE", "outcomeNote": "已找到并送回隔离点" })
    );
    let sent = tasks_of(&ok(&app, &community, INBOX, json!({ "b": "OUTBOX" })).await);
    assert_eq!(
        sent.iter().find(|t| t["id"] == task["id"]).unwrap()["status"],
        "DONE"
    );
}

#[tokio::test]
async fn a_live_task_lets_its_receivers_see_the_person_and_no_longer() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    // The station of another street of the person's district: the district's police receive
    // the task, and this station with them.
    let police_b = app.token(Agency::Police, Role::Operator, "DEMO-01-02");
    let person = fixtures::register(&app, 811, "罗寻找", GRID).await;
    // The person is someone's close contact: a record the task must not open up.
    let source = fixtures::register(&app, 812, "源病例", GRID).await;
    let case = ok(&app, &health, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }", json!({ "p": source.id })).await;
    ok(&app, &health, "mutation($c: ID!, $p: ID!, $d: NaiveDate!) { recordContact(input: { sourceCase: $c, person: { id: $p }, relation: WORK, lastExposureDate: $d }) { id } }",
        json!({ "c": case["reportCase"]["id"], "p": person.id, "d": Utc::now().date_naive() - Duration::days(1) })).await;
    let view = "query($id: ID!) { person(id: $id) { name phone documentNumber pseudonymized exposures { id } } }";
    assert_eq!(
        error_code(&app.gql(&police_b, view, json!({ "id": person.id })).await),
        Some("NOT_FOUND")
    );

    // Not to the police of another district: a task widens its receivers to the person, so
    // it goes only where its route says (the police of the person's district).
    let elsewhere = app
        .gql(
            &health,
            CREATE,
            json!({ "i": { "kind": "LOCATE_PERSON", "person": person.id, "toAgency": "POLICE",
        "toOrgUnit": "DEMO-02" } }),
        )
        .await;
    assert_eq!(error_code(&elsewhere), Some("FORBIDDEN"), "{elsewhere}");
    // The city CDC asks the person's district police to find them.
    let created = ok(
        &app,
        &health,
        CREATE,
        json!({ "i": { "kind": "LOCATE_PERSON", "person": person.id, "toAgency": "POLICE",
        "priority": "HIGH", "dueAt": Utc::now() + Duration::hours(4), "note": "疑似前往江南区" } }),
    )
    .await;
    let task_id = created["createTask"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["createTask"]["yourSides"], json!(["SENDER"]));
    let seen = ok(&app, &police_b, view, json!({ "id": person.id })).await;
    assert_eq!(seen["person"]["name"], "罗寻找");
    assert_eq!(seen["person"]["documentNumber"], person.document.as_str());
    assert_eq!(seen["person"]["pseudonymized"], false);
    assert_eq!(
        seen["person"]["exposures"],
        json!([]),
        "the task shows the person, not their records"
    );
    let own = ok(&app, &health, view, json!({ "id": person.id })).await;
    assert_eq!(
        own["person"]["exposures"].as_array().unwrap().len(),
        1,
        "the record exists"
    );
    let task = ok(
        &app,
        &police_b,
        "query($id: ID!) { task(id: $id) { yourSides note person { phone } } }",
        json!({ "id": task_id }),
    )
    .await;
    assert_eq!(task["task"]["yourSides"], json!(["RECEIVER"]));
    assert_eq!(task["task"]["person"]["phone"], person.phone.as_str());

    // Done: the view ends with the task.
    ok(
        &app,
        &police_b,
        "mutation($id: ID!) { acceptTask(id: $id, expectedVersion: 1) { status } }",
        json!({ "id": task_id }),
    )
    .await;
    ok(
        &app,
        &police_b,
        "mutation($id: ID!) { completeTask(id: $id, expectedVersion: 2) { status } }",
        json!({ "id": task_id }),
    )
    .await;
    assert_eq!(
        error_code(&app.gql(&police_b, view, json!({ "id": person.id })).await),
        Some("NOT_FOUND")
    );
    let after = ok(
        &app,
        &police_b,
        "query($id: ID!) { task(id: $id) { status person { pseudonymized } } }",
        json!({ "id": task_id }),
    )
    .await;
    assert_eq!(after["task"]["person"]["pseudonymized"], true);
}

#[tokio::test]
async fn routes_sides_and_final_states_are_enforced_with_nothing_written() {
    let app = spawn_app().await;
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let civil = app.token(Agency::CivilAffairs, Role::Operator, "DEMO-01-01");
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let person = fixtures::register(&app, 821, "任务测试", GRID).await;
    let tasks_before = app.count("SELECT COUNT(*) FROM task").await;
    for (token, kind, to) in [
        (&community, "MEDICAL_VISIT", "POLICE"),
        (&community, "DELIVER_SUPPLIES", "POLICE"),
        (&civil, "LOCATE_PERSON", "POLICE"),
    ] {
        let r = app
            .gql(token, CREATE, json!({ "i": { "kind": kind, "person": person.id, "toAgency": to, "toOrgUnit": "DEMO-01" } }))
            .await;
        assert_eq!(error_code(&r), Some("FORBIDDEN"), "{kind} to {to}: {r}");
    }
    let past = app
        .gql(&community, CREATE, json!({ "i": { "kind": "LOCATE_PERSON", "person": person.id, "toAgency": "POLICE", "toOrgUnit": "DEMO-01", "dueAt": Utc::now() - Duration::hours(1) } }))
        .await;
    assert_eq!(error_code(&past), Some("BAD_USER_INPUT"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM task").await,
        tasks_before,
        "nothing written"
    );

    let created = ok(&app, &community, CREATE, json!({ "i": { "kind": "LOCATE_PERSON", "person": person.id, "toAgency": "POLICE", "toOrgUnit": "DEMO-01" } })).await;
    let id = created["createTask"]["id"].as_str().unwrap().to_owned();
    let accept =
        "mutation($id: ID!, $v: Int!) { acceptTask(id: $id, expectedVersion: $v) { status } }";
    let cancel =
        "mutation($id: ID!, $v: Int!) { cancelTask(id: $id, expectedVersion: $v) { status } }";
    let reject = "mutation($id: ID!, $v: Int!) { rejectTask(id: $id, expectedVersion: $v, reason: \"不在辖区\") { status } }";
    // The sender may not accept; the receiver may not cancel.
    let r = app
        .gql(&community, accept, json!({ "id": id, "v": 1 }))
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"));
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("OPEN") && message.contains("ACCEPTED") && message.contains("接收部门"),
        "{message}"
    );
    assert_eq!(
        error_code(&app.gql(&police, cancel, json!({ "id": id, "v": 1 })).await),
        Some("BAD_USER_INPUT")
    );
    // A stale version is a conflict.
    assert_eq!(
        error_code(&app.gql(&police, accept, json!({ "id": id, "v": 5 })).await),
        Some("CONFLICT")
    );
    // Rejected is final.
    assert_eq!(
        ok(&app, &police, reject, json!({ "id": id, "v": 1 })).await["rejectTask"]["status"],
        "REJECTED"
    );
    let r = app.gql(&police, accept, json!({ "id": id, "v": 2 })).await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"));
    assert!(r["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("REJECTED"));
    assert_eq!(
        error_code(
            &app.gql(&community, cancel, json!({ "id": id, "v": 2 }))
                .await
        ),
        Some("BAD_USER_INPUT")
    );
    // An agency that neither sent nor receives a task does not find it.
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    assert_eq!(
        error_code(
            &app.gql(
                &health,
                "query($id: ID!) { task(id: $id) { id } }",
                json!({ "id": id })
            )
            .await
        ),
        Some("NOT_FOUND")
    );
    // The command reads every task; it sends none.
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    assert_ok(
        &app.gql(
            &command,
            "query($id: ID!) { task(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await,
    );
    assert!(
        app.gql(&command, CREATE, json!({ "i": {} })).await["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("没有字段")
    );
}

#[tokio::test]
async fn a_vulnerable_resident_under_home_observation_gets_supplies_from_civil_affairs() {
    let app = spawn_app().await;
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let civil = app.token(Agency::CivilAffairs, Role::Operator, "DEMO-01-01");
    let person = fixtures::register(&app, 831, "独居老人", GRID).await;
    ok(&app, &community, "mutation($id: ID!) { setVulnerabilities(id: $id, expectedVersion: 1, flags: [ELDERLY_LIVING_ALONE]) { id } }", json!({ "id": person.id })).await;
    ok(&app, &community, "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT, needs: \"需要米面油和降压药\" }) { id } }", json!({ "p": person.id })).await;
    let inbox = tasks_of(&ok(&app, &civil, INBOX, json!({ "b": "INBOX" })).await);
    let task = inbox
        .iter()
        .find(|t| t["person"]["id"] == person.id.as_str())
        .expect("civil affairs received the task");
    assert_eq!(task["kind"], "DELIVER_SUPPLIES");
    assert_eq!(task["toUnit"]["code"], "DEMO-01-01");
    assert_eq!(task["person"]["phone"], person.phone.as_str());
    // Not overdue yet; the overdue filter says so.
    assert_eq!(task["overdue"], false);
    let overdue = ok(
        &app,
        &civil,
        "{ tasks(first: 10, filter: { overdue: true }) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(overdue["tasks"]["totalCount"], 0);
}
