//! The access matrix for persons, walked whole: every agency × role × (inside, outside its
//! jurisdiction) × every query and mutation on persons. The expected outcome of each cell is
//! declared once, below, transcribed from DESIGN.md — not computed from the server's policy,
//! so a wrong policy fails here.

use entity::{Agency, Role};
use lianfang::domain::values::pseudonymize_name;
use serde_json::{json, Value};

use crate::{
    fixtures::{self, Known, COMMUNITY, GRID, OTHER_DISTRICT, OTHER_GRID},
    helpers::{error_code, is_invisible, spawn_app, TestApp},
};

/// What one principal gets from one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// The values in full.
    Full,
    /// A document number as its first 6 and last 4 characters.
    Masked,
    /// Masked name, no identifiers.
    Pseudo,
    /// The field or operation does not exist for the principal.
    Invisible,
    /// Refused as if there were no such record.
    NotFound,
    /// Refused for lack of authority (a write outside one's jurisdiction).
    Forbidden,
    /// The operation succeeded.
    Allowed,
    /// The person is in the list.
    Listed,
    /// The person is not in the list.
    Absent,
}

use Cell::*;

const OPS: [&str; 12] = [
    "person",
    "person (not vulnerable)",
    "documentNumber",
    "phone/address",
    "birthDate",
    "vulnerabilities",
    "personByDocument",
    "persons",
    "registerPerson",
    "updatePerson",
    "setVulnerabilities",
    "auditEvents",
];

/// Inside the jurisdiction, per agency, for OPERATORs.
#[rustfmt::skip]
// A masked number's hidden middle is the birth date: whoever sees the number masked sees
// the birth year only.
const OPERATOR_INSIDE: [(Agency, [Cell; 12]); 5] = [
    //                      person  plain     document   contact    birthDate  vulner.    byDoc      persons  register   update     setVuln    audit
    (Agency::Health,       [Full,   Full,     Full,      Full,      Full,      Full,      Allowed,   Listed,  Allowed,   Allowed,   Invisible, Invisible]),
    (Agency::Police,       [Full,   Full,     Full,      Full,      Full,      Invisible, Allowed,   Listed,  Allowed,   Allowed,   Invisible, Invisible]),
    (Agency::CivilAffairs, [Full,   NotFound, Masked,    Full,      Invisible, Full,      Invisible, Listed,  Invisible, Invisible, Allowed,   Invisible]),
    (Agency::Community,    [Full,   Full,     Masked,    Full,      Invisible, Full,      Invisible, Listed,  Allowed,   Allowed,   Allowed,   Invisible]),
    (Agency::Command,      [Pseudo, Pseudo,   Invisible, Invisible, Invisible, Invisible, Invisible, Listed,  Invisible, Invisible, Invisible, Invisible]),
];

/// Inside the jurisdiction, for every non-operator role: pseudonymized rows only; civil
/// affairs still reaches only the people it looks after; only auditors read the trail.
#[rustfmt::skip]
fn other_role_inside(agency: Agency, role: Role) -> [Cell; 12] {
    let plain = if agency == Agency::CivilAffairs { NotFound } else { Pseudo };
    let audit = if role == Role::Auditor { Allowed } else { Invisible };
    [Pseudo, plain, Invisible, Invisible, Invisible, Invisible, Invisible, Listed, Invisible, Invisible, Invisible, audit]
}

/// Outside the jurisdiction (layer 2): what exists stays the same, but no record is reached.
fn outside(inside: Cell, op: &str) -> Cell {
    match (inside, op) {
        (Invisible, _) => Invisible,
        (_, "auditEvents") => inside,
        (Listed, _) => Absent,
        (Allowed, "registerPerson") => Forbidden,
        _ => NotFound,
    }
}

fn expected(agency: Agency, role: Role, inside: bool) -> [Cell; 12] {
    let cells = match role {
        Role::Operator => OPERATOR_INSIDE
            .iter()
            .find(|(a, _)| *a == agency)
            .map(|(_, cells)| *cells)
            .unwrap(),
        _ => other_role_inside(agency, role),
    };
    if inside {
        cells
    } else {
        let mut out = cells;
        for (cell, op) in out.iter_mut().zip(OPS) {
            *cell = outside(*cell, op);
        }
        out
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
async fn the_person_access_matrix_holds_in_every_cell() {
    let app = spawn_app().await;
    let vulnerable = fixtures::register(&app, 11, "张建国", GRID).await;
    let plain = fixtures::register(&app, 12, "李秀英", GRID).await;
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let response = app
        .gql(
            &community,
            "mutation($id: ID!) { setVulnerabilities(id: $id, expectedVersion: 1, flags: [ELDERLY_LIVING_ALONE], note: \"独居\") { version } }",
            json!({ "id": vulnerable.id }),
        )
        .await;
    assert!(response.get("errors").is_none(), "{response}");

    let mut failures = Vec::new();
    let mut next_document = 100;
    let mut cells = 0;
    for agency in AGENCIES {
        for role in ROLES {
            for inside in [true, false] {
                let org = if inside { COMMUNITY } else { OTHER_DISTRICT };
                let token = app.token(agency, role, org);
                let want = expected(agency, role, inside);
                for (i, op) in OPS.iter().enumerate() {
                    next_document += 1;
                    let got = run(&app, &token, op, &vulnerable, &plain, next_document).await;
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
    assert_eq!(cells, 5 * 4 * 2 * 12);
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs one operation as the principal and classifies the outcome.
async fn run(app: &TestApp, token: &str, op: &str, person: &Known, plain: &Known, n: u16) -> Cell {
    match op {
        "person" => read_name(app, token, person).await,
        "person (not vulnerable)" => read_name(app, token, plain).await,
        "documentNumber" => {
            let r = query_person(app, token, &person.id, "documentType documentNumber").await;
            classify(&r, |p| {
                let number = p["documentNumber"].as_str().unwrap_or_default();
                if number == person.document {
                    Full
                } else if number == person.masked_document() {
                    Masked
                } else {
                    panic!("unexpected document number {number}")
                }
            })
        }
        "phone/address" => {
            let r = query_person(app, token, &person.id, "phone address").await;
            classify(&r, |p| {
                assert_eq!(p["phone"], person.phone.as_str());
                assert_eq!(p["address"], person.address.as_str());
                Full
            })
        }
        "birthDate" => {
            let r = query_person(app, token, &person.id, "birthDate birthYear").await;
            classify(&r, |p| {
                assert!(p["birthDate"].is_string());
                assert!(p["birthYear"].is_number());
                Full
            })
        }
        "vulnerabilities" => {
            let r = query_person(app, token, &person.id, "vulnerabilities vulnerabilityNote").await;
            classify(&r, |p| {
                assert_eq!(p["vulnerabilities"], json!(["ELDERLY_LIVING_ALONE"]));
                Full
            })
        }
        "personByDocument" => {
            let r = app
                .gql(
                    token,
                    "query($n: String!) { personByDocument(documentType: RESIDENT_ID, number: $n) { id } }",
                    json!({ "n": person.document }),
                )
                .await;
            classify_at(&r, "personByDocument", |p| {
                assert_eq!(p["id"], person.id.as_str());
                Allowed
            })
        }
        "persons" => {
            let r = app
                .gql(
                    token,
                    "query($grid: String!) { persons(first: 100, filter: { orgUnit: $grid }) { edges { node { id } } } }",
                    json!({ "grid": GRID }),
                )
                .await;
            if is_invisible(&r) {
                return Invisible;
            }
            let ids: Vec<&str> = r["data"]["persons"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{r}"))
                .iter()
                .filter_map(|e| e["node"]["id"].as_str())
                .collect();
            if ids.contains(&person.id.as_str()) {
                Listed
            } else {
                Absent
            }
        }
        "registerPerson" => {
            let r = app
                .gql(
                    token,
                    fixtures::REGISTER,
                    json!({ "input": {
                        "documentType": "RESIDENT_ID", "documentNumber": fixtures::resident_id(n),
                        "name": "王新", "residence": OTHER_GRID,
                    }}),
                )
                .await;
            classify_at(&r, "registerPerson", |_| Allowed)
        }
        "updatePerson" => {
            let version = fixtures::version_of(app, &person.id).await;
            let r = app
                .gql(
                    token,
                    "mutation($id: ID!, $v: Int!, $a: String!) { updatePerson(id: $id, expectedVersion: $v, input: { address: $a }) { version } }",
                    json!({ "id": person.id, "v": version, "a": person.address }),
                )
                .await;
            classify_at(&r, "updatePerson", |_| Allowed)
        }
        "setVulnerabilities" => {
            let version = fixtures::version_of(app, &person.id).await;
            let r = app
                .gql(
                    token,
                    "mutation($id: ID!, $v: Int!) { setVulnerabilities(id: $id, expectedVersion: $v, flags: [ELDERLY_LIVING_ALONE], note: \"独居\") { version } }",
                    json!({ "id": person.id, "v": version }),
                )
                .await;
            classify_at(&r, "setVulnerabilities", |_| Allowed)
        }
        "auditEvents" => {
            let r = app
                .gql(
                    token,
                    "{ auditEvents(first: 1) { edges { node { id } } } }",
                    json!({}),
                )
                .await;
            classify_at(&r, "auditEvents", |_| Allowed)
        }
        other => panic!("unknown operation {other}"),
    }
}

async fn read_name(app: &TestApp, token: &str, person: &Known) -> Cell {
    let r = query_person(app, token, &person.id, "name pseudonymized").await;
    classify(&r, |p| {
        let name = p["name"].as_str().unwrap_or_default();
        match p["pseudonymized"].as_bool() {
            Some(false) if name == person.name => Full,
            Some(true) if name == pseudonymize_name(&person.name) => Pseudo,
            _ => panic!("inconsistent person {p}"),
        }
    })
}

async fn query_person(app: &TestApp, token: &str, id: &str, fields: &str) -> Value {
    app.gql(
        token,
        &format!("query($id: ID!) {{ person(id: $id) {{ {fields} }} }}"),
        json!({ "id": id }),
    )
    .await
}

fn classify(response: &Value, on_data: impl FnOnce(&Value) -> Cell) -> Cell {
    classify_at(response, "person", on_data)
}

fn classify_at(response: &Value, field: &str, on_data: impl FnOnce(&Value) -> Cell) -> Cell {
    if is_invisible(response) {
        return Invisible;
    }
    match error_code(response) {
        Some("NOT_FOUND") => return NotFound,
        Some("FORBIDDEN") => return Forbidden,
        Some(other) => panic!("unexpected error {other}: {response}"),
        None => {}
    }
    let data = &response["data"][field];
    assert!(!data.is_null(), "no data and no error: {response}");
    on_data(data)
}
