//! The access matrix for the agencies' joint work, walked whole: every agency × role ×
//! (inside, outside its jurisdiction) × every query, mutation and guarded field of tasks,
//! checkpoints, the vulnerable, one record per person, grants and daily reports; then the
//! widening by a task and by a grant, and their end, for every agency × role. Expected
//! outcomes are declared once, below, from DESIGN.md's matrix and the task routes.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, Known, COMMUNITY, GRID},
    helpers::{assert_ok, error_code, is_invisible, local_today, spawn_app, TestApp},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// Shown, identified (or, for a guarded field, shown).
    Full,
    /// Shown, pseudonymized.
    Pseudo,
    Invisible,
    NotFound,
    Forbidden,
    Allowed,
    Listed,
    Absent,
}

use Cell::*;

const OPS: [&str; 16] = [
    "tasks",
    "task note",
    "createTask",
    "checkpointEntries",
    "checkpoint traveller",
    "recordCheckpointEntries",
    "vulnerablePersons",
    "possibleDuplicates",
    "mergePersons",
    "reconciliation",
    "requestAccess",
    "accessGrants",
    "dailyReport",
    "dailyReport confirmation",
    "confirmDailyReport",
    "dailyReportStatus",
];

/// Operators inside their jurisdiction (a token of the community where everything lives).
/// The world's task was sent by the community to the district police.
#[rustfmt::skip]
const OPERATORS: [(Agency, [Cell; 16]); 5] = [
    //                      tasks   note      create     entries    traveller  recordCP   vulnerable dupes      merge      reconc   grant      grants     report   confirm.   confirmW   status
    (Agency::Health,       [Absent, NotFound, Allowed,   Listed,    Full,      Invisible, Listed,    Listed,    Allowed,   Allowed, Allowed,   Invisible, Allowed, Full,      Invisible, Allowed]),
    (Agency::Police,       [Listed, Full,     Forbidden, Listed,    Full,      Allowed,   Invisible, Listed,    Allowed,   Allowed, Allowed,   Invisible, Allowed, Full,      Invisible, Allowed]),
    (Agency::CivilAffairs, [Absent, NotFound, Forbidden, Invisible, Invisible, Invisible, Listed,    Invisible, Invisible, Allowed, Invisible, Invisible, Allowed, Full,      Invisible, Allowed]),
    (Agency::Community,    [Listed, Full,     Allowed,   Listed,    Full,      Allowed,   Listed,    Listed,    Allowed,   Allowed, Invisible, Invisible, Allowed, Full,      Allowed,   Allowed]),
    (Agency::Command,      [Listed, Full,     Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Allowed, Invisible, Invisible, Allowed, Full,      Invisible, Allowed]),
];

/// Analysts, auditors and admins inside: figures only (reconciliation, daily reports and
/// who confirmed them), no rows of tasks or passages, nothing identified, no writes.
#[rustfmt::skip]
const ANALYSTS: [(Agency, [Cell; 16]); 5] = [
    (Agency::Health,       FIGURES),
    (Agency::Police,       FIGURES),
    (Agency::CivilAffairs, FIGURES),
    (Agency::Community,    FIGURES),
    (Agency::Command,      FIGURES),
];
#[rustfmt::skip]
const FIGURES: [Cell; 16] = [
    //tasks   note       create     entries    traveller  recordCP   vulnerable dupes      merge      reconc   grant      grants     report   confirm.   confirmW   status
    Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Invisible, Allowed, Invisible, Invisible, Allowed, Invisible, Invisible, Allowed,
];

/// Outside the jurisdiction, what a cell that works inside becomes, per operation: lists
/// lose the row, look-ups find nothing, a named unit outside is refused, and breaking the
/// glass is the same anywhere.
const OUTSIDE: [Cell; 16] = [
    Absent, NotFound, NotFound, Absent, Absent, Forbidden, Absent, Absent, NotFound, Forbidden,
    Allowed, Absent, Forbidden, Forbidden, Forbidden, Forbidden,
];

fn expected(agency: Agency, role: Role, inside: bool) -> [Cell; 16] {
    let table = if role == Role::Operator {
        &OPERATORS
    } else {
        &ANALYSTS
    };
    let mut cells = table
        .iter()
        .find(|(a, _)| *a == agency)
        .map(|(_, c)| *c)
        .unwrap();
    // Auditors read the grants too.
    if role == Role::Auditor {
        cells[11] = Listed;
    }
    if inside {
        return cells;
    }
    let mut out = cells;
    for (i, cell) in cells.iter().enumerate() {
        out[i] = match cell {
            Invisible => Invisible,
            // A route the policy forbids is refused before anything is looked up.
            Forbidden => Forbidden,
            _ => OUTSIDE[i],
        };
    }
    out
}

struct World {
    task_id: String,
    entry_id: String,
    elder: Known,
    twin_of: (String, String),
    grant_id: String,
    next: u16,
}

const REGISTER_TWIN: &str = "mutation($n: String!, $p: String!) { registerPerson(input: { name: $n, phone: $p, residence: \"DEMO-01-01-01-01\" }) { id } }";

/// A second record of `original` without a document, same name and phone.
async fn twin(app: &TestApp, original: &Known) -> String {
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let r = app
        .gql(
            &health,
            REGISTER_TWIN,
            json!({ "n": original.name, "p": original.phone }),
        )
        .await;
    assert_ok(&r);
    r["data"]["registerPerson"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn world(app: &TestApp) -> World {
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let elder = fixtures::register(app, 751, "龚独居", GRID).await;
    assert_ok(&app.gql(&community, "mutation($id: ID!) { setVulnerabilities(id: $id, expectedVersion: 1, flags: [ELDERLY_LIVING_ALONE]) { id } }", json!({ "id": elder.id })).await);
    let r = app.gql(&community, "mutation($p: ID!) { createTask(input: { kind: LOCATE_PERSON, person: $p, toAgency: POLICE, toOrgUnit: \"DEMO-01\", note: \"请协查\" }) { id } }", json!({ "p": elder.id })).await;
    assert_ok(&r);
    let task_id = r["data"]["createTask"]["id"].as_str().unwrap().to_owned();
    let r = app.gql(&police, "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) { entry { id } } }",
        json!({ "e": [{ "idempotencyKey": "world-1", "checkpointName": "东站", "checkpoint": "DEMO-01-01", "direction": "INBOUND",
            "passedAt": Utc::now() - Duration::minutes(5), "destination": GRID, "fromPlace": "澜海市", "traveller": { "name": "过路人" } }] })).await;
    assert_ok(&r);
    let entry_id = r["data"]["recordCheckpointEntries"][0]["entry"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let original = fixtures::register(app, 752, "重复者", GRID).await;
    let second = twin(app, &original).await;
    // A grant taken by a health officer of another district over the elder.
    let outsider = app.token(Agency::Health, Role::Operator, "DEMO-03");
    let r = app
        .gql(
            &outsider,
            "mutation($p: ID!) { requestAccess(person: $p, reason: \"转诊核实病史\") { grantId } }",
            json!({ "p": elder.id }),
        )
        .await;
    assert_ok(&r);
    World {
        task_id,
        entry_id,
        elder,
        twin_of: (original.id, second),
        grant_id: r["data"]["requestAccess"]["grantId"]
            .as_str()
            .unwrap()
            .to_owned(),
        next: 760,
    }
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
async fn the_joint_work_access_matrix_holds_in_every_cell() {
    let app = spawn_app().await;
    let mut w = world(&app).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for agency in AGENCIES {
        for role in ROLES {
            for inside in [true, false] {
                let org = if inside { COMMUNITY } else { "DEMO-02" };
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
    assert_eq!(cells, 5 * 4 * 2 * 16);
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn run(app: &TestApp, token: &str, op: &str, w: &mut World) -> Cell {
    match op {
        "tasks" => {
            let r = app
                .gql(
                    token,
                    "{ tasks(first: 100) { edges { node { id } } } }",
                    json!({}),
                )
                .await;
            listed(&r, "tasks", |n| n["id"] == w.task_id.as_str())
        }
        "task note" => {
            let r = app
                .gql(
                    token,
                    "query($id: ID!) { task(id: $id) { note } }",
                    json!({ "id": w.task_id }),
                )
                .await;
            classify(&r, |d| {
                assert_eq!(d["task"]["note"], "请协查");
                Full
            })
        }
        "createTask" => {
            let fresh = fresh_person(app, w).await;
            let r = app.gql(token, "mutation($p: ID!) { createTask(input: { kind: LOCATE_PERSON, person: $p, toAgency: POLICE, toOrgUnit: \"DEMO-01\" }) { id } }", json!({ "p": fresh.id })).await;
            classify(&r, |_| Allowed)
        }
        "checkpointEntries" => {
            let r = app
                .gql(
                    token,
                    "{ checkpointEntries(first: 100) { edges { node { id } } } }",
                    json!({}),
                )
                .await;
            listed(&r, "checkpointEntries", |n| n["id"] == w.entry_id.as_str())
        }
        "checkpoint traveller" => {
            let r = app
                .gql(
                    token,
                    "{ checkpointEntries(first: 100) { edges { node { id traveller { name } } } } }",
                    json!({}),
                )
                .await;
            match listed(&r, "checkpointEntries", |n| {
                n["id"] == w.entry_id.as_str() && n["traveller"]["name"] == "过路人"
            }) {
                Listed => Full,
                other => other,
            }
        }
        "recordCheckpointEntries" => {
            w.next += 1;
            let r = app.gql(token, "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) { status error { code } } }",
                json!({ "e": [{ "idempotencyKey": format!("m-{}", w.next), "checkpointName": "小区东门", "checkpoint": COMMUNITY,
                    "direction": "INBOUND", "passedAt": Utc::now() - Duration::minutes(1), "traveller": { "name": "访客" } }] })).await;
            classify(&r, |d| {
                let item = &d["recordCheckpointEntries"][0];
                match (item["status"].as_str(), item["error"]["code"].as_str()) {
                    (Some("RECORDED"), _) => Allowed,
                    (Some("REJECTED"), Some("FORBIDDEN")) => Forbidden,
                    other => panic!("unexpected {other:?}: {d}"),
                }
            })
        }
        "vulnerablePersons" => {
            let r = app
                .gql(
                    token,
                    "{ vulnerablePersons(first: 100) { edges { node { person { id } } } } }",
                    json!({}),
                )
                .await;
            listed(&r, "vulnerablePersons", |n| {
                n["person"]["id"] == w.elder.id.as_str()
            })
        }
        "possibleDuplicates" => {
            let r = app
                .gql(
                    token,
                    "{ possibleDuplicates(first: 100) { edges { node { first { id } second { id } } } } }",
                    json!({}),
                )
                .await;
            listed(&r, "possibleDuplicates", |n| {
                n["first"]["id"] == w.twin_of.0.as_str()
                    && n["second"]["id"] == w.twin_of.1.as_str()
            })
        }
        "mergePersons" => {
            let original = fresh_person(app, w).await;
            let second = twin(app, &original).await;
            let r = app
                .gql(
                    token,
                    "mutation($k: ID!, $m: ID!) { mergePersons(keepId: $k, mergeId: $m, expectedVersions: { keep: 1, merge: 1 }) { id } }",
                    json!({ "k": original.id, "m": second }),
                )
                .await;
            classify(&r, |_| Allowed)
        }
        "reconciliation" => {
            let r = app
                .gql(
                    token,
                    "query($u: String) { reconciliation(orgUnit: $u) { persons } }",
                    json!({ "u": COMMUNITY }),
                )
                .await;
            classify(&r, |d| {
                assert!(d["reconciliation"]["persons"].as_i64().unwrap() > 0);
                Allowed
            })
        }
        "requestAccess" => {
            let r = app
                .gql(
                    token,
                    "mutation($p: ID!) { requestAccess(person: $p, reason: \"核查行程\") { grantId } }",
                    json!({ "p": w.elder.id }),
                )
                .await;
            classify(&r, |_| Allowed)
        }
        "accessGrants" => {
            let r = app
                .gql(
                    token,
                    "{ accessGrants(first: 100) { edges { node { id } } } }",
                    json!({}),
                )
                .await;
            listed(&r, "accessGrants", |n| n["id"] == w.grant_id.as_str())
        }
        "dailyReport" => {
            let r = app
                .gql(
                    token,
                    "query($u: String) { dailyReport(orgUnit: $u) { figures { checksDue } } }",
                    json!({ "u": COMMUNITY }),
                )
                .await;
            classify(&r, |_| Allowed)
        }
        "dailyReport confirmation" => {
            let r = app
                .gql(
                    token,
                    "query($u: String) { dailyReport(orgUnit: $u) { confirmation { note } } }",
                    json!({ "u": COMMUNITY }),
                )
                .await;
            classify(&r, |_| Full)
        }
        "confirmDailyReport" => {
            let r = app
                .gql(
                    token,
                    "mutation($u: String!, $d: NaiveDate!) { confirmDailyReport(orgUnit: $u, date: $d) { date } }",
                    json!({ "u": COMMUNITY, "d": local_today() }),
                )
                .await;
            classify(&r, |_| Allowed)
        }
        "dailyReportStatus" => {
            let r = app
                .gql(
                    token,
                    "query($u: String) { dailyReportStatus(orgUnit: $u) { communities } }",
                    json!({ "u": COMMUNITY }),
                )
                .await;
            classify(&r, |_| Allowed)
        }
        other => panic!("unknown operation {other}"),
    }
}

async fn fresh_person(app: &TestApp, w: &mut World) -> Known {
    w.next += 1;
    fixtures::register(app, w.next, &format!("新人{}", w.next), GRID).await
}

fn listed(response: &Value, field: &str, found: impl Fn(&Value) -> bool) -> Cell {
    if is_invisible(response) {
        return Invisible;
    }
    assert_ok(response);
    let hit = response["data"][field]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| found(&e["node"]));
    if hit {
        Listed
    } else {
        Absent
    }
}

fn classify(response: &Value, on_data: impl FnOnce(&Value) -> Cell) -> Cell {
    if is_invisible(response) {
        return Invisible;
    }
    match error_code(response) {
        Some("NOT_FOUND") => NotFound,
        Some("FORBIDDEN") => Forbidden,
        Some(other) => panic!("unexpected error {other}: {response}"),
        None => on_data(&response["data"]),
    }
}

/// The phases of the widening test, in order.
const PHASES: [&str; 5] = [
    "none",
    "task live",
    "task closed",
    "grant live",
    "grant expired",
];

/// What a principal of a street (OBSERVERS) sees of a resident of another street of the
/// same district, in each phase: (identity, the person's records).
fn widened(agency: Agency, role: Role, phase: &str) -> (Cell, Cell) {
    let operator = role == Role::Operator;
    // Tasks go where their route says: the police's and health's to the person's district,
    // whose officers of every street receive them; civil affairs' to the person's street
    // and the community's to the person's community, neither of them the observers'. A task
    // opens the subject to the receiving operators, not the person's records.
    let receives = matches!(agency, Agency::Police | Agency::Health);
    // Only health and police operators break the glass; a grant opens the records too.
    let breaks_glass = matches!(agency, Agency::Health | Agency::Police);
    // Only operators of agencies that read cases have case rows at all.
    let records = if agency == Agency::Command || !operator {
        Invisible
    } else {
        NotFound
    };
    match phase {
        "task live" if operator && receives => (Full, Absent),
        "grant live" if operator && breaks_glass => (Full, Listed),
        _ => (NotFound, records),
    }
}

/// A street of the subject's district other than the subject's own.
const OBSERVERS: &str = "DEMO-02-02";

#[tokio::test]
async fn tasks_and_grants_widen_only_their_holders_and_only_while_they_last() {
    let app = spawn_app().await;
    let city_health = app.token(Agency::Health, Role::Operator, "DEMO");
    let city_police = app.token(Agency::Police, Role::Operator, "DEMO");
    // A resident of district B with a case.
    let subject = fixtures::register(&app, 781, "乙区居民", "DEMO-02-01-01-01").await;
    let r = app.gql(&city_health, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED }) { id } }", json!({ "p": subject.id })).await;
    assert_ok(&r);
    let case_id = r["data"]["reportCase"]["id"].as_str().unwrap().to_owned();

    let mut failures = Vec::new();
    let mut cells = 0;
    let mut tasks = Vec::new();
    for phase in PHASES {
        match phase {
            "task live" => {
                // One task to each receiving agency, sent from the city to the unit its route
                // names (none given).
                for (kind, from, to) in [
                    ("LOCATE_PERSON", &city_health, "POLICE"),
                    ("MEDICAL_VISIT", &city_police, "HEALTH"),
                    ("DELIVER_SUPPLIES", &city_health, "CIVIL_AFFAIRS"),
                    ("PLACE_UNDER_OBSERVATION", &city_health, "COMMUNITY"),
                ] {
                    let r = app.gql(from, "mutation($k: TaskKind!, $p: ID!, $a: Agency!) { createTask(input: { kind: $k, person: $p, toAgency: $a }) { id } }",
                        json!({ "k": kind, "p": subject.id, "a": to })).await;
                    assert_ok(&r);
                    tasks.push((
                        from.clone(),
                        r["data"]["createTask"]["id"].as_str().unwrap().to_owned(),
                    ));
                }
            }
            "task closed" => {
                for (sender, id) in &tasks {
                    assert_ok(&app.gql(sender, "mutation($id: ID!) { cancelTask(id: $id, expectedVersion: 1) { status } }", json!({ "id": id })).await);
                }
            }
            "grant live" => {
                for role in ROLES {
                    for agency in [Agency::Health, Agency::Police] {
                        let token = app.token(agency, role, OBSERVERS);
                        let r = app.gql(&token, "mutation($p: ID!) { requestAccess(person: $p, reason: \"跨区协查\") { grantId } }", json!({ "p": subject.id })).await;
                        assert_eq!(role == Role::Operator, r["errors"].is_null(), "{r}");
                    }
                }
            }
            "grant expired" => {
                use sea_orm::{prelude::Expr, EntityTrait};
                entity::access_grant::Entity::update_many()
                    .col_expr(
                        entity::access_grant::Column::ExpiresAt,
                        Expr::value(Utc::now() - Duration::minutes(1)),
                    )
                    .exec(&app.state.db)
                    .await
                    .unwrap();
            }
            _ => {}
        }
        for agency in AGENCIES {
            for role in ROLES {
                let token = app.token(agency, role, OBSERVERS);
                let (want_identity, want_records) = widened(agency, role, phase);
                let r = app
                    .gql(
                        &token,
                        "query($id: ID!) { person(id: $id) { name pseudonymized } }",
                        json!({ "id": subject.id }),
                    )
                    .await;
                let identity = classify(&r, |d| {
                    if d["person"]["pseudonymized"] == true {
                        Pseudo
                    } else {
                        assert_eq!(d["person"]["name"], "乙区居民");
                        Full
                    }
                });
                let r = app
                    .gql(
                        &token,
                        "query($id: ID!) { person(id: $id) { cases { id } } }",
                        json!({ "id": subject.id }),
                    )
                    .await;
                let records = classify(&r, |d| {
                    let cases = d["person"]["cases"].as_array().unwrap();
                    if cases.iter().any(|c| c["id"] == case_id.as_str()) {
                        Listed
                    } else {
                        Absent
                    }
                });
                for (what, want, got) in [
                    ("identity", want_identity, identity),
                    ("records", want_records, records),
                ] {
                    cells += 1;
                    if want != got {
                        failures.push(format!(
                            "{phase}: {agency} {role} {what}: expected {want:?}, got {got:?}"
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(cells, PHASES.len() * 5 * 4 * 2);
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
