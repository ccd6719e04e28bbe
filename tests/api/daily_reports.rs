//! Daily reports: figures computed from the records, exact on a constructed day; the
//! community's confirmation; who has confirmed, unit by unit.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, COMMUNITY, GRID, OTHER_DISTRICT},
    helpers::{assert_ok, error_code, is_invisible, local_today, spawn_app, TestApp},
};

/// The street of COMMUNITY.
const STREET: &str = "DEMO-01-01";
const OTHER_COMMUNITY: &str = "DEMO-01-01-02";
const OTHER_DISTRICT_GRID: &str = "DEMO-02-01-01-01";

pub const FIGURES: &str = "figures { newCases { suspected confirmed asymptomatic excluded total }
    newContacts activeQuarantines quarantinesStarted quarantinesEnded checksDue checksRecorded
    checksMissed fevers checkpointArrivals riskAreaArrivals tasksOpened tasksClosed openTasks }";

pub fn report_query() -> String {
    format!(
        "query($u: String, $d: NaiveDate) {{ dailyReport(orgUnit: $u, date: $d) {{ orgUnit {{ code }} date {FIGURES}
        confirmation {{ confirmedBy note version changedSinceConfirmation {FIGURES} }} }} }}"
    )
}

pub fn confirm_mutation() -> String {
    format!(
        "mutation($u: String!, $d: NaiveDate!, $n: String, $v: Int) {{ confirmDailyReport(orgUnit: $u, date: $d, note: $n, expectedVersion: $v) {{
        date {FIGURES} confirmation {{ confirmedBy note version changedSinceConfirmation {FIGURES} }} }} }}"
    )
}

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let r = app.gql(token, query, variables).await;
    assert_ok(&r);
    r["data"].clone()
}

/// Figures with every count zero but those given.
pub fn figures(counts: &[(&str, i64)]) -> Value {
    let mut f = json!({
        "newCases": { "suspected": 0, "confirmed": 0, "asymptomatic": 0, "excluded": 0, "total": 0 },
        "newContacts": 0, "activeQuarantines": 0, "quarantinesStarted": 0, "quarantinesEnded": 0,
        "checksDue": 0, "checksRecorded": 0, "checksMissed": 0, "fevers": 0,
        "checkpointArrivals": 0, "riskAreaArrivals": 0, "tasksOpened": 0, "tasksClosed": 0,
        "openTasks": 0,
    });
    for (name, n) in counts {
        match name.strip_prefix("newCases.") {
            Some(class) => f["newCases"][class] = json!(n),
            None => f[*name] = json!(n),
        }
    }
    f
}

#[tokio::test]
async fn the_figures_are_exact_for_a_constructed_day() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let today = local_today();
    let now = Utc::now();

    let a = fixtures::register(&app, 701, "甲病例", GRID).await;
    let b = fixtures::register(&app, 702, "乙病例", GRID).await;
    let c = fixtures::register(&app, 703, "丙接触", GRID).await;
    let d = fixtures::register(&app, 704, "丁隔离", GRID).await;
    let e = fixtures::register(&app, 705, "戊寻人", GRID).await;
    let f = fixtures::register(&app, 706, "己待查", GRID).await;
    // Elsewhere: must not count.
    let far = fixtures::register(&app, 707, "远方病例", OTHER_DISTRICT_GRID).await;

    let report_case = "mutation($p: ID!, $c: CaseClassification!) { reportCase(input: { person: { id: $p }, classification: $c }) { id } }";
    let case_a = ok(
        &app,
        &health,
        report_case,
        json!({ "p": a.id, "c": "SUSPECTED" }),
    )
    .await;
    ok(
        &app,
        &health,
        report_case,
        json!({ "p": b.id, "c": "CONFIRMED" }),
    )
    .await;
    ok(
        &app,
        &health,
        report_case,
        json!({ "p": far.id, "c": "CONFIRMED" }),
    )
    .await;
    ok(&app, &health, "mutation($c: ID!, $p: ID!, $d: NaiveDate!) { recordContact(input: { sourceCase: $c, person: { id: $p }, relation: HOUSEHOLD, lastExposureDate: $d }) { id } }",
        json!({ "c": case_a["reportCase"]["id"], "p": c.id, "d": today - Duration::days(1) })).await;
    let start = "mutation($p: ID!) { startQuarantine(input: { person: $p, kind: HOME, reason: CLOSE_CONTACT }) { id } }";
    ok(&app, &community, start, json!({ "p": c.id })).await;
    let q_d = ok(&app, &community, start, json!({ "p": d.id })).await;
    ok(&app, &community, "mutation($id: ID!) { endQuarantine(id: $id, expectedVersion: 1, input: { outcome: TRANSFERRED_TO_HOSPITAL }) { active } }",
        json!({ "id": q_d["startQuarantine"]["id"] })).await;
    // C: one check today, feverish; one yesterday (another day).
    ok(&app, &community, "mutation($k: [HealthCheckInput!]!) { recordHealthChecks(checks: $k) { status } }",
        json!({ "k": [
            { "idempotencyKey": "dr-1", "person": c.id, "measuredAt": now - Duration::minutes(1), "temperature": 38.2 },
            { "idempotencyKey": "dr-2", "person": c.id, "measuredAt": now - Duration::days(1), "temperature": 36.5 },
        ] })).await;
    // Two arrivals heading for the grid (one from a risk area), one leaving.
    let entries = json!([
        { "idempotencyKey": "dr-e1", "checkpointName": "东站", "checkpoint": STREET, "direction": "INBOUND",
          "passedAt": now - Duration::minutes(1), "destination": GRID, "fromPlace": "澜海市", "traveller": { "name": "旅客一" } },
        { "idempotencyKey": "dr-e2", "checkpointName": "东站", "checkpoint": STREET, "direction": "INBOUND",
          "passedAt": now - Duration::minutes(1), "destination": GRID, "fromPlace": "云州市", "traveller": { "name": "旅客二" } },
        { "idempotencyKey": "dr-e3", "checkpointName": "东站", "checkpoint": STREET, "direction": "OUTBOUND",
          "passedAt": now - Duration::minutes(1), "destination": GRID, "traveller": { "name": "旅客三" } },
    ]);
    let recorded = ok(&app, &police, "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) { status } }", json!({ "e": entries })).await;
    assert!(
        recorded["recordCheckpointEntries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "RECORDED"),
        "{recorded}"
    );
    // Two tasks about residents: one stays open, one is cancelled the same day.
    let create = "mutation($p: ID!) { createTask(input: { kind: LOCATE_PERSON, person: $p, toAgency: POLICE, toOrgUnit: \"DEMO-01\" }) { id version } }";
    ok(&app, &community, create, json!({ "p": e.id })).await;
    let cancelled = ok(&app, &community, create, json!({ "p": f.id })).await;
    ok(
        &app,
        &community,
        "mutation($id: ID!) { cancelTask(id: $id, expectedVersion: 1) { status } }",
        json!({ "id": cancelled["createTask"]["id"] }),
    )
    .await;

    let expected = figures(&[
        ("newCases.suspected", 1),
        ("newCases.confirmed", 1),
        ("newCases.total", 2),
        ("newContacts", 1),
        ("activeQuarantines", 1),
        ("quarantinesStarted", 2),
        ("quarantinesEnded", 1),
        ("checksDue", 2),
        ("checksRecorded", 1),
        ("checksMissed", 1),
        ("fevers", 1),
        ("checkpointArrivals", 2),
        ("riskAreaArrivals", 1),
        ("tasksOpened", 2),
        ("tasksClosed", 1),
        ("openTasks", 1),
    ]);
    let query = report_query();
    for unit in [GRID, COMMUNITY, STREET] {
        let data = ok(
            &app,
            &community_or_street(&app, unit),
            &query,
            json!({ "u": unit, "d": today }),
        )
        .await;
        assert_eq!(data["dailyReport"]["figures"], expected, "{unit}");
    }
    // Today is the default day; a community's own unit the default unit.
    let data = ok(&app, &community, &query, json!({})).await;
    assert_eq!(data["dailyReport"]["orgUnit"]["code"], COMMUNITY);
    assert_eq!(data["dailyReport"]["date"], today.to_string());
    assert_eq!(data["dailyReport"]["figures"], expected);
    assert!(data["dailyReport"]["confirmation"].is_null());
    // Yesterday: only the observation C's earlier check belongs to it, and nobody was
    // under observation then.
    let data = ok(
        &app,
        &community,
        &query,
        json!({ "d": today - Duration::days(1) }),
    )
    .await;
    assert_eq!(
        data["dailyReport"]["figures"],
        figures(&[("checksRecorded", 1)])
    );
    // The neighbouring community: nothing.
    let neighbour = app.token(Agency::Community, Role::Operator, OTHER_COMMUNITY);
    let data = ok(&app, &neighbour, &query, json!({})).await;
    assert_eq!(data["dailyReport"]["figures"], figures(&[]));
    // The city adds the case in the other district.
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    let data = ok(&app, &command, &query, json!({ "u": "DEMO" })).await;
    assert_eq!(data["dailyReport"]["figures"]["newCases"]["confirmed"], 2);
    assert_eq!(data["dailyReport"]["figures"]["newCases"]["total"], 3);

    // One statement for the figures, one for the confirmation.
    let before = app.statements();
    ok(&app, &community, &query, json!({})).await;
    assert!(
        app.statements() - before <= 3,
        "{}",
        app.statements() - before
    );
}

fn community_or_street(app: &TestApp, unit: &str) -> String {
    match unit {
        STREET => app.token(Agency::Community, Role::Operator, STREET),
        _ => app.token(Agency::Community, Role::Operator, COMMUNITY),
    }
}

#[tokio::test]
async fn a_community_confirms_its_own_day_and_the_street_sees_who_has_not() {
    let app = spawn_app().await;
    let community = app.token_for(Agency::Community, Role::Operator, COMMUNITY, "cw-001");
    let neighbour = app.token(Agency::Community, Role::Operator, OTHER_COMMUNITY);
    let today = local_today();
    let confirm = confirm_mutation();
    let audit_before = app.count("SELECT COUNT(*) FROM audit_event").await;

    // Refusals, each writing nothing.
    let refusals = [
        // Another community's report.
        (
            &neighbour,
            json!({ "u": COMMUNITY, "d": today }),
            "FORBIDDEN",
        ),
        // A grid worker of the community is not the community.
        (
            &app.token(Agency::Community, Role::Operator, GRID),
            json!({ "u": COMMUNITY, "d": today }),
            "FORBIDDEN",
        ),
        // The street office does not confirm for its communities.
        (
            &app.token(Agency::Community, Role::Operator, STREET),
            json!({ "u": COMMUNITY, "d": today }),
            "FORBIDDEN",
        ),
        // Only communities confirm.
        (
            &app.token(Agency::Community, Role::Operator, STREET),
            json!({ "u": STREET, "d": today }),
            "BAD_USER_INPUT",
        ),
        // Not a day that has not happened.
        (
            &community,
            json!({ "u": COMMUNITY, "d": today + Duration::days(2) }),
            "BAD_USER_INPUT",
        ),
        // Not an unknown unit, nor a blank note, nor a version of nothing.
        (
            &community,
            json!({ "u": "NOPE", "d": today }),
            "BAD_USER_INPUT",
        ),
        (
            &community,
            json!({ "u": COMMUNITY, "d": today, "n": "  " }),
            "BAD_USER_INPUT",
        ),
        (
            &community,
            json!({ "u": COMMUNITY, "d": today, "v": 1 }),
            "BAD_USER_INPUT",
        ),
    ];
    for (token, variables, code) in &refusals {
        let r = app.gql(token, &confirm, variables.clone()).await;
        assert_eq!(error_code(&r), Some(*code), "{variables}: {r}");
    }
    // Other agencies and roles do not have the mutation at all.
    for token in [
        app.token(Agency::Health, Role::Operator, COMMUNITY),
        app.token(Agency::Command, Role::Operator, "DEMO"),
        app.token(Agency::Community, Role::Analyst, COMMUNITY),
    ] {
        let r = app
            .gql(&token, &confirm, json!({ "u": COMMUNITY, "d": today }))
            .await;
        assert!(is_invisible(&r), "{r}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM daily_report").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event").await,
        audit_before
    );

    // A zero day is confirmed like any other.
    let data = ok(
        &app,
        &community,
        &confirm,
        json!({ "u": COMMUNITY, "d": today, "n": "平安无事" }),
    )
    .await;
    let confirmation = &data["confirmDailyReport"]["confirmation"];
    assert_eq!(confirmation["confirmedBy"], "cw-001");
    assert_eq!(confirmation["note"], "平安无事");
    assert_eq!(confirmation["version"], 1);
    assert_eq!(confirmation["changedSinceConfirmation"], false);
    assert_eq!(confirmation["figures"], figures(&[]));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation confirmDailyReport' AND entity_type = 'DailyReport'").await,
        1
    );
    // Confirming again without the version read is a conflict, with the current version.
    let r = app
        .gql(&community, &confirm, json!({ "u": COMMUNITY, "d": today }))
        .await;
    assert_eq!(error_code(&r), Some("CONFLICT"), "{r}");
    assert_eq!(r["errors"][0]["extensions"]["currentVersion"], 1);

    // A late record changes the day: the report says so until confirmed again.
    let person = fixtures::register(&app, 721, "晚到病例", GRID).await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    ok(&app, &health, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED }) { id } }", json!({ "p": person.id })).await;
    let data = ok(&app, &community, &report_query(), json!({})).await;
    let report = &data["dailyReport"];
    assert_eq!(report["confirmation"]["changedSinceConfirmation"], true);
    assert_eq!(report["confirmation"]["figures"]["newCases"]["total"], 0);
    assert_eq!(report["figures"]["newCases"]["total"], 1);
    let data = ok(
        &app,
        &community,
        &confirm,
        json!({ "u": COMMUNITY, "d": today, "n": "新增疑似一例", "v": 1 }),
    )
    .await;
    let confirmation = &data["confirmDailyReport"]["confirmation"];
    assert_eq!(confirmation["version"], 2);
    assert_eq!(confirmation["changedSinceConfirmation"], false);
    assert_eq!(confirmation["figures"]["newCases"]["suspected"], 1);

    // Yesterday too, late.
    ok(
        &app,
        &community,
        &confirm,
        json!({ "u": COMMUNITY, "d": today - Duration::days(1) }),
    )
    .await;

    // The street office's evening view.
    let status = "query($u: String, $d: NaiveDate) { dailyReportStatus(orgUnit: $u, date: $d) {
        orgUnit { code } communities confirmed notConfirmed(first: 100) { code level }
        children { orgUnit { code level } communities confirmed confirmedAt } } }";
    let street = app.token(Agency::Community, Role::Operator, STREET);
    let data = ok(&app, &street, status, json!({})).await;
    let s = &data["dailyReportStatus"];
    let children = s["children"].as_array().unwrap();
    assert!(children.len() >= 2, "{s}");
    assert_eq!(s["communities"], children.len());
    assert_eq!(s["confirmed"], 1);
    let mine = children
        .iter()
        .find(|c| c["orgUnit"]["code"] == COMMUNITY)
        .unwrap();
    assert_eq!(mine["confirmed"], 1);
    assert!(mine["confirmedAt"].is_string());
    let missing: Vec<&str> = s["notConfirmed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert!(!missing.contains(&COMMUNITY) && missing.contains(&OTHER_COMMUNITY));
    assert_eq!(missing.len(), children.len() - 1);
    // The neighbour confirms; the command sees the city's count move.
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    let before =
        ok(&app, &command, status, json!({ "u": "DEMO" })).await["dailyReportStatus"].clone();
    ok(
        &app,
        &neighbour,
        &confirm,
        json!({ "u": OTHER_COMMUNITY, "d": today }),
    )
    .await;
    let after =
        ok(&app, &command, status, json!({ "u": "DEMO" })).await["dailyReportStatus"].clone();
    assert_eq!(after["confirmed"], 2);
    assert_eq!(before["confirmed"], 1);
    assert_eq!(
        after["communities"],
        app.count("SELECT COUNT(*) FROM org_unit WHERE level = 'COMMUNITY'")
            .await
    );
    let districts: i64 = after["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["confirmed"].as_i64().unwrap())
        .sum();
    assert_eq!(districts, 2);
    // Yesterday: only the one community.
    let data = ok(
        &app,
        &street,
        status,
        json!({ "d": today - Duration::days(1) }),
    )
    .await;
    assert_eq!(data["dailyReportStatus"]["confirmed"], 1);
}

#[tokio::test]
async fn who_sees_reports_and_where() {
    let app = spawn_app().await;
    let today = local_today();
    let query = "query($u: String) { dailyReport(orgUnit: $u) { figures { newContacts } } }";
    let with_confirmation =
        "query($u: String) { dailyReport(orgUnit: $u) { confirmation { note } } }";
    // Every agency's operators read reports in their jurisdiction, with the confirmation.
    for agency in [
        Agency::Health,
        Agency::Police,
        Agency::CivilAffairs,
        Agency::Community,
        Agency::Command,
    ] {
        let token = app.token(agency, Role::Operator, STREET);
        ok(&app, &token, query, json!({ "u": COMMUNITY })).await;
        ok(&app, &token, with_confirmation, json!({ "u": COMMUNITY })).await;
        ok(
            &app,
            &token,
            "{ dailyReportStatus { confirmed } }",
            json!({}),
        )
        .await;
        // Outside it: refused.
        for q in [
            query,
            "query($u: String) { dailyReportStatus(orgUnit: $u) { confirmed } }",
        ] {
            let r = app.gql(&token, q, json!({ "u": OTHER_DISTRICT })).await;
            assert_eq!(error_code(&r), Some("FORBIDDEN"), "{agency:?} {r}");
        }
    }
    // Analysts see the figures, not who confirmed nor their note, and a small count as "<5".
    let analyst = app.token(Agency::Health, Role::Analyst, "DEMO");
    ok(&app, &analyst, query, json!({ "u": COMMUNITY })).await;
    let person = fixtures::register(&app, 731, "小数目", GRID).await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    ok(&app, &health, "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: SUSPECTED }) { id } }", json!({ "p": person.id })).await;
    let cases = "query($u: String) { dailyReport(orgUnit: $u) { figures { newCases { total } newContacts } } }";
    let seen = ok(&app, &analyst, cases, json!({ "u": COMMUNITY })).await;
    assert_eq!(seen["dailyReport"]["figures"]["newCases"]["total"], "<5");
    assert_eq!(seen["dailyReport"]["figures"]["newContacts"], 0);
    let exact = ok(&app, &health, cases, json!({ "u": COMMUNITY })).await;
    assert_eq!(exact["dailyReport"]["figures"]["newCases"]["total"], 1);
    // The same for the channel counts of a grid.
    let counts = "query($u: String) { reconciliation(orgUnit: $u) { persons onlyBy { persons } } }";
    let seen = ok(&app, &analyst, counts, json!({ "u": GRID })).await;
    let exact = ok(&app, &health, counts, json!({ "u": GRID })).await;
    let n = exact["reconciliation"]["persons"].as_i64().unwrap();
    assert!((1..5).contains(&n), "a grid with a few residents: {n}");
    assert_eq!(seen["reconciliation"]["persons"], "<5");
    assert!(is_invisible(
        &app.gql(&analyst, with_confirmation, json!({ "u": COMMUNITY }))
            .await
    ));
    // A date ahead is refused.
    let token = app.token(Agency::Command, Role::Operator, "DEMO");
    let r = app
        .gql(
            &token,
            "query($d: NaiveDate) { dailyReport(date: $d) { date } }",
            json!({ "d": today + Duration::days(2) }),
        )
        .await;
    assert_eq!(error_code(&r), Some("BAD_USER_INPUT"));
}
