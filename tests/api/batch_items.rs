//! Per item means per item: in a batch from the field, a malformed item (a time without its
//! offset, a temperature that is not a number, a name that is not the enum's) is rejected on
//! its own with its index, field and the form expected, and the others are recorded; a key
//! resent with other values is refused as KEY_REUSED with the original, never taken for a
//! replay, also when two batches race with one key.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, COMMUNITY, GRID},
    helpers::{assert_ok, TestApp},
};

const CHECKS: &str = "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) {
    idempotencyKey status error { code field message }
    check { id temperature fever measuredAt symptoms } } }";
const ENTRIES: &str =
    "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) {
    idempotencyKey status error { code field message }
    entry { id temperature fever direction vehiclePlate } } }";
/// A checkpoint unit in the police token's district.
const CHECKPOINT_UNIT: &str = "DEMO-02-01";
const INSTANT_FORM: &str = "expected RFC 3339 with an offset, e.g. 2026-12-03T08:30:00+08:00";

fn items<'a>(response: &'a Value, mutation: &str) -> &'a Vec<Value> {
    assert_ok(response);
    response["data"][mutation]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {response}"))
}

fn statuses(results: &[Value]) -> Vec<&str> {
    results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

/// A time as a phone whose clock lost its zone writes it: local, no offset.
fn without_offset(minutes_ago: i64) -> String {
    (Utc::now() - Duration::minutes(minutes_ago))
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

fn check(key: &str, person: &str, minutes_ago: i64, temperature: Value) -> Value {
    json!({ "idempotencyKey": key, "person": person,
            "measuredAt": Utc::now() - Duration::minutes(minutes_ago), "temperature": temperature })
}

/// The instant every entry of this process passed at, unless a test says otherwise: an entry
/// sent again carries the instant it was first sent with (a key is unique per instant).
fn passed_at() -> DateTime<Utc> {
    static AT: OnceLock<DateTime<Utc>> = OnceLock::new();
    *AT.get_or_init(|| Utc::now() - Duration::minutes(5))
}

fn entry(key: &str, extra: Value) -> Value {
    let mut item = json!({
        "idempotencyKey": key,
        "checkpointName": "G60 云州东收费站",
        "checkpoint": CHECKPOINT_UNIT,
        "direction": "INBOUND",
        "passedAt": passed_at(),
        "vehiclePlate": "云A12345",
    });
    if let (Some(item), Some(extra)) = (item.as_object_mut(), extra.as_object()) {
        item.extend(extra.clone());
    }
    item
}

async fn community_worker(app: &TestApp) -> (String, String) {
    let worker = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let person = fixtures::register(app, 811, "离线测温", GRID).await;
    (worker, person.id)
}

#[tokio::test]
async fn an_offline_phones_batch_rejects_only_its_malformed_checks_each_with_index_and_field() {
    let app = crate::helpers::spawn_app().await;
    let (worker, person) = community_worker(&app).await;
    let mut no_offset = check("shift-2", &person, 50, json!(36.6));
    no_offset["measuredAt"] = json!(without_offset(50));
    let mut bad_symptom = check("shift-5", &person, 20, json!(36.7));
    bad_symptom["symptoms"] = json!(["COUGH", "SNEEZING"]);
    let mut a_date = check("shift-6", &person, 10, json!(36.7));
    a_date["measuredAt"] = json!(Utc::now().date_naive().to_string());
    let batch = json!([
        check("shift-0", &person, 70, json!(36.5)),
        // A temperature as text reads as its number.
        check("shift-1", &person, 60, json!("36.8")),
        no_offset,
        check("shift-3", &person, 40, json!("36,9")),
        check("shift-4", &person, 30, json!(true)),
        bad_symptom,
        a_date,
        check("shift-7", &person, 5, json!(38.4)),
        check("shift-8", "not-an-id", 4, json!(36.6)),
    ]);
    let response = app.gql_en(&worker, CHECKS, json!({ "c": batch })).await;
    let results = items(&response, "recordHealthChecks");
    assert_eq!(
        statuses(results),
        [
            "RECORDED", "RECORDED", "REJECTED", "REJECTED", "REJECTED", "REJECTED", "REJECTED",
            "RECORDED", "REJECTED"
        ],
        "{response}"
    );
    assert_eq!(results[1]["check"]["temperature"], 36.8);
    assert_eq!(results[7]["check"]["fever"], true);
    assert_eq!(results[8]["error"]["field"], "checks[8].person");
    assert_eq!(results[8]["error"]["message"], "not a valid id");

    let error = |i: usize| &results[i]["error"];
    assert_eq!(error(2)["code"], "BAD_USER_INPUT");
    assert_eq!(error(2)["field"], "checks[2].measuredAt");
    let message = error(2)["message"].as_str().unwrap();
    assert!(message.contains("has no offset"), "{message}");
    assert!(message.ends_with(INSTANT_FORM), "{message}");
    assert!(
        message.contains(&without_offset(50)[..10]),
        "the value is named: {message}"
    );
    assert!(results[2]["check"].is_null());

    assert_eq!(error(3)["field"], "checks[3].temperature");
    assert_eq!(
        error(3)["message"],
        "\"36,9\" is not a number: expected °C as a number with at most one decimal, e.g. 36.8"
    );
    assert_eq!(error(4)["field"], "checks[4].temperature");
    assert!(error(4)["message"]
        .as_str()
        .unwrap()
        .starts_with("true is not a number"));
    assert_eq!(error(5)["field"], "checks[5].symptoms[1]");
    let message = error(5)["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "\"SNEEZING\" is not a value of this field: expected one of COUGH, SORE_THROAT"
        ),
        "{message}"
    );
    assert_eq!(error(6)["field"], "checks[6].measuredAt");
    assert!(error(6)["message"]
        .as_str()
        .unwrap()
        .contains("is a date without a time"));

    assert_eq!(app.count("SELECT COUNT(*) FROM health_check").await, 3);

    // The phone fixes its clock and resends the rejected ones: now they go in.
    let mut fixed = check("shift-2", &person, 50, json!(36.6));
    fixed["measuredAt"] = json!(format!("{}+00:00", without_offset(50)));
    let response = app.gql_en(&worker, CHECKS, json!({ "c": [fixed] })).await;
    assert_eq!(
        statuses(items(&response, "recordHealthChecks")),
        ["RECORDED"]
    );
}

#[tokio::test]
async fn values_written_inline_in_the_query_are_checked_per_item_too() {
    let app = crate::helpers::spawn_app().await;
    let (worker, person) = community_worker(&app).await;
    let good = (Utc::now() - Duration::minutes(3)).to_rfc3339();
    let query = format!(
        r#"mutation {{ recordHealthChecks(checks: [
            {{ idempotencyKey: "inline-0", person: "{person}", measuredAt: "{good}", temperature: 36.6, symptoms: [FATIGUE] }},
            {{ idempotencyKey: "inline-1", person: "{person}", measuredAt: "{local}", temperature: 36.6 }},
            {{ idempotencyKey: "inline-2", person: "{person}", measuredAt: "{good}", temperature: 36.6, symptoms: [HICCUPS] }},
            {{ idempotencyKey: "inline-3", person: "{person}", measuredAt: 1764750600, temperature: 36.6 }}
        ]) {{ status error {{ code field message }} }} }}"#,
        local = without_offset(4),
    );
    let response = app.gql_en(&worker, &query, json!({})).await;
    let results = items(&response, "recordHealthChecks");
    assert_eq!(
        statuses(results),
        ["RECORDED", "REJECTED", "REJECTED", "REJECTED"]
    );
    assert_eq!(results[1]["error"]["field"], "checks[1].measuredAt");
    assert_eq!(results[2]["error"]["field"], "checks[2].symptoms[0]");
    assert!(results[2]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("HICCUPS is not a value of this field"));
    assert_eq!(results[3]["error"]["field"], "checks[3].measuredAt");
    assert!(results[3]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("1764750600 is a number, not a timestamp"));
}

#[tokio::test]
async fn a_fever_resent_under_a_normal_readings_key_is_refused_with_the_original_not_dropped() {
    let app = crate::helpers::spawn_app().await;
    let (worker, person) = community_worker(&app).await;
    let normal = check("morning", &person, 30, json!(36.5));
    let first = app
        .gql_en(&worker, CHECKS, json!({ "c": [normal.clone()] }))
        .await;
    let original = items(&first, "recordHealthChecks")[0]["check"].clone();
    assert_eq!(original["temperature"], 36.5);

    // The same key, the same check: a replay.
    let again = app
        .gql_en(&worker, CHECKS, json!({ "c": [normal.clone()] }))
        .await;
    let replay = &items(&again, "recordHealthChecks")[0];
    assert_eq!(replay["status"], "DUPLICATE");
    assert!(replay["error"].is_null());
    assert_eq!(replay["check"]["id"], original["id"]);

    // The same instant written in another zone is the same check.
    let instant = chrono::DateTime::parse_from_rfc3339(normal["measuredAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let mut in_beijing = normal.clone();
    in_beijing["measuredAt"] = json!(instant.to_rfc3339());
    let zoned = app
        .gql_en(&worker, CHECKS, json!({ "c": [in_beijing] }))
        .await;
    assert_eq!(statuses(items(&zoned, "recordHealthChecks")), ["DUPLICATE"]);

    // The same key with a fever: refused on its own, the client told, the original returned.
    let mut fever = normal.clone();
    fever["temperature"] = json!(39.0);
    let resent = app
        .gql_en(
            &worker,
            CHECKS,
            json!({ "c": [check("noon", &person, 10, json!(36.7)), fever] }),
        )
        .await;
    let results = items(&resent, "recordHealthChecks");
    assert_eq!(statuses(results), ["RECORDED", "KEY_REUSED"]);
    let reused = &results[1];
    assert_eq!(reused["idempotencyKey"], "morning");
    assert_eq!(reused["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(reused["error"]["field"], "checks[1].idempotencyKey");
    let message = reused["error"]["message"].as_str().unwrap();
    assert!(message.contains("different temperature"), "{message}");
    assert_eq!(reused["check"]["id"], original["id"]);
    assert_eq!(reused["check"]["temperature"], 36.5);
    assert_eq!(reused["check"]["fever"], false);
    assert_eq!(app.count("SELECT COUNT(*) FROM health_check").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM health_check WHERE fever")
            .await,
        0,
        "nothing was written under the reused key"
    );

    // Twice in one batch with different readings: the first is recorded, the second refused.
    let evening = check("evening", &person, 2, json!(36.6));
    let mut feverish = evening.clone();
    feverish["temperature"] = json!(38.9);
    let twice = json!([evening.clone(), feverish, evening]);
    let response = app.gql_en(&worker, CHECKS, json!({ "c": twice })).await;
    let results = items(&response, "recordHealthChecks");
    assert_eq!(statuses(results), ["RECORDED", "KEY_REUSED", "DUPLICATE"]);
    assert_eq!(results[1]["check"]["id"], results[0]["check"]["id"]);
    assert_eq!(results[1]["check"]["temperature"], 36.6);
    assert_eq!(results[1]["error"]["field"], "checks[1].idempotencyKey");
    assert_eq!(app.count("SELECT COUNT(*) FROM health_check").await, 3);
}

#[tokio::test]
async fn two_batches_racing_with_one_key_write_one_check_and_tell_the_other() {
    let app = crate::helpers::spawn_app().await;
    let (worker, person) = community_worker(&app).await;
    for round in 0..4 {
        let key = format!("race-{round}");
        let normal = check(&key, &person, 30, json!(36.5));
        let mut other = normal.clone();
        // Half the rounds race the same check, half a different one.
        if round % 2 == 1 {
            other["temperature"] = json!(39.1);
        }
        let (a, b) = tokio::join!(
            app.gql_en(&worker, CHECKS, json!({ "c": [normal] })),
            app.gql_en(&worker, CHECKS, json!({ "c": [other] })),
        );
        let (a, b) = (
            &items(&a, "recordHealthChecks")[0],
            &items(&b, "recordHealthChecks")[0],
        );
        let (winner, loser) = if a["status"] == "RECORDED" {
            (a, b)
        } else {
            (b, a)
        };
        assert_eq!(winner["status"], "RECORDED", "{a} {b}");
        let expected = if round % 2 == 1 {
            "KEY_REUSED"
        } else {
            "DUPLICATE"
        };
        assert_eq!(loser["status"], expected, "{a} {b}");
        assert_eq!(loser["check"]["id"], winner["check"]["id"]);
        assert_eq!(
            loser["check"]["temperature"],
            winner["check"]["temperature"]
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM health_check").await, 4);
}

#[tokio::test]
async fn a_checkpoint_batch_rejects_only_its_malformed_entries_and_refuses_a_reused_key() {
    let app = crate::helpers::spawn_app().await;
    let police = app.token(Agency::Police, Role::Operator, "DEMO-02");
    let batch = json!([
        entry("g60-0", json!({ "temperature": 36.5 })),
        entry("g60-1", json!({ "passedAt": without_offset(20) })),
        entry("g60-2", json!({ "direction": "SIDEWAYS" })),
        entry("g60-3", json!({ "temperature": "warm" })),
        entry(
            "g60-4",
            json!({ "traveller": { "name": "张三", "documentType": "LIBRARY_CARD", "documentNumber": "X1" } })
        ),
        entry(
            "g60-5",
            json!({ "traveller": { "name": "张三", "documentNumber": "12345" } })
        ),
        entry(
            "g60-6",
            json!({ "temperature": "37.8", "direction": "OUTBOUND" })
        ),
        entry("g60-8", json!({ "person": "abc" })),
    ]);
    let response = app.gql_en(&police, ENTRIES, json!({ "e": batch })).await;
    let results = items(&response, "recordCheckpointEntries");
    assert_eq!(
        statuses(results),
        [
            "RECORDED", "REJECTED", "REJECTED", "REJECTED", "REJECTED", "REJECTED", "RECORDED",
            "REJECTED"
        ],
        "{response}"
    );
    let error = |i: usize| &results[i]["error"];
    assert_eq!(error(7)["field"], "entries[7].person");
    assert_eq!(error(7)["message"], "not a valid id");
    assert_eq!(error(1)["field"], "entries[1].passedAt");
    assert!(error(1)["message"]
        .as_str()
        .unwrap()
        .ends_with(INSTANT_FORM));
    assert_eq!(error(2)["field"], "entries[2].direction");
    assert_eq!(
        error(2)["message"],
        "\"SIDEWAYS\" is not a value of this field: expected one of INBOUND, OUTBOUND"
    );
    assert_eq!(error(3)["field"], "entries[3].temperature");
    assert!(error(3)["message"]
        .as_str()
        .unwrap()
        .starts_with("\"warm\" is not a number"));
    assert_eq!(error(4)["field"], "entries[4].traveller.documentType");
    assert!(error(4)["message"]
        .as_str()
        .unwrap()
        .contains("expected one of RESIDENT_ID, PASSPORT"));
    assert_eq!(error(5)["field"], "entries[5].traveller.documentNumber");
    for i in 1..6 {
        assert_eq!(error(i)["code"], "BAD_USER_INPUT");
    }
    assert_eq!(results[6]["entry"]["temperature"], 37.8);
    assert_eq!(results[6]["entry"]["direction"], "OUTBOUND");
    assert_eq!(app.count("SELECT COUNT(*) FROM checkpoint_entry").await, 2);

    // The 36.5 entry's key resent with a fever: refused, the original returned.
    let fever = entry("g60-0", json!({ "temperature": 39.0 }));
    let response = app.gql_en(&police, ENTRIES, json!({ "e": [fever] })).await;
    let reused = &items(&response, "recordCheckpointEntries")[0];
    assert_eq!(reused["status"], "KEY_REUSED", "{response}");
    assert_eq!(reused["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(reused["error"]["field"], "entries[0].idempotencyKey");
    assert!(reused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("temperature"));
    assert_eq!(reused["entry"]["id"], results[0]["entry"]["id"]);
    assert_eq!(reused["entry"]["temperature"], 36.5);
    assert_eq!(reused["entry"]["fever"], false);

    // Twice in one batch, and the same entry again: KEY_REUSED, then DUPLICATE.
    let lorry = entry("g60-7", json!({ "vehiclePlate": "云B54321" }));
    let mut other_lorry = lorry.clone();
    other_lorry["vehiclePlate"] = json!("云B99999");
    let twice = json!([lorry.clone(), other_lorry]);
    let response = app.gql_en(&police, ENTRIES, json!({ "e": twice })).await;
    let results = items(&response, "recordCheckpointEntries");
    assert_eq!(statuses(results), ["RECORDED", "KEY_REUSED"]);
    assert!(results[1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("vehiclePlate"));
    assert_eq!(results[1]["entry"]["vehiclePlate"], "云B54321");
    let response = app.gql_en(&police, ENTRIES, json!({ "e": [lorry] })).await;
    let again = &items(&response, "recordCheckpointEntries")[0];
    assert_eq!(again["status"], "DUPLICATE");
    assert_eq!(again["entry"]["id"], results[0]["entry"]["id"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM checkpoint_entry").await, 3);
}

#[tokio::test]
async fn two_checkpoint_batches_racing_with_one_key_write_one_entry() {
    let app = crate::helpers::spawn_app().await;
    let police = app.token(Agency::Police, Role::Operator, "DEMO-02");
    for round in 0..4 {
        let key = format!("race-{round}");
        let one = entry(&key, json!({ "temperature": 36.5 }));
        let mut other = one.clone();
        if round % 2 == 1 {
            other["temperature"] = json!(38.8);
        }
        let (a, b) = tokio::join!(
            app.gql_en(&police, ENTRIES, json!({ "e": [one] })),
            app.gql_en(&police, ENTRIES, json!({ "e": [other] })),
        );
        let (a, b) = (
            &items(&a, "recordCheckpointEntries")[0],
            &items(&b, "recordCheckpointEntries")[0],
        );
        let (winner, loser) = if a["status"] == "RECORDED" {
            (a, b)
        } else {
            (b, a)
        };
        assert_eq!(winner["status"], "RECORDED", "{a} {b}");
        let expected = if round % 2 == 1 {
            "KEY_REUSED"
        } else {
            "DUPLICATE"
        };
        assert_eq!(loser["status"], expected, "{a} {b}");
        assert_eq!(loser["entry"]["id"], winner["entry"]["id"]);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM checkpoint_entry").await, 4);
}

/// A key is unique per user and instant (the tables are partitioned by the instant): the same
/// key at another instant is another check or passage, recorded; at the same instant with other
/// values it is still KEY_REUSED, and the same item again still DUPLICATE.
#[tokio::test]
async fn a_key_at_another_instant_is_another_item() {
    let app = crate::helpers::spawn_app().await;
    let (worker, person) = community_worker(&app).await;
    let morning = check("daily", &person, 24 * 60, json!(36.5));
    let today = check("daily", &person, 10, json!(36.7));
    let first = app
        .gql_en(&worker, CHECKS, json!({ "c": [morning.clone()] }))
        .await;
    let second = app
        .gql_en(&worker, CHECKS, json!({ "c": [today.clone()] }))
        .await;
    let (first, second) = (
        &items(&first, "recordHealthChecks")[0],
        &items(&second, "recordHealthChecks")[0],
    );
    assert_eq!(
        (&first["status"], &second["status"]),
        (&json!("RECORDED"), &json!("RECORDED"))
    );
    assert_ne!(first["check"]["id"], second["check"]["id"]);
    let mut feverish = today.clone();
    feverish["temperature"] = json!(38.8);
    let response = app
        .gql_en(&worker, CHECKS, json!({ "c": [today, feverish, morning] }))
        .await;
    let results = items(&response, "recordHealthChecks");
    assert_eq!(statuses(results), ["DUPLICATE", "KEY_REUSED", "KEY_REUSED"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM health_check WHERE idempotency_key = 'daily'")
            .await,
        2
    );

    let police = app.token(Agency::Police, Role::Operator, "DEMO-02");
    let mut earlier = entry("gate-1", json!({}));
    earlier["passedAt"] = json!(Utc::now() - Duration::hours(30));
    let later = entry("gate-1", json!({}));
    for item in [earlier.clone(), later, earlier] {
        let response = app.gql_en(&police, ENTRIES, json!({ "e": [item] })).await;
        items(&response, "recordCheckpointEntries");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM checkpoint_entry WHERE idempotency_key = 'gate-1'")
            .await,
        2
    );
}
