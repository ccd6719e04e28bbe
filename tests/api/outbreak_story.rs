//! The whole outbreak story, played through the API from five agencies' tokens: a case is
//! reported, its close contacts traced (one across district lines), the community puts them
//! under observation, a grid worker sends a batch of checks after an offline shift, a fever
//! raises an alert, a positive test turns a contact into a case, the chain shows it, and the
//! observation ends with a release notice on day 14.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use lianfang::domain::values::pseudonymize_name;
use serde_json::{json, Value};

use crate::{
    fixtures::{self, GRID},
    helpers::{assert_ok, error_code, local_day_start, local_today, spawn_app, TestApp},
};

const OTHER_GRID_B: &str = "DEMO-02-01-01-01";

struct Team {
    health_city: String,
    health_district: String,
    community_a: String,
    community_b: String,
    grid_worker_b: String,
    police_b: String,
    civil_b: String,
}

fn team(app: &TestApp) -> Team {
    Team {
        health_city: app.token(Agency::Health, Role::Operator, "DEMO"),
        health_district: app.token(Agency::Health, Role::Operator, "DEMO-01"),
        community_a: app.token(Agency::Community, Role::Operator, "DEMO-01-01-01"),
        community_b: app.token(Agency::Community, Role::Operator, "DEMO-02-01-01"),
        grid_worker_b: app.token_for(
            Agency::Community,
            Role::Operator,
            "DEMO-02-01-01-01",
            "grid-worker-b",
        ),
        police_b: app.token(Agency::Police, Role::Operator, "DEMO-02"),
        civil_b: app.token(Agency::CivilAffairs, Role::Operator, "DEMO-02-01"),
    }
}

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app.gql(token, query, variables).await;
    assert_ok(&response);
    response["data"].clone()
}

async fn alert_kinds_about(app: &TestApp, token: &str, person_id: &str) -> Vec<String> {
    let data = ok(
        app,
        token,
        "{ alerts(first: 100) { edges { node { kind person { id } } } } }",
        json!({}),
    )
    .await;
    data["alerts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["person"]["id"] == person_id)
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_outbreak_story_plays_through_from_every_agency() {
    let app = spawn_app().await;
    let t = team(&app);
    let patient = fixtures::register(&app, 301, "陈建华", GRID).await;
    let household = fixtures::register(&app, 302, "陈小红", GRID).await;

    // 1. The district CDC reports a confirmed case.
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    let data = ok(
        &app,
        &t.health_district,
        "mutation($p: ID!, $onset: NaiveDate!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED,
            severity: MILD, onsetDate: $onset, designatedHospital: \"云州市传染病医院\" })
            { id classification open version person { name } } }",
        json!({ "p": patient.id, "onset": yesterday }),
    )
    .await;
    let case = &data["reportCase"];
    assert_eq!(case["classification"], "CONFIRMED");
    assert_eq!(case["open"], true);
    let case_id = case["id"].as_str().unwrap().to_owned();
    // The patient's community hears of it; a police district elsewhere does not.
    assert!(alert_kinds_about(&app, &t.community_a, &patient.id)
        .await
        .contains(&"NEW_CASE".into()));
    assert!(alert_kinds_about(&app, &t.police_b, &patient.id)
        .await
        .is_empty());

    // 2. The investigation records two close contacts; one lives in another district and is
    //    registered on the spot.
    let exposure = (Utc::now() - Duration::days(2)).date_naive();
    let record = "mutation($input: RecordContactInput!) { recordContact(input: $input) {
        id followUpEndDate status person { id name pseudonymized } } }";
    let c1 = ok(
        &app,
        &t.health_district,
        record,
        json!({ "input": { "sourceCase": case_id, "person": { "id": household.id }, "relation": "HOUSEHOLD", "lastExposureDate": exposure } }),
    )
    .await;
    assert_eq!(c1["recordContact"]["person"]["name"], "陈小红");
    assert_eq!(
        c1["recordContact"]["followUpEndDate"],
        (exposure + Duration::days(14)).to_string()
    );
    let colleague_doc = fixtures::resident_id(303);
    let c2 = ok(
        &app,
        &t.health_district,
        record,
        json!({ "input": { "sourceCase": case_id, "relation": "WORK", "lastExposureDate": exposure,
            "person": { "register": { "documentType": "RESIDENT_ID", "documentNumber": colleague_doc,
                "name": "周伟", "phone": "13912345678", "residence": OTHER_GRID_B } } } }),
    )
    .await;
    let colleague = c2["recordContact"]["person"].clone();
    let colleague_id = colleague["id"].as_str().unwrap().to_owned();
    let contact_id = c2["recordContact"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        colleague["pseudonymized"], true,
        "the recording officer's jurisdiction does not hold the colleague"
    );
    assert_eq!(colleague["name"], pseudonymize_name("周伟"));

    // 3. The colleague's own community sees the traced contact in full, and the source case's
    //    person pseudonymized.
    assert!(alert_kinds_about(&app, &t.community_b, &colleague_id)
        .await
        .contains(&"CONTACT_TRACED".into()));
    let data = ok(
        &app,
        &t.community_b,
        "{ contacts(first: 10) { totalCount edges { node { id relation person { name pseudonymized phone }
            sourceCase { classification person { name pseudonymized } } } } } }",
        json!({}),
    )
    .await;
    let node = &data["contacts"]["edges"][0]["node"];
    assert_eq!(data["contacts"]["totalCount"], 1);
    assert_eq!(
        node["person"],
        json!({ "name": "周伟", "pseudonymized": false, "phone": "13912345678" })
    );
    assert_eq!(node["sourceCase"]["classification"], "CONFIRMED");
    assert_eq!(node["sourceCase"]["person"]["pseudonymized"], true);

    // 4. The community starts home observation, noting living needs for civil affairs.
    let data = ok(
        &app,
        &t.community_b,
        "mutation($p: ID!, $c: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT,
            contact: $c, needs: \"独居，需代购药品\" }) { id active plannedEndDate version } }",
        json!({ "p": colleague_id, "c": contact_id }),
    )
    .await;
    let quarantine_id = data["startQuarantine"]["id"].as_str().unwrap().to_owned();
    let today = local_today();
    assert_eq!(
        data["startQuarantine"]["plannedEndDate"],
        (today + Duration::days(14)).to_string()
    );
    // Police see the status and place, not the medical reason; civil affairs see the needs.
    let police = ok(
        &app,
        &t.police_b,
        "{ quarantines(first: 10) { edges { node { kind active person { name address } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(police["quarantines"]["edges"][0]["node"]["kind"], "HOME");
    let hidden = app
        .gql(
            &t.police_b,
            "{ quarantines(first: 1) { edges { node { reason } } } }",
            json!({}),
        )
        .await;
    assert!(hidden["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("没有字段 \"reason\""));
    let civil = ok(
        &app,
        &t.civil_b,
        "{ quarantines(first: 10) { edges { node { needs person { name } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        civil["quarantines"]["edges"][0]["node"]["needs"],
        "独居，需代购药品"
    );
    assert_eq!(
        civil["quarantines"]["edges"][0]["node"]["person"]["name"],
        "周伟"
    );

    // 5. The grid worker's list shows the colleague as due.
    let due = "{ followUpsDue(first: 20) { edges { node { person { id } checksRecorded checksMissing } } } }";
    let data = ok(&app, &t.grid_worker_b, due, json!({})).await;
    let entry = data["followUpsDue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["person"]["id"] == colleague_id.as_str())
        .cloned();
    assert_eq!(entry.unwrap()["node"]["checksMissing"], 2);

    // 6. After an offline shift, a batch of checks: two fine, one fever, one bad, one about
    //    someone outside the worker's grid.
    let now = Utc::now();
    // Two checks "today" where the server is, even a minute after local midnight.
    let earlier_today = (now - Duration::minutes(6)).max(local_day_start());
    let later_today = (now - Duration::minutes(3)).max(local_day_start());
    let batch = json!([
        { "idempotencyKey": "shift-1", "person": colleague_id, "measuredAt": earlier_today, "temperature": 36.6 },
        { "idempotencyKey": "shift-2", "person": colleague_id, "measuredAt": now - Duration::hours(26), "temperature": 36.8 },
        { "idempotencyKey": "shift-3", "person": colleague_id, "measuredAt": later_today, "temperature": 38.1, "symptoms": ["COUGH"] },
        { "idempotencyKey": "shift-4", "person": colleague_id, "measuredAt": now - Duration::minutes(2), "temperature": 36.85 },
        { "idempotencyKey": "shift-5", "person": patient.id, "measuredAt": now - Duration::minutes(2), "temperature": 36.5 },
    ]);
    let submit = "mutation($checks: [HealthCheckInput!]!) { recordHealthChecks(checks: $checks) {
        idempotencyKey status check { id fever temperature } error { code field } } }";
    let first = ok(&app, &t.grid_worker_b, submit, json!({ "checks": batch })).await;
    let results = first["recordHealthChecks"].as_array().unwrap().clone();
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["RECORDED", "RECORDED", "RECORDED", "REJECTED", "REJECTED"]
    );
    assert_eq!(results[2]["check"]["fever"], true);
    assert_eq!(
        results[3]["error"],
        json!({ "code": "BAD_USER_INPUT", "field": "checks[3].temperature" })
    );
    assert_eq!(
        results[4]["error"],
        json!({ "code": "NOT_FOUND", "field": "checks[4].person" })
    );
    // Sent again (the phone did not get the answer): nothing is written twice.
    let checks_before = app.count("SELECT COUNT(*) FROM health_check").await;
    let again = ok(&app, &t.grid_worker_b, submit, json!({ "checks": batch })).await;
    let replay = again["recordHealthChecks"].as_array().unwrap();
    for i in 0..3 {
        assert_eq!(replay[i]["status"], "DUPLICATE");
        assert_eq!(replay[i]["check"]["id"], results[i]["check"]["id"]);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM health_check").await,
        checks_before
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM alert WHERE kind = 'FEVER'")
            .await,
        1
    );

    // 7. The fever reaches health and the community; police do not see fevers.
    assert!(alert_kinds_about(&app, &t.community_b, &colleague_id)
        .await
        .contains(&"FEVER".into()));
    assert!(alert_kinds_about(&app, &t.health_city, &colleague_id)
        .await
        .contains(&"FEVER".into()));
    assert!(!alert_kinds_about(&app, &t.police_b, &colleague_id)
        .await
        .contains(&"FEVER".into()));
    // Two checks today: off the worker's list.
    let data = ok(&app, &t.grid_worker_b, due, json!({})).await;
    assert!(data["followUpsDue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["node"]["person"]["id"] != colleague_id.as_str()));

    // 8. A positive test: the server suggests a case, and creates none by itself.
    let test = "mutation($p: ID!) { recordLabTest(input: { person: $p, sampleDate: \"TODAY\", sampleType: NASOPHARYNGEAL_SWAB,
        result: POSITIVE, laboratory: \"云州市疾控中心实验室\" }) { suggestion labTest { result } } }"
        .replace("\"TODAY\"", &format!("\"{today}\""));
    let cases_before = app.count("SELECT COUNT(*) FROM case_record").await;
    let data = ok(&app, &t.health_city, &test, json!({ "p": colleague_id })).await;
    assert_eq!(data["recordLabTest"]["suggestion"], "REPORT_CASE");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM case_record").await,
        cases_before
    );
    // Health reports the case: the contact record is linked and marked converted.
    let data = ok(
        &app,
        &t.health_city,
        "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }",
        json!({ "p": colleague_id }),
    )
    .await;
    let second_case = data["reportCase"]["id"].as_str().unwrap().to_owned();
    let data = ok(
        &app,
        &t.health_city,
        "query($c: ID!) { contacts(first: 10, filter: { sourceCase: $c }) { edges { node { id status convertedCase { id } } } } }",
        json!({ "c": case_id }),
    )
    .await;
    let converted = data["contacts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == contact_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(converted["node"]["status"], "CONVERTED");
    assert_eq!(
        converted["node"]["convertedCase"]["id"],
        second_case.as_str()
    );
    let data = ok(&app, &t.health_city, &test, json!({ "p": colleague_id })).await;
    assert!(
        data["recordLabTest"]["suggestion"].is_null(),
        "an open case exists now"
    );

    // 9. The transmission chain: patient → colleague (transmitted), patient → household
    //    member (exposed). Outside the district, the colleague is pseudonymized.
    let chain = "query($c: ID!) { transmissionChain(caseId: $c, depth: 2) { truncated
        nodes { key kind depth person { name pseudonymized } } edges { from to kind relation } } }";
    let data = ok(&app, &t.health_city, chain, json!({ "c": case_id })).await;
    let chain_data = &data["transmissionChain"];
    assert_eq!(chain_data["truncated"], false);
    let edges: Vec<(String, String, String)> = chain_data["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().into(),
                e["to"].as_str().unwrap().into(),
                e["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        edges.contains(&(
            format!("case:{case_id}"),
            format!("case:{second_case}"),
            "TRANSMITTED".into()
        )),
        "{edges:?}"
    );
    assert!(
        edges.contains(&(
            format!("case:{case_id}"),
            format!("person:{}", household.id),
            "EXPOSED".into()
        )),
        "{edges:?}"
    );
    let data = ok(&app, &t.health_district, chain, json!({ "c": case_id })).await;
    let colleague_node = data["transmissionChain"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["key"] == format!("case:{second_case}"))
        .unwrap()
        .clone();
    assert_eq!(colleague_node["person"]["pseudonymized"], true);
    assert_eq!(colleague_node["depth"], 1);

    // 10. The colleague goes to hospital: observation ends early, the community is alerted.
    let end = "mutation($id: ID!, $v: Int!, $input: EndQuarantineInput!) { endQuarantine(id: $id, expectedVersion: $v, input: $input) { active outcome } }";
    let data = ok(
        &app,
        &t.community_b,
        end,
        json!({ "id": quarantine_id, "v": 1, "input": { "outcome": "TRANSFERRED_TO_HOSPITAL" } }),
    )
    .await;
    assert_eq!(
        data["endQuarantine"],
        json!({ "active": false, "outcome": "TRANSFERRED_TO_HOSPITAL" })
    );
    assert!(alert_kinds_about(&app, &t.community_b, &colleague_id)
        .await
        .contains(&"QUARANTINE_ENDED_EARLY".into()));

    // 11. The household member's 14 days are over: released with a notice, no early alert.
    let start = today - Duration::days(14);
    let data = ok(
        &app,
        &t.community_a,
        "mutation($p: ID!, $s: NaiveDate!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT, startDate: $s }) { id plannedEndDate } }",
        json!({ "p": household.id, "s": start }),
    )
    .await;
    assert_eq!(data["startQuarantine"]["plannedEndDate"], today.to_string());
    let household_q = data["startQuarantine"]["id"].as_str().unwrap().to_owned();
    let refused = app
        .gql(
            &t.community_a,
            end,
            json!({ "id": household_q, "v": 1, "input": { "outcome": "RELEASED" } }),
        )
        .await;
    assert_eq!(
        error_code(&refused),
        Some("BAD_USER_INPUT"),
        "a release needs its notice number"
    );
    let data = ok(&app, &t.community_a, end, json!({ "id": household_q, "v": 1, "input": { "outcome": "RELEASED", "releaseNoticeNo": "YZ-JC-2026-0001" } })).await;
    assert_eq!(data["endQuarantine"]["outcome"], "RELEASED");
    assert!(!alert_kinds_about(&app, &t.community_a, &household.id)
        .await
        .contains(&"QUARANTINE_ENDED_EARLY".into()));

    // 12. The patient recovers.
    let data = ok(&app, &t.health_district, "mutation($id: ID!) { closeCase(id: $id, expectedVersion: 1, outcome: RECOVERED) { outcome open closedAt } }", json!({ "id": case_id })).await;
    assert_eq!(data["closeCase"]["outcome"], "RECOVERED");
    assert_eq!(data["closeCase"]["open"], false);
}
