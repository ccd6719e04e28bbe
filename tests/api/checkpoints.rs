//! Checkpoints: batches with idempotency, travellers linked by document, alerts where the
//! traveller is heading, and what each agency sees of an entry.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, COMMUNITY, GRID},
    helpers::{assert_ok, error_code, is_invisible, spawn_app, TestApp},
};

/// A checkpoint unit in district DEMO-02, far from the residents of GRID (district DEMO-01).
const CHECKPOINT_UNIT: &str = "DEMO-02-01";
const RECORD: &str =
    "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) {
    idempotencyKey status error { code field message }
    entry { id fromRiskArea fever destination { code } person { id name pseudonymized }
            traveller { name documentNumber phone } vehiclePlate } } }";
const LIST: &str = "query($f: CheckpointEntryFilter) { checkpointEntries(first: 50, filter: $f) {
    totalCount edges { node { id checkpointName direction fromPlace fromRiskArea temperature fever
    person { id name pseudonymized } traveller { name documentNumber } } } } }";

fn entry(key: &str, extra: Value) -> Value {
    let mut item = json!({
        "idempotencyKey": key,
        "checkpointName": "G60 云州东收费站",
        "checkpoint": CHECKPOINT_UNIT,
        "direction": "INBOUND",
        "passedAt": Utc::now() - Duration::minutes(5),
    });
    if let (Some(item), Some(extra)) = (item.as_object_mut(), extra.as_object()) {
        item.extend(extra.clone());
    }
    item
}

fn nodes(data: &Value) -> Vec<Value> {
    data["data"]["checkpointEntries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn alerts_of(app: &TestApp, token: &str) -> Vec<(String, Option<String>)> {
    let r = app
        .gql(
            token,
            "{ alerts(first: 100, filter: { kinds: [RISK_AREA_ARRIVAL, CHECKPOINT_FEVER] }) { edges { node { kind entityType person { id } } } } }",
            json!({}),
        )
        .await;
    assert_ok(&r);
    r["data"]["alerts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let node = &e["node"];
            assert_eq!(node["entityType"], "CheckpointEntry");
            (
                node["kind"].as_str().unwrap().to_owned(),
                node["person"]["id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_police_batch_links_travellers_alerts_their_communities_and_replays_safely() {
    let app = spawn_app().await;
    let police = app.token(Agency::Police, Role::Operator, "DEMO-02");
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let resident = fixtures::register(&app, 901, "卡口归来", GRID).await;
    let elsewhere = fixtures::register(&app, 902, "外区居民", "DEMO-03-01-01-01").await;
    let stranger_document = fixtures::resident_id(903);
    let batch = json!([
        // 0: a registered resident of GRID, by the document they carry, from a risk area.
        entry(
            "k-0",
            json!({ "traveller": { "name": resident.name, "documentNumber": resident.document },
                             "fromPlace": "澜海市 新港区", "vehiclePlate": "云b·12345", "temperature": 36.6 })
        ),
        // 1: an unregistered traveller heading for the community, with a fever.
        entry(
            "k-1",
            json!({ "traveller": { "name": "过路人", "documentNumber": stranger_document, "phone": "13900001111" },
                             "destination": COMMUNITY, "fromPlace": "白石市", "temperature": 38.2 })
        ),
        // 2: a lorry, plate only, leaving.
        entry(
            "k-2",
            json!({ "vehiclePlate": "云A98765", "direction": "OUTBOUND" })
        ),
        // 3..7: bad in a different way each.
        entry(
            "k-3",
            json!({ "vehiclePlate": "云A11111", "temperature": 52.0 })
        ),
        entry(
            "k-4",
            json!({ "person": resident.id, "traveller": { "name": "两者皆有" } })
        ),
        // 5: the resident's document under another name: recorded like any traveller, and
        // flagged for those who see numbers in full.
        entry(
            "k-5",
            json!({ "traveller": { "name": "冒名者", "documentNumber": resident.document } })
        ),
        entry(
            "k-6",
            json!({ "checkpoint": "DEMO-01-01", "vehiclePlate": "云A22222" })
        ),
        entry("k-7", json!({ "person": elsewhere.id })),
        entry("k-8", json!({})),
    ]);
    let before_alerts = app.count("SELECT COUNT(*) FROM alert").await;
    let first = app.gql(&police, RECORD, json!({ "e": batch })).await;
    assert_ok(&first);
    let results = first["data"]["recordCheckpointEntries"].as_array().unwrap();
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "RECORDED", "RECORDED", "RECORDED", "REJECTED", "REJECTED", "RECORDED", "REJECTED",
            "REJECTED", "REJECTED"
        ],
        "{first}"
    );
    let error = |i: usize| {
        (
            results[i]["error"]["code"].as_str().unwrap(),
            results[i]["error"]["field"].as_str().unwrap(),
        )
    };
    assert_eq!(error(3), ("BAD_USER_INPUT", "entries[3].temperature"));
    assert_eq!(error(4), ("BAD_USER_INPUT", "entries[4].traveller"));
    assert_eq!(error(6), ("FORBIDDEN", "entries[6].checkpoint"));
    assert_eq!(error(7), ("NOT_FOUND", "entries[7].person"));
    assert_eq!(error(8), ("BAD_USER_INPUT", "entries[8].person"));

    // 0 is linked to the resident behind the scenes; the district-02 police, for whom the
    // resident lives elsewhere, see the traveller as recorded and no person.
    let linked = &results[0]["entry"];
    assert!(linked["person"].is_null());
    assert_eq!(linked["traveller"]["name"], resident.name.as_str());
    assert_eq!(
        linked["traveller"]["documentNumber"],
        resident.document.as_str()
    );
    assert_eq!(linked["fromRiskArea"], true);
    let conflict = &results[5]["entry"];
    assert!(conflict["person"].is_null());
    assert_eq!(conflict["traveller"]["name"], "冒名者");
    let flags = app
        .gql(
            &police,
            "{ checkpointEntries(first: 50, filter: { identityConflict: true }) { edges { node { id identityConflict } } } }",
            json!({}),
        )
        .await;
    assert_ok(&flags);
    assert_eq!(
        nodes(&flags)
            .iter()
            .map(|n| n["id"].clone())
            .collect::<Vec<_>>(),
        [conflict["id"].clone()]
    );
    assert_eq!(linked["vehiclePlate"], "云B12345");
    // 1 stays a traveller, in full for the police who recorded it.
    let traveller = &results[1]["entry"];
    assert!(traveller["person"].is_null());
    assert_eq!(
        traveller["traveller"]["documentNumber"],
        stranger_document.as_str()
    );
    assert_eq!(traveller["fever"], true);
    assert_eq!(traveller["destination"]["code"], COMMUNITY);

    // Three alerts: the risk-area arrival where it was recorded (no person: it reads the
    // same whoever the document belongs to), the same at the resident's home (naming them),
    // and the fever where the traveller was heading.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM alert").await,
        before_alerts + 3
    );
    let mut alerts = alerts_of(&app, &community).await;
    alerts.sort();
    assert_eq!(
        alerts,
        [
            ("CHECKPOINT_FEVER".to_owned(), None),
            ("RISK_AREA_ARRIVAL".to_owned(), Some(resident.id.clone())),
        ]
    );
    // The police of the checkpoint's district get the arrival at their checkpoint, without
    // the person, and not the community's alerts.
    assert_eq!(
        alerts_of(&app, &police).await,
        [("RISK_AREA_ARRIVAL".to_owned(), None)]
    );

    // The community sees both arrivals: its resident in full, the traveller's number masked.
    let seen = nodes(&app.gql(&community, LIST, json!({})).await);
    assert_eq!(seen.len(), 2, "{seen:?}");
    let resident_entry = seen.iter().find(|n| !n["person"].is_null()).unwrap();
    assert_eq!(resident_entry["person"]["name"], resident.name.as_str());
    assert_eq!(resident_entry["person"]["pseudonymized"], false);
    let stranger = seen
        .iter()
        .find(|n| n["traveller"]["name"] == "过路人")
        .unwrap();
    assert_eq!(stranger["traveller"]["name"], "过路人");
    assert_eq!(
        stranger["traveller"]["documentNumber"],
        lianfang::domain::values::mask_document_number(&stranger_document)
    );

    // The resident's record now shows the police channel too.
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let r = app
        .gql(
            &health,
            "query($id: ID!) { person(id: $id) { provenance { agency } } }",
            json!({ "id": resident.id }),
        )
        .await;
    let agencies: Vec<&str> = r["data"]["person"]["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["agency"].as_str().unwrap())
        .collect();
    assert!(agencies.contains(&"POLICE"), "{r}");

    // The same batch again writes nothing and returns the first results.
    let entries_before = app.count("SELECT COUNT(*) FROM checkpoint_entry").await;
    let again = app.gql(&police, RECORD, json!({ "e": batch })).await;
    let replay = again["data"]["recordCheckpointEntries"].as_array().unwrap();
    for (a, b) in results.iter().zip(replay).take(3) {
        assert_eq!(b["status"], "DUPLICATE");
        assert_eq!(a["entry"]["id"], b["entry"]["id"]);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM checkpoint_entry").await,
        entries_before
    );
    assert_eq!(entries_before, 4);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM alert").await,
        before_alerts + 3
    );
}

#[tokio::test]
async fn entries_are_filtered_counted_paged_and_bounded() {
    let app = spawn_app().await;
    let police = app.token(Agency::Police, Role::Operator, "DEMO-02");
    let batch: Vec<Value> = (0..30)
        .map(|i| {
            let place = if i % 3 == 0 { "青屿县" } else { "白石市" };
            let temperature = if i % 5 == 0 { 37.5 } else { 36.4 };
            let direction = if i % 2 == 0 { "INBOUND" } else { "OUTBOUND" };
            entry(
                &format!("f-{i}"),
                json!({ "vehiclePlate": format!("云C{:05}", i), "fromPlace": place,
                        "temperature": temperature, "direction": direction }),
            )
        })
        .collect();
    let statements = app.statements();
    let r = app.gql(&police, RECORD, json!({ "e": batch })).await;
    assert_ok(&r);
    let used = app.statements() - statements;
    assert!(used <= 10, "a batch of 30 used {used} SQL statements");

    let total = |filter: Value| {
        let app = &app;
        let police = police.clone();
        async move {
            let r = app.gql(&police, LIST, json!({ "f": filter })).await;
            assert_ok(&r);
            r["data"]["checkpointEntries"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(total(json!({})).await, 30);
    assert_eq!(total(json!({ "fromRiskArea": true })).await, 10);
    assert_eq!(total(json!({ "fever": true })).await, 6);
    assert_eq!(total(json!({ "fever": false })).await, 24);
    assert_eq!(total(json!({ "direction": "OUTBOUND" })).await, 15);
    assert_eq!(total(json!({ "orgUnit": "DEMO-01" })).await, 0);
    assert_eq!(
        total(json!({ "passedSince": Utc::now() + Duration::minutes(1) })).await,
        0
    );

    // Pages of 7, newest first, cover every entry once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let r = app
            .gql(
                &police,
                "query($a: String) { checkpointEntries(first: 7, after: $a) { pageInfo { hasNextPage endCursor } edges { node { id } } } }",
                json!({ "a": after }),
            )
            .await;
        assert_ok(&r);
        let list = &r["data"]["checkpointEntries"];
        for edge in list["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().parse::<i64>().unwrap());
        }
        if list["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = list["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 30);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );

    // Another district sees none of them; an oversized batch is refused whole.
    let other = app.token(Agency::Police, Role::Operator, "DEMO-03");
    let r = app.gql(&other, LIST, json!({})).await;
    assert_eq!(r["data"]["checkpointEntries"]["totalCount"], 0);
    let huge: Vec<Value> = (0..501)
        .map(|i| entry(&format!("h-{i}"), json!({ "vehiclePlate": "云A12345" })))
        .collect();
    let before = app.count("SELECT COUNT(*) FROM checkpoint_entry").await;
    let r = app.gql(&police, RECORD, json!({ "e": huge })).await;
    assert_eq!(error_code(&r), Some("LIMIT_EXCEEDED"), "{r}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM checkpoint_entry").await,
        before
    );
}

#[tokio::test]
async fn each_agency_sees_its_part_of_the_checkpoints() {
    let app = spawn_app().await;
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let gate = entry(
        "gate-1",
        json!({ "checkpoint": COMMUNITY, "checkpointName": "幸福里小区东门",
                "traveller": { "name": "访客甲", "documentNumber": fixtures::resident_id(904) },
                "vehiclePlate": "云A33333", "temperature": 36.5 }),
    );
    let r = app.gql(&community, RECORD, json!({ "e": [gate] })).await;
    assert_ok(&r);
    assert_eq!(
        r["data"]["recordCheckpointEntries"][0]["status"], "RECORDED",
        "{r}"
    );

    // Health reads the entry in full but has no mutation to record one.
    let health = app.token(Agency::Health, Role::Operator, "DEMO-01");
    let seen = nodes(&app.gql(&health, LIST, json!({})).await);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0]["traveller"]["documentNumber"],
        fixtures::resident_id(904)
    );
    assert!(is_invisible(
        &app.gql(&health, RECORD, json!({ "e": [] })).await
    ));

    // Civil affairs and the command operators have no checkpoint rows at all.
    for token in [
        app.token(Agency::CivilAffairs, Role::Operator, "DEMO"),
        app.token(Agency::Command, Role::Operator, "DEMO"),
    ] {
        assert!(is_invisible(&app.gql(&token, LIST, json!({})).await));
    }

    // An analyst gets no rows at all: a row's checkpoint and day would count back what the
    // figures hide. The same for the entry's identity fields.
    let analyst = app.token(Agency::Police, Role::Analyst, "DEMO");
    for field in [
        "id fromPlace fever",
        "traveller { name }",
        "vehiclePlate",
        "recordedBy",
    ] {
        let q = format!("{{ checkpointEntries {{ edges {{ node {{ {field} }} }} }} }}");
        assert!(
            is_invisible(&app.gql(&analyst, &q, json!({})).await),
            "{field}"
        );
    }
}
