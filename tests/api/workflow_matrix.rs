//! The access matrix for the outbreak workflow, walked whole: every agency × role ×
//! (inside, outside its jurisdiction) × every query, mutation and guarded field of cases,
//! contacts, chains, observation, checks, lab tests and alerts. Expected outcomes are
//! declared once, below, from DESIGN.md's matrix.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, Known, GRID},
    helpers::{assert_ok, error_code, is_invisible, spawn_app, TestApp},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// Shown, with the person identified.
    Full,
    /// Shown, with the person pseudonymized.
    Pseudo,
    Invisible,
    NotFound,
    Allowed,
    Listed,
    Absent,
}

use Cell::*;

const OPS: [&str; 19] = [
    "case",
    "case of someone civil affairs does not look after",
    "case clinical",
    "cases",
    "contacts",
    "transmissionChain",
    "quarantines",
    "quarantine reason",
    "quarantine needs",
    "followUpsDue",
    "alerts",
    "person healthChecks",
    "person labTests",
    "reportCase",
    "recordContact",
    "startQuarantine",
    "setQuarantineNeeds",
    "recordHealthChecks",
    "recordLabTest",
];

/// Operators inside their jurisdiction.
#[rustfmt::skip]
const OPERATORS: [(Agency, [Cell; 19]); 5] = [
    //                      case  plain clinical   cases   contacts   chain      quars   reason     needs      followUps  alerts     checks     labTests   report     contact    startQ     needsW     checksW    labW
    (Agency::Health,       [Full, Full, Full,      Listed, Listed,    Allowed,   Listed, Full,      Full,      Listed,    Listed,    Full,      Full,      Allowed,   Allowed,   Allowed,   Allowed,   Allowed,   Allowed]),
    (Agency::Police,       [Full, Full, Invisible, Listed, Listed,    Allowed,   Listed, Invisible, Invisible, Invisible, Listed,    Invisible, Invisible, Invisible, Allowed,   Invisible, Invisible, Invisible, Invisible]),
    (Agency::CivilAffairs, [Full, Pseudo, Invisible, Listed, Invisible, Invisible, Listed, Invisible, Full,      Invisible, Listed,    Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible]),
    (Agency::Community,    [Full, Full, Invisible, Listed, Listed,    Allowed,   Listed, Full,      Full,      Listed,    Listed,    Full,      Invisible, Invisible, Allowed,   Allowed,   Allowed,   Allowed,   Invisible]),
    (Agency::Command,      [Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible]),
];

/// Analysts, auditors and admins: no rows of records at all (a pseudonymized case or check
/// still has its grid and its day, and counting rows would give back every small count the
/// disclosure control hides): records reach them as figures only.
#[rustfmt::skip]
const OTHER_ROLES: [(Agency, [Cell; 19]); 5] = [
    (Agency::Health,       ROW),
    (Agency::Police,       ROW),
    (Agency::CivilAffairs, ROW),
    (Agency::Community,    ROW),
    (Agency::Command,      ROW),
];
const ROW: [Cell; 19] = [Invisible; 19];

/// Outside the jurisdiction: what exists stays the same, no record is reached.
fn outside(inside: Cell) -> Cell {
    match inside {
        Invisible => Invisible,
        Listed => Absent,
        _ => NotFound,
    }
}

fn expected(agency: Agency, role: Role, inside: bool) -> [Cell; 19] {
    let table = if role == Role::Operator {
        &OPERATORS
    } else {
        &OTHER_ROLES
    };
    let cells = table
        .iter()
        .find(|(a, _)| *a == agency)
        .map(|(_, c)| *c)
        .unwrap();
    if inside {
        cells
    } else {
        cells.map(outside)
    }
}

struct World {
    patient: Known,
    case_id: String,
    plain_case_id: String,
    contact_id: String,
    contact_person: Known,
    quarantine_id: String,
    next: u16,
}

async fn world(app: &TestApp) -> World {
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let patient = fixtures::register(app, 701, "马国强", GRID).await;
    let contact_person = fixtures::register(app, 702, "马小兰", GRID).await;
    // The patient is elderly and lives alone, so civil affairs looks after them.
    assert_ok(&app.gql(&community, "mutation($id: ID!) { setVulnerabilities(id: $id, expectedVersion: 1, flags: [ELDERLY_LIVING_ALONE]) { id } }", json!({ "id": patient.id })).await);
    let r = app
        .gql(
            &health,
            "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED, severity: MILD, reportingUnit: \"DEMO-01\" }) { id } }",
            json!({ "p": patient.id }),
        )
        .await;
    assert_ok(&r);
    let case_id = r["data"]["reportCase"]["id"].as_str().unwrap().to_owned();
    let r = app
        .gql(
            &health,
            "mutation($c: ID!, $p: ID!, $d: NaiveDate!) { recordContact(input: { sourceCase: $c, person: { id: $p }, relation: HOUSEHOLD, lastExposureDate: $d }) { id } }",
            json!({ "c": case_id, "p": contact_person.id, "d": (Utc::now() - Duration::days(2)).date_naive() }),
        )
        .await;
    assert_ok(&r);
    let contact_id = r["data"]["recordContact"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .gql(
            &community,
            "mutation($p: ID!, $c: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT, contact: $c, needs: \"代购蔬菜\" }) { id } }",
            json!({ "p": contact_person.id, "c": contact_id }),
        )
        .await;
    assert_ok(&r);
    let quarantine_id = r["data"]["startQuarantine"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Yesterday's checks, so that today the contact is still due.
    let yesterday = Utc::now() - Duration::days(1);
    assert_ok(
        &app.gql(
            &community,
            CHECKS,
            json!({ "c": [check("seed-1", &contact_person.id, yesterday)] }),
        )
        .await,
    );
    assert_ok(&app.gql(&health, LAB, json!({ "p": patient.id })).await);
    // Someone neither vulnerable nor under observation, with a suspected case.
    let plain = fixtures::register(app, 703, "赵普通", GRID).await;
    let r = app
        .gql(
            &health,
            "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED, reportingUnit: \"DEMO-01\" }) { id } }",
            json!({ "p": plain.id }),
        )
        .await;
    assert_ok(&r);
    let plain_case_id = r["data"]["reportCase"]["id"].as_str().unwrap().to_owned();
    World {
        patient,
        case_id,
        plain_case_id,
        contact_id,
        contact_person,
        quarantine_id,
        next: 710,
    }
}

const CHECKS: &str = "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { status error { code } } }";
const LAB: &str = "mutation($p: ID!) { recordLabTest(input: { person: $p, sampleDate: \"2026-01-01\", sampleType: BLOOD, result: NEGATIVE, laboratory: \"实验室\" }) { labTest { id } } }";

fn check(key: &str, person: &str, at: chrono::DateTime<Utc>) -> Value {
    json!({ "idempotencyKey": key, "person": person, "measuredAt": at, "temperature": 36.6 })
}

const AGENCIES: [Agency; 5] = [
    Agency::Health,
    Agency::Police,
    Agency::CivilAffairs,
    Agency::Community,
    Agency::Command,
];
const ROLES: [Role; 4] = [Role::Operator, Role::Analyst, Role::Auditor, Role::Admin];

#[tokio::test]
async fn the_workflow_access_matrix_holds_in_every_cell() {
    let app = spawn_app().await;
    let mut w = world(&app).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for agency in AGENCIES {
        for role in ROLES {
            for inside in [true, false] {
                let org = if inside { "DEMO-01-01-01" } else { "DEMO-02" };
                let token = app.token(agency, role, org);
                let want = expected(agency, role, inside);
                for (i, op) in OPS.iter().enumerate() {
                    let got = run(&app, &token, op, &mut w).await;
                    cells += 1;
                    if got != want[i] {
                        let side = if inside { "inside" } else { "outside" };
                        failures.push(format!(
                            "{agency} {role} {side} {op}: expected {:?}, got {got:?}",
                            want[i]
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(cells, 5 * 4 * 2 * 19);
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn run(app: &TestApp, token: &str, op: &str, w: &mut World) -> Cell {
    let today = Utc::now().date_naive();
    match op {
        "case" => {
            let r = app
                .gql(
                    token,
                    "query($id: ID!) { case(id: $id) { classification person { pseudonymized } } }",
                    json!({ "id": w.case_id }),
                )
                .await;
            classify(&r, "case", |d| {
                if d["person"]["pseudonymized"] == true {
                    Pseudo
                } else {
                    Full
                }
            })
        }
        "case of someone civil affairs does not look after" => {
            let r = app
                .gql(
                    token,
                    "query($id: ID!) { case(id: $id) { classification person { pseudonymized } } }",
                    json!({ "id": w.plain_case_id }),
                )
                .await;
            classify(&r, "case", |d| {
                if d["person"]["pseudonymized"] == true {
                    Pseudo
                } else {
                    Full
                }
            })
        }
        "case clinical" => {
            let r = app
                .gql(
                    token,
                    "query($id: ID!) { case(id: $id) { severity } }",
                    json!({ "id": w.case_id }),
                )
                .await;
            classify(&r, "case", |d| {
                assert_eq!(d["severity"], "MILD");
                Full
            })
        }
        "cases" => {
            listed(
                app,
                token,
                "{ cases(first: 100) { edges { node { id } } } }",
                "cases",
                &w.case_id,
            )
            .await
        }
        "contacts" => {
            listed(
                app,
                token,
                "{ contacts(first: 100) { edges { node { id } } } }",
                "contacts",
                &w.contact_id,
            )
            .await
        }
        "transmissionChain" => {
            let r = app.gql(token, "query($id: ID!) { transmissionChain(caseId: $id, depth: 1) { nodes { key } } }", json!({ "id": w.case_id })).await;
            classify(&r, "transmissionChain", |_| Allowed)
        }
        "quarantines" => {
            listed(
                app,
                token,
                "{ quarantines(first: 100) { edges { node { id } } } }",
                "quarantines",
                &w.quarantine_id,
            )
            .await
        }
        "quarantine reason" => {
            let r = app
                .gql(
                    token,
                    "query($id: ID!) { quarantine(id: $id) { reason } }",
                    json!({ "id": w.quarantine_id }),
                )
                .await;
            classify(&r, "quarantine", |d| {
                assert_eq!(d["reason"], "CLOSE_CONTACT");
                Full
            })
        }
        "quarantine needs" => {
            let r = app
                .gql(
                    token,
                    "query($id: ID!) { quarantine(id: $id) { needs } }",
                    json!({ "id": w.quarantine_id }),
                )
                .await;
            classify(&r, "quarantine", |d| {
                assert!(d["needs"].is_string(), "{d}");
                Full
            })
        }
        "followUpsDue" => {
            let r = app
                .gql(
                    token,
                    "{ followUpsDue(first: 100) { edges { node { person { id } } } } }",
                    json!({}),
                )
                .await;
            if is_invisible(&r) {
                return Invisible;
            }
            assert_ok(&r);
            let found = r["data"]["followUpsDue"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["node"]["person"]["id"] == w.contact_person.id.as_str());
            if found {
                Listed
            } else {
                Absent
            }
        }
        "alerts" => {
            let r = app.gql(token, "{ alerts(first: 100, filter: { kinds: [NEW_CASE] }) { edges { node { entityId } } } }", json!({})).await;
            if is_invisible(&r) {
                return Invisible;
            }
            assert_ok(&r);
            let found = r["data"]["alerts"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["node"]["entityId"] == w.case_id.as_str());
            if found {
                Listed
            } else {
                Absent
            }
        }
        "person healthChecks" => {
            let r = app
                .gql(
                    token,
                    "query($id: ID!) { person(id: $id) { healthChecks { temperature } } }",
                    json!({ "id": w.contact_person.id }),
                )
                .await;
            classify(&r, "person", |d| {
                assert!(!d["healthChecks"].as_array().unwrap().is_empty(), "{d}");
                Full
            })
        }
        "person labTests" => {
            let r = app
                .gql(
                    token,
                    "query($id: ID!) { person(id: $id) { labTests { result } } }",
                    json!({ "id": w.patient.id }),
                )
                .await;
            classify(&r, "person", |d| {
                assert!(!d["labTests"].as_array().unwrap().is_empty(), "{d}");
                Full
            })
        }
        "reportCase" => {
            let fresh = fresh_person(app, w).await;
            let r = app.gql(token, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED }) { id } }", json!({ "p": fresh.id })).await;
            classify(&r, "reportCase", |_| Allowed)
        }
        "recordContact" => {
            let fresh = fresh_person(app, w).await;
            let r = app
                .gql(
                    token,
                    "mutation($c: ID!, $p: ID!, $d: NaiveDate!) { recordContact(input: { sourceCase: $c, person: { id: $p }, relation: SOCIAL, lastExposureDate: $d }) { id } }",
                    json!({ "c": w.case_id, "p": fresh.id, "d": today }),
                )
                .await;
            classify(&r, "recordContact", |_| Allowed)
        }
        "startQuarantine" => {
            let fresh = fresh_person(app, w).await;
            let r = app.gql(token, "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: OTHER }) { id } }", json!({ "p": fresh.id })).await;
            classify(&r, "startQuarantine", |_| Allowed)
        }
        "setQuarantineNeeds" => {
            let version = quarantine_version(app, &w.quarantine_id).await;
            let r = app
                .gql(token, "mutation($id: ID!, $v: Int!) { setQuarantineNeeds(id: $id, expectedVersion: $v, needs: \"代购药品\") { id } }", json!({ "id": w.quarantine_id, "v": version }))
                .await;
            classify(&r, "setQuarantineNeeds", |_| Allowed)
        }
        "recordHealthChecks" => {
            w.next += 1;
            let key = format!("matrix-{}", w.next);
            let r = app.gql(token, CHECKS, json!({ "c": [check(&key, &w.contact_person.id, Utc::now() - Duration::days(1))] })).await;
            classify(&r, "recordHealthChecks", |d| {
                match d[0]["status"].as_str() {
                    Some("RECORDED") => Allowed,
                    Some("REJECTED") if d[0]["error"]["code"] == "NOT_FOUND" => NotFound,
                    other => panic!("unexpected {other:?}: {d}"),
                }
            })
        }
        "recordLabTest" => {
            let r = app.gql(token, LAB, json!({ "p": w.patient.id })).await;
            classify(&r, "recordLabTest", |_| Allowed)
        }
        other => panic!("unknown operation {other}"),
    }
}

async fn fresh_person(app: &TestApp, w: &mut World) -> Known {
    w.next += 1;
    fixtures::register(app, w.next, "新人员", GRID).await
}

async fn quarantine_version(app: &TestApp, id: &str) -> i64 {
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let r = app
        .gql(
            &health,
            "query($id: ID!) { quarantine(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
    r["data"]["quarantine"]["version"].as_i64().unwrap()
}

async fn listed(app: &TestApp, token: &str, query: &str, field: &str, id: &str) -> Cell {
    let r = app.gql(token, query, json!({})).await;
    if is_invisible(&r) {
        return Invisible;
    }
    assert_ok(&r);
    let found = r["data"][field]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["node"]["id"] == id);
    if found {
        Listed
    } else {
        Absent
    }
}

fn classify(response: &Value, field: &str, on_data: impl FnOnce(&Value) -> Cell) -> Cell {
    if is_invisible(response) {
        return Invisible;
    }
    match error_code(response) {
        Some("NOT_FOUND") => return NotFound,
        Some(other) => panic!("unexpected error {other}: {response}"),
        None => {}
    }
    on_data(&response["data"][field])
}
