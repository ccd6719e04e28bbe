//! The list of vulnerable residents: who is isolated, who has a supply task, who has neither.

use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, GRID},
    helpers::{assert_ok, is_invisible, spawn_app, TestApp},
};

const LIST: &str = "query($f: VulnerablePersonFilter) { vulnerablePersons(first: 100, filter: $f) {
    totalCount edges { node { person { id name vulnerabilities } underQuarantine quarantine { kind }
    supplyTaskOpen supplyTaskStatus supplyTask { id kind } } } } }";

async fn flag(app: &TestApp, token: &str, id: &str, flags: &str) {
    let version = fixtures::version_of(app, id).await;
    let r = app
        .gql(
            token,
            &format!("mutation($id: ID!, $v: Int!) {{ setVulnerabilities(id: $id, expectedVersion: $v, flags: [{flags}]) {{ version }} }}"),
            json!({ "id": id, "v": version }),
        )
        .await;
    assert_ok(&r);
}

async fn isolate(app: &TestApp, token: &str, id: &str) {
    let r = app
        .gql(
            token,
            "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT }) { id } }",
            json!({ "p": id }),
        )
        .await;
    assert_ok(&r);
}

fn rows(response: &Value) -> Vec<Value> {
    assert_ok(response);
    response["data"]["vulnerablePersons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn find<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["person"]["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed in {rows:?}"))
}

#[tokio::test]
async fn the_list_shows_who_is_isolated_and_who_has_supplies_coming() {
    let app = spawn_app().await;
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let civil = app.token(Agency::CivilAffairs, Role::Operator, "DEMO-01-01");
    // A: elderly, then isolated at home: the flow opens a supply task for civil affairs.
    let a = fixtures::register(&app, 951, "独居老人", GRID).await;
    flag(&app, &community, &a.id, "ELDERLY_LIVING_ALONE").await;
    isolate(&app, &community, &a.id).await;
    // B: disabled, not isolated.
    let b = fixtures::register(&app, 952, "残疾居民", GRID).await;
    flag(&app, &community, &b.id, "DISABLED").await;
    // C: isolated, not vulnerable: not on the list.
    let c = fixtures::register(&app, 953, "普通居民", GRID).await;
    isolate(&app, &community, &c.id).await;
    // D: isolated first, flagged after: isolated with no supply task.
    let d = fixtures::register(&app, 954, "低保户", GRID).await;
    isolate(&app, &community, &d.id).await;
    flag(&app, &community, &d.id, "LOW_INCOME, CHRONIC_ILLNESS").await;

    let listed = rows(
        &app.gql(&civil, LIST, json!({ "f": { "orgUnit": GRID } }))
            .await,
    );
    let ids: Vec<&str> = listed
        .iter()
        .map(|r| r["person"]["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&c.id.as_str()), "C is not vulnerable");
    let row_a = find(&listed, &a.id);
    assert_eq!(row_a["underQuarantine"], true);
    assert_eq!(row_a["quarantine"]["kind"], "HOME");
    assert_eq!(row_a["supplyTaskOpen"], true);
    assert_eq!(row_a["supplyTaskStatus"], "OPEN");
    assert_eq!(row_a["supplyTask"]["kind"], "DELIVER_SUPPLIES");
    let row_b = find(&listed, &b.id);
    assert_eq!(row_b["underQuarantine"], false);
    assert!(row_b["quarantine"].is_null());
    assert_eq!(row_b["person"]["vulnerabilities"], json!(["DISABLED"]));
    let row_d = find(&listed, &d.id);
    assert_eq!(row_d["underQuarantine"], true);
    assert_eq!(row_d["supplyTaskOpen"], false);

    // The gap: isolated, nobody bringing supplies.
    let gap = rows(
        &app.gql(
            &civil,
            LIST,
            json!({ "f": { "orgUnit": GRID, "underQuarantine": true, "supplyTaskOpen": false } }),
        )
        .await,
    );
    let gap_ids: Vec<&str> = gap
        .iter()
        .map(|r| r["person"]["id"].as_str().unwrap())
        .collect();
    assert!(
        gap_ids.contains(&d.id.as_str()) && !gap_ids.contains(&a.id.as_str()),
        "{gap_ids:?}"
    );
    let r = app
        .gql(
            &civil,
            LIST,
            json!({ "f": { "orgUnit": GRID, "vulnerability": "CHRONIC_ILLNESS" } }),
        )
        .await;
    assert_eq!(rows(&r).len(), 1);
    assert_eq!(r["data"]["vulnerablePersons"]["totalCount"], 1);

    // Health reads the list; it did not send the supply task, so it sees that one is open
    // but not the task itself.
    let health = app.token(Agency::Health, Role::Operator, "DEMO-01");
    let seen = rows(
        &app.gql(&health, LIST, json!({ "f": { "orgUnit": GRID } }))
            .await,
    );
    let row_a = find(&seen, &a.id);
    assert_eq!(row_a["supplyTaskOpen"], true);
    assert!(row_a["supplyTask"].is_null());

    // Police, the command and analysts have no such list; another street's civil affairs
    // sees none of these residents.
    for token in [
        app.token(Agency::Police, Role::Operator, "DEMO"),
        app.token(Agency::Command, Role::Operator, "DEMO"),
        app.token(Agency::CivilAffairs, Role::Analyst, "DEMO"),
    ] {
        assert!(is_invisible(&app.gql(&token, LIST, json!({})).await));
    }
    let other_street = app.token(Agency::CivilAffairs, Role::Operator, "DEMO-01-02");
    let r = app.gql(&other_street, LIST, json!({ "f": {} })).await;
    assert!(rows(&r)
        .iter()
        .all(|row| ![&a.id, &b.id, &d.id]
            .contains(&&row["person"]["id"].as_str().unwrap().to_owned())));
}
