//! When the emergency ends (PIPL art. 47): the command stands the response down, every record
//! operators read says when it goes (`purgeAt`), and the purge takes exactly that, on
//! schedule, in its jurisdiction only; a legal hold survives it; the statistics of record
//! stay; the audit trail answers "who saw this person" for its period and then holds no link
//! to them. The purge runs as `retention::purge::run(state, now)`, with `now` moved forward
//! to see what the schedule does. A change-feed cursor older than the change log's window gets
//! SNAPSHOT_REQUIRED: `snapshot::a_cursor_older_than_the_log_keeps_is_told_to_take_a_new_snapshot`.

use chrono::{DateTime, Duration, Utc};
use entity::{Agency, Role};
use lianfang::retention::{
    policy,
    purge::{self, Counts},
    rules::ANONYMIZED_NAME,
};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::{
    fixtures::{self, COMMUNITY, GRID},
    helpers::{assert_ok, error_code, is_invisible, spawn_app, TestApp},
};

/// The district the tests stand down; COMMUNITY and GRID lie in it.
const DISTRICT: &str = "DEMO-01";
/// A checkpoint unit inside DISTRICT.
const CHECKPOINT_UNIT: &str = "DEMO-01-01";
const OTHER_DISTRICT: &str = "DEMO-02";
const OTHER_COMMUNITY: &str = "DEMO-02-01-01";
const OTHER_GRID: &str = "DEMO-02-01-01-01";

const STAND_DOWN: &str = "mutation($u: String, $n: String) { standDown(orgUnit: $u, note: $n) {
    id orgUnit { code } declaredAt declaredBy declaredByAgency note } }";
const PERSON: &str = "query($id: ID!) { person(id: $id) { id name phone address documentNumber
    purgeAt healthChecks { id measuredAt purgeAt } } }";
const CHECKS: &str = "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) {
    status error { code message } check { id measuredAt purgeAt } } }";
const ENTRIES: &str =
    "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) {
    status error { code message } entry { id passedAt purgeAt } } }";

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(
        value
            .as_str()
            .unwrap_or_else(|| panic!("not an instant: {value}")),
    )
    .unwrap_or_else(|e| panic!("{value}: {e}"))
    .with_timezone(&Utc)
}

async fn data(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app.gql(token, query, variables).await;
    assert_ok(&response);
    response["data"].clone()
}

/// Runs the purge as if it were `now`; checks that a run which purged anything filed exactly
/// one audit event, and one which purged nothing filed none.
async fn purge_at(app: &TestApp, now: DateTime<Utc>) -> Counts {
    let runs = "SELECT COUNT(*) FROM audit_event WHERE operation = 'purge' AND subject = 'lianfang-retention'";
    let before = app.count(runs).await;
    let counts = purge::run(&app.state, now).await.expect("purge");
    let filed = app.count(runs).await - before;
    assert_eq!(filed, i64::from(!counts.is_empty()), "{counts:?}");
    counts
}

fn health(app: &TestApp) -> String {
    app.token(Agency::Health, Role::Operator, "DEMO")
}

fn command(app: &TestApp) -> String {
    app.token(Agency::Command, Role::Operator, "DEMO")
}

async fn person(app: &TestApp, id: &str) -> Value {
    data(app, &health(app), PERSON, json!({ "id": id })).await["person"].clone()
}

/// Records a check of `person` measured `days_ago`, by a community operator of `community`.
async fn check(app: &TestApp, community: &str, person: &str, key: &str, days_ago: i64) -> Value {
    let worker = app.token(Agency::Community, Role::Operator, community);
    let d = data(
        app,
        &worker,
        CHECKS,
        json!({ "c": [{ "idempotencyKey": key, "person": person,
            "measuredAt": Utc::now() - Duration::days(days_ago), "temperature": 36.6 }] }),
    )
    .await;
    let result = &d["recordHealthChecks"][0];
    assert_eq!(result["status"], "RECORDED", "{d}");
    result["check"].clone()
}

/// Records a passage of `person` at a checkpoint of DISTRICT, `days_ago`.
async fn passage(app: &TestApp, person: &str, key: &str, days_ago: i64) -> Value {
    let police = app.token(Agency::Police, Role::Operator, DISTRICT);
    let d = data(
        app,
        &police,
        ENTRIES,
        json!({ "e": [{ "idempotencyKey": key, "checkpointName": "G60 云州东收费站",
            "checkpoint": CHECKPOINT_UNIT, "direction": "INBOUND", "person": person,
            "passedAt": Utc::now() - Duration::days(days_ago) }] }),
    )
    .await;
    let result = &d["recordCheckpointEntries"][0];
    assert_eq!(result["status"], "RECORDED", "{d}");
    result["entry"].clone()
}

async fn rows(app: &TestApp, table: &str, id: &str) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM {table} WHERE id = {id}"))
        .await
}

async fn stand_down(app: &TestApp, unit: &str) -> DateTime<Utc> {
    let d = data(
        app,
        &command(app),
        STAND_DOWN,
        json!({ "u": unit, "n": "疫情应急响应终止" }),
    )
    .await;
    assert_eq!(d["standDown"]["orgUnit"]["code"], unit);
    instant(&d["standDown"]["declaredAt"])
}

#[tokio::test]
async fn only_command_operators_stand_down_and_only_in_their_jurisdiction() {
    let app = spawn_app().await;
    for token in [
        app.token(Agency::Health, Role::Operator, "DEMO"),
        app.token(Agency::Community, Role::Operator, COMMUNITY),
        app.token(Agency::Command, Role::Analyst, "DEMO"),
        app.token(Agency::Command, Role::Admin, "DEMO"),
    ] {
        let r = app.gql(&token, STAND_DOWN, json!({ "u": DISTRICT })).await;
        assert!(is_invisible(&r), "{r}");
    }
    let elsewhere = app.token(Agency::Command, Role::Operator, OTHER_DISTRICT);
    let r = app
        .gql(&elsewhere, STAND_DOWN, json!({ "u": DISTRICT }))
        .await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");

    let first = data(
        &app,
        &command(&app),
        STAND_DOWN,
        json!({ "u": DISTRICT, "n": "终止" }),
    )
    .await;
    assert_eq!(first["standDown"]["declaredByAgency"], "COMMAND");
    // Declaring again answers with the first declaration, and writes nothing.
    let again = data(&app, &command(&app), STAND_DOWN, json!({ "u": DISTRICT })).await;
    assert_eq!(again["standDown"], first["standDown"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM stand_down").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation standDown'")
            .await,
        1
    );
    // Operators of every agency below it see it; a unit beside it does not.
    let list = "{ standDowns(first: 10) { edges { node { orgUnit { code } note } } } }";
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let seen = data(&app, &community, list, json!({})).await;
    assert_eq!(
        seen["standDowns"]["edges"][0]["node"],
        json!({ "orgUnit": { "code": DISTRICT }, "note": "终止" })
    );
    let beside = app.token(Agency::Police, Role::Operator, OTHER_DISTRICT);
    let none = data(&app, &beside, list, json!({})).await;
    assert_eq!(none["standDowns"]["edges"], json!([]));
}

#[tokio::test]
async fn a_persons_purge_date_is_only_for_those_who_may_know_whether_they_are_a_case_or_contact() {
    let app = spawn_app().await;
    stand_down(&app, DISTRICT).await;
    let query = "{ persons(first: 1) { edges { node { name purgeAt } } } }";
    // A null purgeAt after the stand-down means "kept": a case or a contact.
    for token in [
        command(&app),
        app.token(Agency::CivilAffairs, Role::Operator, CHECKPOINT_UNIT),
        app.token(Agency::Health, Role::Analyst, "DEMO"),
    ] {
        let r = app.gql(&token, query, json!({})).await;
        assert!(is_invisible(&r), "{r}");
    }
    for token in [
        health(&app),
        app.token(Agency::Police, Role::Operator, DISTRICT),
        app.token(Agency::Community, Role::Operator, COMMUNITY),
    ] {
        data(&app, &token, query, json!({})).await;
    }

    // Police of another district record a resident of DISTRICT passing their checkpoint, by
    // the document they carry: the entry's purge date is not theirs to read, as it would say
    // whether the traveller is a case or a contact.
    let traveller = fixtures::register(&app, 861, "陈宇航", GRID).await;
    stand_down(&app, OTHER_DISTRICT).await;
    let police = app.token(Agency::Police, Role::Operator, OTHER_DISTRICT);
    let recorded = data(
        &app,
        &police,
        ENTRIES,
        json!({ "e": [{ "idempotencyKey": "far-1", "checkpointName": "G60 云州西收费站",
            "checkpoint": "DEMO-02-01", "direction": "INBOUND",
            "traveller": { "name": traveller.name, "documentNumber": traveller.document },
            "passedAt": Utc::now() - Duration::days(1) }] }),
    )
    .await;
    let entry = &recorded["recordCheckpointEntries"][0];
    assert_eq!(entry["status"], "RECORDED", "{recorded}");
    assert_eq!(entry["entry"]["purgeAt"], Value::Null, "{recorded}");
    let id = entry["entry"]["id"].clone();
    let as_health = data(
        &app,
        &health(&app),
        "{ checkpointEntries(first: 50) { edges { node { id purgeAt } } } }",
        json!({}),
    )
    .await;
    let seen = as_health["checkpointEntries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == id)
        .unwrap_or_else(|| panic!("{as_health}"))
        .clone();
    assert!(!seen["node"]["purgeAt"].is_null(), "{seen}");
}

#[tokio::test]
async fn a_stood_down_jurisdiction_is_purged_on_schedule_and_nothing_else_is() {
    let app = spawn_app().await;
    let inside = fixtures::register(&app, 801, "赵晓明", GRID).await;
    let outside = fixtures::register(&app, 802, "钱丽华", OTHER_GRID).await;
    let inside_check = check(&app, COMMUNITY, &inside.id, "r-in-1", 2).await;
    let outside_check = check(&app, OTHER_COMMUNITY, &outside.id, "r-out-1", 2).await;
    let entry = passage(&app, &inside.id, "r-pass-1", 3).await;
    // A negative test of each: health data about someone who never became a case.
    let lab = app.token(Agency::Health, Role::Operator, "DEMO");
    let lab_test = |person: &str| {
        let (app, lab, person) = (&app, lab.clone(), person.to_owned());
        async move {
            let day = (Utc::now() - Duration::days(2)).date_naive();
            data(
                app,
                &lab,
                "mutation($p: ID!, $d: NaiveDate!) { recordLabTest(input: { person: $p, sampleDate: $d,
                   sampleType: NASOPHARYNGEAL_SWAB, result: NEGATIVE, laboratory: \"云州市疾控中心实验室\" }) { labTest { id } } }",
                json!({ "p": person, "d": day.to_string() }),
            )
            .await["recordLabTest"]["labTest"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let inside_test = lab_test(&inside.id).await;
    let outside_test = lab_test(&outside.id).await;
    // A traveller never registered, passing the same day: their details go with the passage.
    let police = app.token(Agency::Police, Role::Operator, DISTRICT);
    let stranger = data(
        &app,
        &police,
        ENTRIES,
        json!({ "e": [{ "idempotencyKey": "r-pass-2", "checkpointName": "G60 云州东收费站",
            "checkpoint": CHECKPOINT_UNIT, "direction": "INBOUND",
            "traveller": { "name": "过路人", "documentNumber": fixtures::resident_id(809), "phone": "13700000809" },
            "passedAt": Utc::now() - Duration::days(3) }] }),
    )
    .await;
    let stranger_id = stranger["recordCheckpointEntries"][0]["entry"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{stranger}"))
        .to_owned();

    // While the response goes on, nothing has a purge date.
    assert_eq!(inside_check["purgeAt"], Value::Null);
    assert_eq!(entry["purgeAt"], Value::Null);
    assert_eq!(person(&app, &inside.id).await["purgeAt"], Value::Null);
    let before = purge_at(&app, Utc::now() + Duration::days(400)).await;
    assert!(before.is_empty(), "{before:?}");

    let declared = stand_down(&app, DISTRICT).await;
    let periods = &app.state.settings.retention;
    let view = person(&app, &inside.id).await;
    let person_due = instant(&view["purgeAt"]);
    assert_eq!(person_due, declared + periods.person);
    let check_due = instant(&view["healthChecks"][0]["purgeAt"]);
    assert_eq!(
        check_due,
        instant(&inside_check["measuredAt"]) + periods.health_check
    );
    let listed = data(
        &app,
        &police,
        "query($u: String) { checkpointEntries(first: 10, filter: { orgUnit: $u }) { edges { node { id purgeAt } } } }",
        json!({ "u": CHECKPOINT_UNIT }),
    )
    .await;
    let node = &listed["checkpointEntries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == entry["id"])
        .unwrap_or_else(|| panic!("{listed}"))["node"];
    let entry_due = instant(&node["purgeAt"]);
    assert_eq!(
        entry_due,
        instant(&entry["passedAt"]) + periods.checkpoint_entry
    );
    // Beside the stood-down district the clock does not run.
    let beside = person(&app, &outside.id).await;
    assert_eq!(beside["purgeAt"], Value::Null);
    assert_eq!(beside["healthChecks"][0]["purgeAt"], Value::Null);

    // A moment before each date nothing of it goes; at the date it does.
    let entry_id = entry["id"].as_str().unwrap();
    let check_id = inside_check["id"].as_str().unwrap();
    purge_at(&app, entry_due - Duration::seconds(1)).await;
    assert_eq!(rows(&app, "checkpoint_entry", entry_id).await, 1);
    assert_eq!(rows(&app, "checkpoint_entry", &stranger_id).await, 1);
    purge_at(&app, entry_due).await;
    assert_eq!(rows(&app, "checkpoint_entry", entry_id).await, 0);
    assert_eq!(rows(&app, "health_check", check_id).await, 1);
    purge_at(&app, check_due).await;
    assert_eq!(rows(&app, "health_check", check_id).await, 0);
    assert_eq!(rows(&app, "checkpoint_entry", &stranger_id).await, 0);
    assert_eq!(person(&app, &inside.id).await["name"], inside.name);

    assert_eq!(rows(&app, "lab_test", &inside_test).await, 1);
    let counts = purge_at(&app, person_due).await;
    assert!(counts.persons_anonymized >= 1, "{counts:?}");
    assert!(counts.lab_tests_deleted >= 1, "{counts:?}");
    assert_eq!(rows(&app, "lab_test", &inside_test).await, 0);
    let gone = person(&app, &inside.id).await;
    assert_eq!(
        (
            &gone["name"],
            &gone["phone"],
            &gone["address"],
            &gone["documentNumber"],
            &gone["purgeAt"]
        ),
        (
            &json!(ANONYMIZED_NAME),
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &Value::Null
        )
    );

    // Nothing outside the district was touched, whatever the date.
    purge_at(&app, Utc::now() + Duration::days(400)).await;
    let kept = person(&app, &outside.id).await;
    assert_eq!(kept["name"], outside.name);
    assert_eq!(kept["phone"], outside.phone);
    assert_eq!(
        rows(&app, "health_check", outside_check["id"].as_str().unwrap()).await,
        1
    );
    assert_eq!(rows(&app, "lab_test", &outside_test).await, 1);
    let anonymized_outside = app
        .count(&format!(
            "SELECT COUNT(*) FROM person WHERE name = '{ANONYMIZED_NAME}' AND residence_path NOT LIKE \
             (SELECT path FROM org_unit WHERE code = '{DISTRICT}') || '%'"
        ))
        .await;
    assert_eq!(anonymized_outside, 0);
}

#[tokio::test]
async fn a_legal_hold_survives_the_purge_and_its_release_lets_the_clock_run() {
    let app = spawn_app().await;
    let enforced = fixtures::register(&app, 811, "孙志强", GRID).await;
    let case = fixtures::register(&app, 812, "李秀英", GRID).await;
    let enforced_check = check(&app, COMMUNITY, &enforced.id, "h-1", 5).await;
    let case_check = check(&app, COMMUNITY, &case.id, "h-2", 5).await;
    let task = data(
        &app,
        &health(&app),
        "mutation($i: CreateTaskInput!) { createTask(input: $i) { id version } }",
        json!({ "i": { "kind": "ENFORCE_ISOLATION", "person": enforced.id, "toAgency": "POLICE",
            "note": "拒不配合居家隔离" } }),
    )
    .await;
    data(
        &app,
        &health(&app),
        "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }",
        json!({ "p": case.id }),
    )
    .await;
    stand_down(&app, DISTRICT).await;

    let far = Utc::now() + Duration::days(400);
    purge_at(&app, far).await;
    for (who, check) in [(&enforced, &enforced_check), (&case, &case_check)] {
        let view = person(&app, &who.id).await;
        assert_eq!(view["name"], who.name, "{view}");
        assert_eq!(view["purgeAt"], Value::Null, "{view}");
        assert_eq!(view["healthChecks"][0]["purgeAt"], Value::Null, "{view}");
        assert_eq!(
            rows(&app, "health_check", check["id"].as_str().unwrap()).await,
            1
        );
    }

    // The enforcement is called off: the hold ends and the clock runs; the case stays kept.
    data(
        &app,
        &health(&app),
        "mutation($id: ID!, $v: Int!) { cancelTask(id: $id, expectedVersion: $v) { status } }",
        json!({ "id": task["createTask"]["id"], "v": task["createTask"]["version"] }),
    )
    .await;
    assert!(!person(&app, &enforced.id).await["purgeAt"].is_null());
    purge_at(&app, far).await;
    assert_eq!(person(&app, &enforced.id).await["name"], ANONYMIZED_NAME);
    assert_eq!(
        rows(&app, "health_check", enforced_check["id"].as_str().unwrap()).await,
        0
    );
    assert_eq!(person(&app, &case.id).await["name"], case.name);
}

#[tokio::test]
async fn the_statistics_of_record_are_the_same_before_and_after_the_purge() {
    let app = spawn_app().await;
    let returnee = fixtures::register(&app, 821, "周文静", GRID).await;
    check(&app, COMMUNITY, &returnee.id, "s-1", 1).await;
    check(&app, COMMUNITY, &returnee.id, "s-2", 1).await;
    let day = (Utc::now() - Duration::days(1))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let worker = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let confirm = crate::daily_reports::confirm_mutation();
    data(
        &app,
        &worker,
        &confirm,
        json!({ "u": COMMUNITY, "d": day, "n": "平安无事" }),
    )
    .await;
    let report = crate::daily_reports::report_query();
    let stats = "query($d: NaiveDate!) { statistics(orgUnit: \"DEMO\", from: $d, to: $d) {
        totals { newConfirmed cumulativeConfirmed contactsTraced activeQuarantines fevers } } }";
    let analyst = app.token(Agency::Command, Role::Operator, "DEMO");
    let read = |query: String, token: String, vars: Value| {
        let app = &app;
        async move { data(app, &token, &query, vars).await }
    };
    let before = read(
        report.clone(),
        worker.clone(),
        json!({ "u": COMMUNITY, "d": day }),
    )
    .await;
    let stats_before = read(stats.to_owned(), analyst.clone(), json!({ "d": day })).await;
    assert!(
        before["dailyReport"]["confirmation"]["figures"]["checksRecorded"]
            .as_i64()
            .is_some_and(|n| n >= 1),
        "{before}"
    );

    stand_down(&app, DISTRICT).await;
    let counts = purge_at(&app, Utc::now() + Duration::days(400)).await;
    assert!(counts.health_checks_deleted >= 2, "{counts:?}");

    let after = read(report, worker, json!({ "u": COMMUNITY, "d": day })).await;
    assert_eq!(
        after["dailyReport"]["confirmation"]["figures"],
        before["dailyReport"]["confirmation"]["figures"],
        "the confirmed figures stay what the community confirmed"
    );
    assert_eq!(
        after["dailyReport"]["confirmation"]["version"],
        before["dailyReport"]["confirmation"]["version"]
    );
    let stats_after = read(stats.to_owned(), analyst, json!({ "d": day })).await;
    assert_eq!(stats_after, stats_before);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM daily_report").await,
        1,
        "the purge neither adds nor removes reports"
    );
}

#[tokio::test]
async fn the_audit_trail_answers_who_saw_a_person_for_its_period_then_holds_no_link_to_them() {
    let app = spawn_app().await;
    let seen = fixtures::register(&app, 831, "吴国栋", GRID).await;
    let reader = app.token_for(Agency::Health, Role::Operator, "DEMO", "cdc-reader-7");
    data(&app, &reader, PERSON, json!({ "id": seen.id })).await;
    stand_down(&app, DISTRICT).await;
    let anonymized_at = instant(&person(&app, &seen.id).await["purgeAt"]);
    purge_at(&app, anonymized_at).await;
    assert_eq!(person(&app, &seen.id).await["name"], ANONYMIZED_NAME);

    let auditor = app.token(Agency::Health, Role::Auditor, "DEMO");
    let who_saw = "query($id: ID!) { auditEvents(first: 100, filter: { entityType: \"Person\", entityId: $id }) {
        edges { node { subject operation at } } } }";
    let readers = |d: &Value| -> Vec<String> {
        d["auditEvents"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let found = data(&app, &auditor, who_saw, json!({ "id": seen.id })).await;
    assert!(
        readers(&found).contains(&"cdc-reader-7".to_owned()),
        "still answered after the person was anonymized: {found}"
    );

    // Past the audit period the events keep who did what, and no longer point at the person.
    let audit_days = app.state.settings.retention.audit;
    let counts = purge_at(&app, Utc::now() + audit_days + Duration::days(1)).await;
    assert!(counts.audit_events_unlinked > 0, "{counts:?}");
    let found = data(&app, &auditor, who_saw, json!({ "id": seen.id })).await;
    assert_eq!(found["auditEvents"]["edges"], json!([]), "{found}");
    let by_reader = data(
        &app,
        &auditor,
        "{ auditEvents(first: 100, filter: { subject: \"cdc-reader-7\" }) { edges { node { operation entityId entityIds } } } }",
        json!({}),
    )
    .await;
    let events = by_reader["auditEvents"]["edges"].as_array().unwrap();
    assert!(!events.is_empty());
    for event in events {
        assert_eq!(event["node"]["entityId"], Value::Null, "{event}");
        assert_eq!(event["node"]["entityIds"], json!([]), "{event}");
    }
    // Still append-only for everything else.
    let rewrite = app
        .state
        .db
        .execute_unprepared(
            "UPDATE audit_event SET subject = 'someone-else' WHERE subject = 'cdc-reader-7'",
        )
        .await;
    assert!(rewrite.is_err(), "the trail must not be rewritten");
    let delete = app
        .state
        .db
        .execute_unprepared("DELETE FROM audit_event WHERE subject = 'cdc-reader-7'")
        .await;
    assert!(delete.is_err(), "nor cut");
}

#[test]
fn the_readme_retention_table_is_the_declared_policy() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Retention: when the emergency ends")
        .nth(1)
        .expect("the README has the retention section");
    let table: String = section
        .lines()
        .skip_while(|line| !line.starts_with("| records |"))
        .take_while(|line| !line.starts_with("## "))
        .take_while(|line| !line.starts_with("The purge"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(table.trim_end(), policy::markdown_table().trim_end());
}

#[tokio::test]
async fn a_partner_following_the_feed_learns_of_an_anonymization() {
    let app = spawn_app().await;
    let returnee = fixtures::register(&app, 841, "郑海燕", GRID).await;
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let feed = "query($after: String) { changes(after: $after, first: 100, types: [PERSON]) {
        edges { node { operation person { id name phone } } } pageInfo { hasNextPage endCursor } } }";
    crate::changes::settled(&app).await;
    let mut cursor = Value::Null;
    loop {
        let page = data(&app, &community, feed, json!({ "after": cursor })).await;
        if let Some(end) = page["changes"]["pageInfo"]["endCursor"].as_str() {
            cursor = json!(end);
        }
        if page["changes"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
    }
    stand_down(&app, DISTRICT).await;
    purge_at(&app, Utc::now() + Duration::days(400)).await;
    crate::changes::settled(&app).await;

    let page = data(&app, &community, feed, json!({ "after": cursor })).await;
    let nodes: Vec<&Value> = page["changes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let change = nodes
        .iter()
        .find(|n| n["person"]["id"] == returnee.id.as_str())
        .unwrap_or_else(|| panic!("the anonymization is in the feed: {page}"));
    assert_eq!(change["operation"], "purge");
    assert_eq!(change["person"]["name"], ANONYMIZED_NAME);
    assert_eq!(change["person"]["phone"], Value::Null);
}

#[tokio::test]
async fn lianfang_purge_runs_one_purge_and_prints_its_counts() {
    let app = spawn_app().await;
    let returnee = fixtures::register(&app, 851, "冯雪梅", GRID).await;
    let recorded = check(&app, COMMUNITY, &returnee.id, "cli-1", 1).await;
    stand_down(&app, DISTRICT).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .arg("purge")
        .env("DATABASE_URL", &app.config.database_url)
        .env("RETENTION_HEALTH_CHECK_DAYS", "0")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run lianfang purge");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let counts: Value = serde_json::from_slice(&output.stdout).expect("the counts as JSON");
    assert!(
        counts["healthChecksDeleted"]
            .as_u64()
            .is_some_and(|n| n >= 1),
        "{counts}"
    );
    assert_eq!(
        rows(&app, "health_check", recorded["id"].as_str().unwrap()).await,
        0
    );
    // The person's own period has not passed: still there.
    assert_eq!(person(&app, &returnee.id).await["name"], returnee.name);
}

#[tokio::test]
async fn purge_dates_on_a_page_cost_the_same_statements_at_any_page_size() {
    let app = spawn_app().await;
    stand_down(&app, "DEMO").await;
    let token = health(&app);
    let page = "query($n: Int) { persons(first: $n) { edges { node { name purgeAt
        healthChecks(first: 5) { purgeAt } } } } }";
    let mut cost = Vec::new();
    for n in [3, 40] {
        let before = app.statements();
        let d = data(&app, &token, page, json!({ "n": n })).await;
        cost.push(app.statements() - before);
        let listed = d["persons"]["edges"].as_array().unwrap();
        assert_eq!(listed.len(), n, "{d}");
        assert!(
            listed.iter().any(|e| !e["node"]["purgeAt"].is_null()),
            "{d}"
        );
    }
    assert_eq!(cost[0], cost[1], "statements for 3 and for 40 persons");
}

#[tokio::test]
async fn two_purges_at_once_in_small_batches_take_each_record_once() {
    let app = crate::helpers::spawn_with(crate::helpers::Options {
        extra_args: vec!["--purge-batch-rows".into(), "4".into()],
        ..Default::default()
    })
    .await;
    let returnee = fixtures::register(&app, 871, "蒋丽娟", GRID).await;
    let worker = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let checks: Vec<Value> = (0..18)
        .map(|i| {
            json!({ "idempotencyKey": format!("b-{i}"), "person": returnee.id,
                "measuredAt": Utc::now() - Duration::days(3) + Duration::minutes(i),
                "temperature": 36.5 })
        })
        .collect();
    data(&app, &worker, CHECKS, json!({ "c": checks })).await;
    stand_down(&app, COMMUNITY).await;
    let due = Utc::now() + Duration::days(400);
    let (a, b) = tokio::join!(purge::run(&app.state, due), purge::run(&app.state, due));
    let (a, b) = (a.expect("first purge"), b.expect("second purge"));
    assert_eq!(
        a.health_checks_deleted + b.health_checks_deleted,
        18,
        "{a:?} {b:?}"
    );
    // In batches of 4, unless their month went whole (PostgreSQL, most of it due).
    assert!(
        a.batches + b.batches >= 5 || a.months_emptied + b.months_emptied > 0,
        "batches of 4: {a:?} {b:?}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM health_check WHERE person_id = {}",
            returnee.id
        ))
        .await,
        0
    );
}

/// An instant as SQL text both databases read back (RFC 3339, microseconds).
fn sql_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

fn on_postgres(app: &TestApp) -> bool {
    app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres
}

/// A month whose rows are mostly due goes whole on PostgreSQL (its partition emptied, what
/// stays put back); on SQLite the batches take the same rows. Either way exactly the due rows
/// go, with the alerts they raised, and the kept row stays as it was.
#[tokio::test]
async fn a_month_mostly_due_goes_whole_and_what_stays_is_put_back() {
    let app = spawn_app().await;
    let case = fixtures::register(&app, 881, "郑海燕", GRID).await;
    data(
        &app,
        &health(&app),
        "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }",
        json!({ "p": case.id }),
    )
    .await;
    let kept = passage(&app, &case.id, "m-kept", 1).await;
    let kept_id = kept["id"].as_str().unwrap().to_owned();
    // Vehicles and unregistered travellers name no one: all due once the city stands down.
    let base = Utc::now() - Duration::days(1);
    let mut entries: Vec<Value> = (0..60)
        .map(|i| {
            json!({ "idempotencyKey": format!("m-{i}"), "checkpointName": "G60 云州东收费站",
                "checkpoint": CHECKPOINT_UNIT, "direction": "INBOUND",
                "vehiclePlate": format!("云A{:05}", 10_000 + i),
                "passedAt": base + Duration::seconds(i) })
        })
        .collect();
    entries.push(
        json!({ "idempotencyKey": "m-fever", "checkpointName": "G60 云州东收费站",
        "checkpoint": CHECKPOINT_UNIT, "direction": "INBOUND", "traveller": { "name": "过路人" },
        "temperature": 38.6, "passedAt": base + Duration::seconds(90) }),
    );
    let police = app.token(Agency::Police, Role::Operator, DISTRICT);
    let recorded = data(&app, &police, ENTRIES, json!({ "e": entries })).await;
    let fever_id = recorded["recordCheckpointEntries"][60]["entry"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{recorded}"))
        .to_owned();
    let raised = format!(
        "SELECT COUNT(*) FROM alert WHERE entity_type = 'CheckpointEntry' AND entity_id = {fever_id}"
    );
    assert_eq!(app.count(&raised).await, 1);
    // The row as it was: its instant too, where the database compares instants (SQLite keeps
    // them as text in its own form).
    let kept_at = if on_postgres(&app) {
        format!(
            "SELECT COUNT(*) FROM checkpoint_entry WHERE id = {kept_id} AND passed_at = '{}'",
            sql_instant(instant(&kept["passedAt"]))
        )
    } else {
        format!("SELECT COUNT(*) FROM checkpoint_entry WHERE id = {kept_id}")
    };
    assert_eq!(app.count(&kept_at).await, 1, "{kept}");

    stand_down(&app, "DEMO").await;
    // Two months on, the month of these passages is wholly past its period.
    let counts = purge_at(&app, Utc::now() + Duration::days(62)).await;
    assert!(counts.checkpoint_entries_deleted >= 61, "{counts:?}");
    if on_postgres(&app) {
        assert!(counts.months_emptied >= 1, "{counts:?}");
    } else {
        assert_eq!(counts.months_emptied, 0, "{counts:?}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM checkpoint_entry WHERE idempotency_key LIKE 'm-%' AND idempotency_key <> 'm-kept'")
            .await,
        0
    );
    assert_eq!(
        app.count(&raised).await,
        0,
        "the alert goes with its passage"
    );
    assert_eq!(
        app.count(&kept_at).await,
        1,
        "the case's passage stays as it was"
    );
    // A second run finds nothing more of them.
    let again = purge_at(&app, Utc::now() + Duration::days(62)).await;
    assert_eq!(again.months_emptied, 0, "{again:?}");
}

/// A row no month's partition covers (a clock far off, a benchmark writing history) is
/// stored in the default partition and moves into its own month when the partitions are
/// prepared; it reads the same before and after, and the default is left empty.
#[tokio::test]
async fn a_row_outside_every_month_gets_its_month() {
    let app = spawn_app().await;
    let returnee = fixtures::register(&app, 882, "冯建国", GRID).await;
    let long_ago = Utc::now() - Duration::days(400);
    app.state
        .db
        .execute_unprepared(&format!(
            "INSERT INTO health_check (person_id, measured_at, temperature_decidegrees, symptoms, \
             fever, recorded_by, recorded_by_agency, idempotency_key, created_at) \
             VALUES ({}, '{}', 366, 0, false, 'old-device', 'COMMUNITY', 'long-ago', '{}')",
            returnee.id,
            sql_instant(long_ago),
            sql_instant(long_ago),
        ))
        .await
        .expect("insert");
    let month = format!("health_check_p{}", long_ago.format("%Y%m"));
    let read = || async {
        let view = person(&app, &returnee.id).await;
        view["healthChecks"].as_array().unwrap().len()
    };
    assert_eq!(read().await, 1);
    if on_postgres(&app) {
        assert_eq!(
            app.count("SELECT COUNT(*) FROM health_check_default").await,
            1
        );
    }
    lianfang::partitions::prepare(&app.state.db)
        .await
        .expect("prepare");
    assert_eq!(read().await, 1);
    if on_postgres(&app) {
        assert_eq!(
            app.count("SELECT COUNT(*) FROM health_check_default").await,
            0
        );
        // Emptied, not only deleted from: no dead copy of the moved row stays behind.
        assert_eq!(
            app.count("SELECT pg_relation_size('health_check_default')")
                .await,
            0
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM {month} WHERE idempotency_key = 'long-ago'"
            ))
            .await,
            1
        );
    }
}

/// The change log's months wholly older than its window go whole on PostgreSQL; the pruning
/// files how far it went, so a cursor from before is told to take a new snapshot.
#[tokio::test]
async fn the_change_logs_old_months_go_whole_and_say_how_far() {
    let app = spawn_app().await;
    let long_ago = Utc::now() - Duration::days(100);
    for i in 0..3 {
        app.state
            .db
            .execute_unprepared(&format!(
                "INSERT INTO change_log (entity_type, entity_id, operation, at) \
                 VALUES ('Person', {}, 'registerPerson', '{}')",
                900_000 + i,
                sql_instant(long_ago),
            ))
            .await
            .expect("insert");
    }
    lianfang::partitions::prepare(&app.state.db)
        .await
        .expect("prepare");
    let old = "SELECT COUNT(*) FROM change_log WHERE entity_id >= 900000";
    assert_eq!(app.count(old).await, 3);
    let removed =
        lianfang::events::retention::prune(&app.state.db, Utc::now() - Duration::days(30))
            .await
            .expect("prune");
    assert!(removed >= 3, "{removed}");
    assert_eq!(app.count(old).await, 0);
    assert!(lianfang::events::retention::pruned_through(&app.state.db)
        .await
        .expect("line")
        .is_some());
    if on_postgres(&app) {
        let month = format!("change_log_p{}", long_ago.format("%Y%m"));
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {month}")).await, 0);
    }
}

/// Each run's batches go on from where the last one stopped, past the rows that stay (kept
/// rows gather at the oldest end): interleaved with kept checks, every due check still goes,
/// in batches of 4, and every kept one stays.
#[tokio::test]
async fn batches_go_on_past_the_rows_that_stay_and_miss_none_that_go() {
    let app = crate::helpers::spawn_with(crate::helpers::Options {
        extra_args: vec!["--purge-batch-rows".into(), "4".into()],
        ..Default::default()
    })
    .await;
    let case = fixtures::register(&app, 883, "褚建华", GRID).await;
    let returnee = fixtures::register(&app, 884, "卫晓燕", GRID).await;
    data(
        &app,
        &health(&app),
        "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }",
        json!({ "p": case.id }),
    )
    .await;
    let base = Utc::now() - Duration::days(1);
    let checks: Vec<Value> = (0..20)
        .flat_map(|i| {
            [(&case.id, 2 * i), (&returnee.id, 2 * i + 1)].map(|(person, minute)| {
                json!({ "idempotencyKey": format!("c-{person}-{minute}"), "person": person,
                    "measuredAt": base + Duration::minutes(minute), "temperature": 36.5 })
            })
        })
        .collect();
    let worker = app.token(Agency::Community, Role::Operator, COMMUNITY);
    data(&app, &worker, CHECKS, json!({ "c": checks })).await;
    stand_down(&app, DISTRICT).await;
    // Just past the last check's period: their month is not over, so batches take them on
    // both databases (20 rows in batches of 4: at least 5).
    let periods = &app.state.settings.retention;
    let counts = purge_at(
        &app,
        base + Duration::minutes(40) + periods.health_check + Duration::hours(1),
    )
    .await;
    assert!(counts.batches >= 5, "{counts:?}");
    assert!(counts.health_checks_deleted >= 20, "{counts:?}");
    let of = |id: &str| format!("SELECT COUNT(*) FROM health_check WHERE person_id = {id}");
    assert_eq!(app.count(&of(&returnee.id)).await, 0);
    assert_eq!(app.count(&of(&case.id)).await, 20);
}
