//! The rules of the workflow through the API: every transition of a case allowed or refused,
//! one open case and one active observation per person, idempotent and partial batches, and
//! bad input refused with nothing written.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, Known, GRID},
    helpers::{assert_ok, error_code, spawn_app, TestApp},
};

const REPORT: &str = "mutation($p: ID!, $c: CaseClassification!) { reportCase(input: { person: { id: $p }, classification: $c }) { id version } }";
const RECLASSIFY: &str = "mutation($id: ID!, $v: Int!, $c: CaseClassification!) { reclassifyCase(id: $id, expectedVersion: $v, classification: $c, reason: \"复核\") { classification open version } }";
const CLOSE: &str = "mutation($id: ID!, $v: Int!, $o: CaseOutcome!) { closeCase(id: $id, expectedVersion: $v, outcome: $o) { outcome open version } }";
const START: &str = "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT }) { id version } }";

const CLASSES: [&str; 4] = ["SUSPECTED", "CONFIRMED", "ASYMPTOMATIC", "EXCLUDED"];
const OUTCOMES: [&str; 3] = ["ACTIVE", "RECOVERED", "DECEASED"];

fn health(app: &TestApp) -> String {
    app.token(Agency::Health, Role::Operator, "DEMO")
}

/// A fresh person with a case of the given classification; returns (case id, version).
async fn case_in(app: &TestApp, n: u16, classification: &str) -> (String, i64) {
    let token = health(app);
    let person = fixtures::register(app, n, "测试病例", GRID).await;
    let initial = if classification == "EXCLUDED" {
        "SUSPECTED"
    } else {
        classification
    };
    let r = app
        .gql(&token, REPORT, json!({ "p": person.id, "c": initial }))
        .await;
    assert_ok(&r);
    let id = r["data"]["reportCase"]["id"].as_str().unwrap().to_owned();
    if classification == "EXCLUDED" {
        let r = app
            .gql(
                &token,
                RECLASSIFY,
                json!({ "id": id, "v": 1, "c": "EXCLUDED" }),
            )
            .await;
        assert_ok(&r);
        return (id, 2);
    }
    (id, 1)
}

/// Written out from DESIGN.md and the issue, independently of the server's table.
fn reclassification_allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("SUSPECTED", "CONFIRMED" | "ASYMPTOMATIC" | "EXCLUDED")
            | ("ASYMPTOMATIC", "CONFIRMED" | "EXCLUDED")
    )
}

#[tokio::test]
async fn every_reclassification_is_allowed_or_refused_naming_both_states() {
    let app = spawn_app().await;
    let token = health(&app);
    let mut n = 400;
    for from in CLASSES {
        for to in CLASSES {
            n += 1;
            let (id, version) = case_in(&app, n, from).await;
            let cases_audited = app
                .count(
                    "SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation reclassifyCase'",
                )
                .await;
            let r = app
                .gql(
                    &token,
                    RECLASSIFY,
                    json!({ "id": id, "v": version, "c": to }),
                )
                .await;
            if reclassification_allowed(from, to) {
                assert_ok(&r);
                assert_eq!(r["data"]["reclassifyCase"]["classification"], to);
                assert_eq!(r["data"]["reclassifyCase"]["open"], to != "EXCLUDED");
            } else {
                assert_eq!(
                    error_code(&r),
                    Some("BAD_USER_INPUT"),
                    "{from} -> {to}: {r}"
                );
                let message = r["errors"][0]["message"].as_str().unwrap();
                assert!(
                    message.contains(from) && message.contains(to),
                    "{from} -> {to}: {message}"
                );
                assert_eq!(
                    app.count("SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation reclassifyCase'").await,
                    cases_audited,
                    "a refused change writes nothing"
                );
            }
        }
    }
}

#[tokio::test]
async fn cases_close_only_from_active_confirmed_or_asymptomatic() {
    let app = spawn_app().await;
    let token = health(&app);
    let mut n = 500;
    for class in CLASSES {
        for outcome in OUTCOMES {
            n += 1;
            let (id, version) = case_in(&app, n, class).await;
            let r = app
                .gql(
                    &token,
                    CLOSE,
                    json!({ "id": id, "v": version, "o": outcome }),
                )
                .await;
            let allowed = matches!(class, "CONFIRMED" | "ASYMPTOMATIC") && outcome != "ACTIVE";
            if allowed {
                assert_ok(&r);
                assert_eq!(r["data"]["closeCase"]["open"], false);
                // Closed is final: neither a second outcome nor a reclassification.
                let again = app
                    .gql(
                        &token,
                        CLOSE,
                        json!({ "id": id, "v": version + 1, "o": "DECEASED" }),
                    )
                    .await;
                assert_eq!(error_code(&again), Some("BAD_USER_INPUT"), "{again}");
                let reclass = app
                    .gql(
                        &token,
                        RECLASSIFY,
                        json!({ "id": id, "v": version + 1, "c": "EXCLUDED" }),
                    )
                    .await;
                assert_eq!(error_code(&reclass), Some("BAD_USER_INPUT"), "{reclass}");
            } else {
                assert_eq!(
                    error_code(&r),
                    Some("BAD_USER_INPUT"),
                    "{class} -> {outcome}: {r}"
                );
                let message = r["errors"][0]["message"].as_str().unwrap();
                assert!(
                    message.contains("ACTIVE") && message.contains(outcome),
                    "{message}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_person_has_at_most_one_open_case() {
    let app = spawn_app().await;
    let token = health(&app);
    let person = fixtures::register(&app, 601, "唯一病例", GRID).await;
    assert_ok(
        &app.gql(&token, REPORT, json!({ "p": person.id, "c": "SUSPECTED" }))
            .await,
    );
    let before = app.count("SELECT COUNT(*) FROM case_record").await;
    let second = app
        .gql(&token, REPORT, json!({ "p": person.id, "c": "CONFIRMED" }))
        .await;
    assert_eq!(error_code(&second), Some("BAD_USER_INPUT"), "{second}");
    assert_eq!(second["errors"][0]["extensions"]["field"], "input.person");
    assert_eq!(app.count("SELECT COUNT(*) FROM case_record").await, before);
    // Concurrent reports for another person: exactly one case.
    let other = fixtures::register(&app, 602, "并发病例", GRID).await;
    let reports =
        (0..6).map(|_| app.gql(&token, REPORT, json!({ "p": other.id, "c": "CONFIRMED" })));
    let results = futures_util::future::join_all(reports).await;
    assert_eq!(
        results.iter().filter(|r| r.get("errors").is_none()).count(),
        1,
        "{results:#?}"
    );
    assert!(results
        .iter()
        .filter(|r| r.get("errors").is_some())
        .all(|r| error_code(r) == Some("BAD_USER_INPUT")));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM case_record WHERE person_id = {}",
            other.id
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn concurrent_quarantine_starts_for_one_person_let_exactly_one_win() {
    let app = spawn_app().await;
    let person = fixtures::register(&app, 611, "隔离对象", GRID).await;
    let tokens: Vec<String> = (0..8)
        .map(|i| {
            app.token_for(
                Agency::Community,
                Role::Operator,
                "DEMO-01-01-01",
                &format!("worker-{i}"),
            )
        })
        .collect();
    let starts = tokens
        .iter()
        .map(|t| app.gql(t, START, json!({ "p": person.id })));
    let results = futures_util::future::join_all(starts).await;
    let winners = results.iter().filter(|r| r.get("errors").is_none()).count();
    assert_eq!(winners, 1, "{results:#?}");
    for refused in results.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(error_code(refused), Some("BAD_USER_INPUT"), "{refused}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM quarantine WHERE person_id = {} AND is_active = TRUE",
            person.id
        ))
        .await,
        1
    );
    // After it ends, a new one may start.
    let q = app
        .gql(
            &tokens[0],
            "{ quarantines(first: 1) { edges { node { id version } } } }",
            json!({}),
        )
        .await;
    let node = &q["data"]["quarantines"]["edges"][0]["node"];
    let end = app
        .gql(
            &tokens[0],
            "mutation($id: ID!, $v: Int!) { endQuarantine(id: $id, expectedVersion: $v, input: { outcome: ABSCONDED }) { active } }",
            json!({ "id": node["id"], "v": node["version"] }),
        )
        .await;
    assert_ok(&end);
    assert_ok(&app.gql(&tokens[1], START, json!({ "p": person.id })).await);
}

/// Row counts of every table a workflow write touches.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "case_record",
        "contact",
        "quarantine",
        "health_check",
        "lab_test",
        "alert",
        "audit_event",
        "person",
    ] {
        out.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    out
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_nothing_is_written() {
    let app = spawn_app().await;
    let token = health(&app);
    let community = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let elsewhere = app.token(Agency::Health, Role::Operator, "DEMO-02");
    let person: Known = fixtures::register(&app, 621, "错误输入", GRID).await;
    let contact_person = fixtures::register(&app, 622, "密接对象", GRID).await;
    let (case_id, _) = case_in(&app, 623, "CONFIRMED").await;
    let (closed_case, _) = case_in(&app, 624, "CONFIRMED").await;
    assert_ok(
        &app.gql(
            &token,
            CLOSE,
            json!({ "id": closed_case, "v": 1, "o": "RECOVERED" }),
        )
        .await,
    );
    // Closed three days ago, so an exposure yesterday comes after it.
    {
        use sea_orm::{prelude::Expr, ColumnTrait, EntityTrait, QueryFilter};
        entity::case::Entity::update_many()
            .col_expr(
                entity::case::Column::ClosedAt,
                Expr::value(Utc::now() - Duration::days(3)),
            )
            .filter(entity::case::Column::Id.eq(closed_case.parse::<i64>().unwrap()))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    let tomorrow = (Utc::now() + Duration::days(2)).date_naive();
    let long_ago = (Utc::now() - Duration::days(30)).date_naive();
    let record = "mutation($input: RecordContactInput!) { recordContact(input: $input) { id } }";
    let q = app
        .gql(&community, START, json!({ "p": contact_person.id }))
        .await;
    let quarantine_id = q["data"]["startQuarantine"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let before = counts(&app).await;
    let cases: Vec<(&str, String, &str, Value, &str)> = vec![
        ("future onset", token.clone(), "mutation($p: ID!, $d: NaiveDate!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED, onsetDate: $d }) { id } }", json!({ "p": person.id, "d": tomorrow }), "BAD_USER_INPUT"),
        ("report as excluded", token.clone(), REPORT, json!({ "p": person.id, "c": "EXCLUDED" }), "BAD_USER_INPUT"),
        ("unknown person", token.clone(), REPORT, json!({ "p": "99999999", "c": "SUSPECTED" }), "NOT_FOUND"),
        ("person outside", elsewhere.clone(), REPORT, json!({ "p": person.id, "c": "SUSPECTED" }), "NOT_FOUND"),
        ("future exposure", token.clone(), record, json!({ "input": { "sourceCase": case_id, "person": { "id": contact_person.id }, "relation": "WORK", "lastExposureDate": tomorrow } }), "BAD_USER_INPUT"),
        ("exposure after closing", token.clone(), record, json!({ "input": { "sourceCase": closed_case, "person": { "id": contact_person.id }, "relation": "WORK", "lastExposureDate": yesterday } }), "BAD_USER_INPUT"),
        ("unknown case", token.clone(), record, json!({ "input": { "sourceCase": "99999999", "person": { "id": contact_person.id }, "relation": "WORK", "lastExposureDate": long_ago } }), "NOT_FOUND"),
        ("case outside", elsewhere.clone(), record, json!({ "input": { "sourceCase": case_id, "person": { "id": contact_person.id }, "relation": "WORK", "lastExposureDate": long_ago } }), "NOT_FOUND"),
        ("stale case version", token.clone(), RECLASSIFY, json!({ "id": case_id, "v": 7, "c": "CONFIRMED" }), "CONFLICT"),
        ("centralized without site", community.clone(), "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: CENTRALIZED, reason: CLOSE_CONTACT }) { id } }", json!({ "p": person.id }), "BAD_USER_INPUT"),
        ("planned end before start", community.clone(), "mutation($p: ID!, $d: NaiveDate!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT, plannedEndDate: $d }) { id } }", json!({ "p": person.id, "d": long_ago }), "BAD_USER_INPUT"),
        ("future start", community.clone(), "mutation($p: ID!, $d: NaiveDate!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT, startDate: $d }) { id } }", json!({ "p": person.id, "d": tomorrow }), "BAD_USER_INPUT"),
        ("second active observation", community.clone(), START, json!({ "p": contact_person.id }), "BAD_USER_INPUT"),
        ("stale observation version", community.clone(), "mutation($id: ID!) { endQuarantine(id: $id, expectedVersion: 9, input: { outcome: ABSCONDED }) { id } }", json!({ "id": quarantine_id }), "CONFLICT"),
        ("release without notice", community.clone(), "mutation($id: ID!) { endQuarantine(id: $id, expectedVersion: 1, input: { outcome: RELEASED }) { id } }", json!({ "id": quarantine_id }), "BAD_USER_INPUT"),
        ("unknown observation", community.clone(), "mutation { endQuarantine(id: \"99999999\", expectedVersion: 1, input: { outcome: ABSCONDED }) { id } }", json!({}), "NOT_FOUND"),
        ("test sampled tomorrow", token.clone(), "mutation($p: ID!, $d: NaiveDate!) { recordLabTest(input: { person: $p, sampleDate: $d, sampleType: BLOOD, result: PENDING, laboratory: \"实验室\" }) { suggestion } }", json!({ "p": person.id, "d": tomorrow }), "BAD_USER_INPUT"),
    ];
    for (why, token, query, variables, code) in cases {
        let r = app.gql(&token, query, variables).await;
        assert_eq!(error_code(&r), Some(code), "{why}: {r}");
        assert!(r["data"].is_null(), "{why}: {r}");
        assert_eq!(counts(&app).await, before, "{why} wrote something");
    }
    // A conflict carries the current version.
    let r = app
        .gql(
            &token,
            RECLASSIFY,
            json!({ "id": case_id, "v": 7, "c": "CONFIRMED" }),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["currentVersion"], 1);
}

#[tokio::test]
async fn batches_are_partial_idempotent_per_recorder_and_bounded() {
    let app = spawn_app().await;
    let worker = app.token_for(
        Agency::Community,
        Role::Operator,
        "DEMO-01-01-01",
        "worker-a",
    );
    let other_worker = app.token_for(
        Agency::Community,
        Role::Operator,
        "DEMO-01-01-01",
        "worker-b",
    );
    let person = fixtures::register(&app, 631, "每日测温", GRID).await;
    let now = Utc::now();
    let batch: Vec<Value> = (0..50)
        .map(|i| {
            // Every fifth item is bad in a different way.
            let temperature = match i % 10 {
                5 => 29.5,
                _ => 36.0 + f64::from(i % 10) / 10.0,
            };
            let measured = if i % 10 == 0 { now + Duration::hours(1) } else { now - Duration::minutes(i64::from(i)) };
            json!({ "idempotencyKey": format!("k-{i}"), "person": person.id, "measuredAt": measured, "temperature": temperature })
        })
        .collect();
    let submit = "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { idempotencyKey status check { id } error { field } } }";
    let statements = app.statements();
    let first = app.gql(&worker, submit, json!({ "c": batch })).await;
    assert_ok(&first);
    let used = app.statements() - statements;
    let results = first["data"]["recordHealthChecks"].as_array().unwrap();
    let recorded = results.iter().filter(|r| r["status"] == "RECORDED").count();
    assert_eq!(recorded, 40, "{first}");
    assert_eq!(
        results.iter().filter(|r| r["status"] == "REJECTED").count(),
        10
    );
    assert_eq!(results[0]["error"]["field"], "checks[0].measuredAt");
    assert_eq!(results[5]["error"]["field"], "checks[5].temperature");
    assert!(used <= 10, "a batch of 50 used {used} SQL statements");

    let again = app.gql(&worker, submit, json!({ "c": batch })).await;
    let replay = again["data"]["recordHealthChecks"].as_array().unwrap();
    assert_eq!(
        replay.iter().filter(|r| r["status"] == "DUPLICATE").count(),
        40
    );
    for (a, b) in results.iter().zip(replay) {
        assert_eq!(a["check"]["id"], b["check"]["id"]);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM health_check").await, 40);

    // The same key from another worker is that worker's own check, not a replay of ours.
    let theirs = app
        .gql(&other_worker, submit, json!({ "c": [batch[1].clone()] }))
        .await;
    assert_eq!(
        theirs["data"]["recordHealthChecks"][0]["status"],
        "RECORDED"
    );

    // A key repeated inside one batch is recorded once.
    let twice = json!([
        { "idempotencyKey": "same", "person": person.id, "measuredAt": now, "temperature": 36.5 },
        { "idempotencyKey": "same", "person": person.id, "measuredAt": now, "temperature": 36.5 },
    ]);
    let r = app.gql(&worker, submit, json!({ "c": twice })).await;
    let statuses: Vec<&str> = r["data"]["recordHealthChecks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["RECORDED", "DUPLICATE"]);

    // Oversized: refused whole, nothing written.
    let before = app.count("SELECT COUNT(*) FROM health_check").await;
    let huge: Vec<Value> = (0..501)
        .map(|i| json!({ "idempotencyKey": format!("h-{i}"), "person": person.id, "measuredAt": now, "temperature": 36.5 }))
        .collect();
    let r = app.gql(&worker, submit, json!({ "c": huge })).await;
    assert_eq!(error_code(&r), Some("LIMIT_EXCEEDED"), "{r}");
    assert_eq!(app.count("SELECT COUNT(*) FROM health_check").await, before);
}
