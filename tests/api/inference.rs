//! Privacy against inference: what a principal can combine must not tell it more than the
//! matrix grants. Masks nothing else undoes, no existence or identity oracle behind a
//! document number, counts that cannot be subtracted back out, tasks that reach only the
//! unit their route names.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, Utc};
use entity::{Agency, OrgLevel, Role};
use lianfang::{
    access::policy::TASK_ROUTES,
    domain::values::{mask_document_number, ResidentId},
};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, Known, COMMUNITY, GRID},
    helpers::{assert_ok, error_code, local_today, spawn_with, Options, TestApp},
};

// ---------------------------------------------------------------------------------------
// Masks that nothing else undoes
// ---------------------------------------------------------------------------------------

/// Every leaf field of `type_name` the token's schema has (no required arguments), and one
/// level of the objects below it with their leaf fields: everything a principal can ask
/// about a person in one selection.
async fn selection(app: &TestApp, token: &str, type_name: &str, depth: usize) -> String {
    let r = app
        .gql(
            token,
            "query($t: String!) { __type(name: $t) { fields { name
                args { type { kind } }
                type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }",
            json!({ "t": type_name }),
        )
        .await;
    assert_ok(&r);
    let mut parts = Vec::new();
    for field in r["data"]["__type"]["fields"].as_array().unwrap() {
        if field["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"]["kind"] == "NON_NULL")
        {
            continue;
        }
        let mut ty = &field["type"];
        while ty["kind"] == "NON_NULL" || ty["kind"] == "LIST" {
            ty = &ty["ofType"];
        }
        let name = field["name"].as_str().unwrap();
        match ty["kind"].as_str().unwrap() {
            "SCALAR" | "ENUM" => parts.push(name.to_owned()),
            "OBJECT" if depth > 0 => {
                let inner = Box::pin(selection(
                    app,
                    token,
                    ty["name"].as_str().unwrap(),
                    depth - 1,
                ))
                .await;
                if !inner.is_empty() {
                    parts.push(format!("{name} {{ {inner} }}"));
                }
            }
            _ => {}
        }
    }
    parts.join(" ")
}

/// The numbers of `n` 18-character resident IDs that fit what a masked viewer sees: the
/// masked number, the birth year and the sex (the 17th digit's parity).
fn candidates(masked: &str, birth_year: i32, male: Option<bool>) -> usize {
    let (head, tail) = (&masked[..6], &masked[16..]);
    let mut n = 0;
    let mut day = NaiveDate::from_ymd_opt(birth_year, 1, 1).unwrap();
    while day.year() == birth_year && day <= Utc::now().date_naive() {
        for middle in 0..100 {
            let candidate = format!("{head}{}{middle:02}{tail}", day.format("%Y%m%d"));
            let sex_fits =
                male.is_none_or(|m| (candidate.as_bytes()[16] - b'0') % 2 == u8::from(m));
            if sex_fits && ResidentId::parse(&candidate).is_ok_and(|id| id.masked() == masked) {
                n += 1;
            }
        }
        day = day.succ_opt().unwrap();
    }
    n
}

#[tokio::test]
async fn nothing_a_masked_agency_reads_rebuilds_a_masked_number() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    // The truth, from the database: every number and birth date.
    let truth: HashMap<i64, (Option<String>, Option<NaiveDate>)> = {
        use sea_orm::EntityTrait;
        entity::person::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.id, (p.document_number, p.birth_date)))
            .collect()
    };
    // A whole district's residents, to have many masked numbers to try.
    let principals = [
        (Agency::Community, Role::Operator, "DEMO-01"),
        (Agency::CivilAffairs, Role::Operator, "DEMO-01"),
        (Agency::Command, Role::Operator, "DEMO"),
        (Agency::Health, Role::Analyst, "DEMO"),
        (Agency::Community, Role::Analyst, COMMUNITY),
    ];
    let mut everything = Vec::new();
    for (agency, role, org) in principals {
        let token = app.token(agency, role, org);
        let person = selection(&app, &token, "Person", 1).await;
        // Everything about the persons in reach: the list, and the persons met through
        // cases, contacts and observations where the principal's schema has them.
        let mut seen: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
        let lists = [
            ("persons", format!("id {person}")),
            ("cases", format!("person {{ id {person} }}")),
            ("contacts", format!("person {{ id {person} }}")),
            ("quarantines", format!("person {{ id {person} }}")),
            ("vulnerablePersons", format!("person {{ id {person} }}")),
        ];
        let mut read_lists = 0;
        for (list, node) in lists {
            let query = format!(
                "query($after: String) {{ {list}(first: 5, after: $after) {{ pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {node} }} }} }} }}"
            );
            let probe = app.gql(&token, &query, json!({ "after": null })).await;
            if crate::helpers::is_invisible(&probe) {
                continue;
            }
            read_lists += 1;
            for node in app
                .all_pages(&token, &query, list, json!({ "after": null }))
                .await
            {
                let p = if list == "persons" {
                    node
                } else {
                    node["person"].clone()
                };
                let id: i64 = p["id"].as_str().unwrap().parse().unwrap();
                seen.entry(id).or_default().push(p);
            }
        }
        assert!(
            read_lists > 0 && !seen.is_empty(),
            "{agency} {role} read nothing"
        );
        everything.push((agency, role, seen));
    }
    // Checked once every request is done: the candidate count is slow work, and the server
    // would meanwhile close the client's idle connection.
    for (agency, role, seen) in everything {
        let mut masked_checked = 0;
        for (id, views) in &seen {
            let (number, birth) = &truth[id];
            let text = serde_json::to_string(views).unwrap();
            if let Some(number) = number {
                assert!(
                    !text.contains(number.as_str()),
                    "{agency} {role}: a full number of {id}"
                );
            }
            if let Some(birth) = birth {
                for form in [
                    birth.format("%Y-%m-%d").to_string(),
                    birth.format("%Y%m%d").to_string(),
                ] {
                    assert!(
                        !text.contains(&form),
                        "{agency} {role}: the birth date of {id} in {text}"
                    );
                }
            }
            let shown = views.iter().find_map(|v| v["documentNumber"].as_str());
            if let (Some(masked), Some(number)) = (shown, number) {
                assert_eq!(masked, mask_document_number(number));
                let year = views[0]["birthYear"].as_i64().unwrap() as i32;
                let male = match views[0]["sex"].as_str() {
                    Some("MALE") => Some(true),
                    Some("FEMALE") => Some(false),
                    _ => None,
                };
                let n = candidates(masked, year, male);
                assert!(
                    n >= 1_000,
                    "{agency} {role}: only {n} numbers fit person {id}"
                );
                masked_checked += 1;
            }
        }
        if matches!(agency, Agency::Community | Agency::CivilAffairs) && role == Role::Operator {
            assert!(
                masked_checked >= 5,
                "{agency}: {masked_checked} masked numbers checked"
            );
        } else {
            assert_eq!(masked_checked, 0, "{agency} {role} sees no number at all");
        }
    }
}

// ---------------------------------------------------------------------------------------
// No existence or identity oracle
// ---------------------------------------------------------------------------------------

/// A response with every string, number and id blanked: what is left is its shape, its
/// codes and its flags, which must not depend on whose a number is.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let kept = match (k.as_str(), v) {
                        // Codes, statuses and units are part of the shape.
                        ("code" | "status" | "field", _) | (_, Value::Bool(_) | Value::Null) => {
                            v.clone()
                        }
                        (_, Value::String(_)) => json!("s"),
                        (_, Value::Number(_)) => json!(0),
                        _ => shape(v),
                    };
                    (k.clone(), kept)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        other => other.clone(),
    }
}

/// Nothing of `person` (registered elsewhere) may appear in `response`.
fn assert_nothing_of(person: &Known, home: &str, response: &Value) {
    let text = response.to_string();
    for (what, value) in [
        ("id", format!("\"{}\"", person.id)),
        ("phone", person.phone.clone()),
        ("address", person.address.clone()),
        ("home", home.to_owned()),
    ] {
        assert!(
            !text.contains(&value),
            "the {what} of a person elsewhere: {text}"
        );
    }
}

/// Three submissions of a number as a masked agency: unknown, registered elsewhere under
/// this name, registered elsewhere under another name. Their answers must be alike.
fn assert_alike(path: &str, answers: &[Value; 3]) {
    let shapes: Vec<Value> = answers.iter().map(shape).collect();
    assert_eq!(
        shapes[0], shapes[1],
        "{path}: unknown vs right name\n{answers:?}"
    );
    assert_eq!(
        shapes[0], shapes[2],
        "{path}: unknown vs wrong name\n{answers:?}"
    );
}

const ELSEWHERE_GRID: &str = "DEMO-02-01-01-01";
const ELSEWHERE_COMMUNITY: &str = "DEMO-02-01-01";

#[tokio::test]
async fn a_number_tells_a_masked_agency_nothing_whoever_it_belongs_to() {
    let app = spawn_with(Options::default()).await;
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let home = app.token(Agency::Community, Role::Operator, ELSEWHERE_COMMUNITY);
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let mut next = 7000;
    let mut outsider = |name: &'static str| {
        next += 1;
        let n = next;
        let app = &app;
        async move { fixtures::register(app, n, name, ELSEWHERE_GRID).await }
    };
    let unknown = |n: u16| fixtures::resident_id(n);

    // Registration.
    let (p1, p2) = (outsider("王外甲").await, outsider("王外乙").await);
    let register = |number: String, name: &'static str| {
        let app = &app;
        let community = community.clone();
        async move {
            app.gql(
                &community,
                "mutation($i: PersonInput!) { registerPerson(input: $i) { id name sex birthYear documentNumber version pseudonymized residence { code } provenance { agency reportCount } } }",
                json!({ "i": { "documentType": "RESIDENT_ID", "documentNumber": number, "name": name, "residence": GRID } }),
            )
            .await
        }
    };
    let answers = [
        register(unknown(7101), "返乡甲").await,
        register(p1.document.clone(), "王外甲").await,
        register(p2.document.clone(), "冒名乙").await,
    ];
    assert_alike("registerPerson", &answers);
    for (answer, person) in answers[1..].iter().zip([&p1, &p2]) {
        assert_ok(answer);
        assert_nothing_of(person, ELSEWHERE_GRID, answer);
    }
    // Behind the scenes, both claims wait for an agency that sees numbers in full.
    let held = app
        .gql(
            &health,
            "{ heldRegistrations(first: 10) { edges { node { held { id name documentNumber } claimed { id } nameMatches } } } }",
            json!({}),
        )
        .await;
    assert_ok(&held);
    let held: Vec<(String, bool)> = held["data"]["heldRegistrations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["claimed"]["id"].as_str().unwrap().to_owned(),
                e["node"]["nameMatches"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(held, [(p1.id.clone(), true), (p2.id.clone(), false)]);
    // The community cannot ask for them.
    assert!(crate::helpers::is_invisible(
        &app.gql(
            &community,
            "{ heldRegistrations { edges { node { nameMatches } } } }",
            json!({})
        )
        .await
    ));

    // Merging what it registered into a record of its own answers alike too (the number
    // a held record carries stays held on the kept one).
    let registered: Vec<String> = answers
        .iter()
        .map(|a| {
            a["data"]["registerPerson"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut merges = Vec::new();
    for (i, id) in registered.iter().enumerate() {
        let twin = app
            .gql(
                &community,
                "mutation($n: String!) { registerPerson(input: { name: $n, residence: \"DEMO-01-01-01-01\" }) { id } }",
                json!({ "n": format!("并档{i}") }),
            )
            .await;
        assert_ok(&twin);
        merges.push(
            app.gql(
                &community,
                "mutation($k: ID!, $m: ID!) { mergePersons(keepId: $k, mergeId: $m, expectedVersions: { keep: 1, merge: 1 }) { id documentNumber version } }",
                json!({ "k": twin["data"]["registerPerson"]["id"], "m": id }),
            )
            .await,
        );
    }
    let merges: [Value; 3] = merges.try_into().unwrap();
    assert_alike("mergePersons", &merges);
    assert_ok(&merges[1]);
    // Registered while tracing a contact of a local case.
    let resident = fixtures::register(&app, 7201, "本地病例", GRID).await;
    let case = app
        .gql(
            &health,
            "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }",
            json!({ "p": resident.id }),
        )
        .await;
    assert_ok(&case);
    let case_id = case["data"]["reportCase"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (p3, p4) = (outsider("王外丙").await, outsider("王外丁").await);
    let contact = |number: String, name: &'static str| {
        let app = &app;
        let community = community.clone();
        let case_id = case_id.clone();
        async move {
            app.gql(
                &community,
                "mutation($c: ID!, $i: PersonInput!, $d: NaiveDate!) { recordContact(input: { sourceCase: $c, person: { register: $i }, relation: SOCIAL, lastExposureDate: $d }) { id status person { id name documentNumber pseudonymized birthYear residence { code } } } }",
                json!({ "c": case_id, "d": local_today() - Duration::days(1),
                        "i": { "documentType": "RESIDENT_ID", "documentNumber": number, "name": name, "residence": GRID } }),
            )
            .await
        }
    };
    let answers = [
        contact(unknown(7102), "接触甲").await,
        contact(p3.document.clone(), "王外丙").await,
        contact(p4.document.clone(), "冒名丁").await,
    ];
    assert_alike("recordContact", &answers);
    for (answer, person) in answers[1..].iter().zip([&p3, &p4]) {
        assert_ok(answer);
        assert_nothing_of(person, ELSEWHERE_GRID, answer);
    }
    // Behind the scenes: the home of the person the number belongs to is alerted.
    let alerted = |kind: &'static str| {
        let app = &app;
        let home = home.clone();
        async move {
            let r = app
                .gql(&home, "query($k: [AlertKind!]) { alerts(first: 100, filter: { kinds: $k }) { edges { node { person { id } } } } }", json!({ "k": [kind] }))
                .await;
            assert_ok(&r);
            r["data"]["alerts"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["node"]["person"]["id"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    assert!(alerted("CONTACT_TRACED").await.contains(&p3.id));

    // Checkpoint passages at the community's gate, from a risk area.
    let (p5, p6) = (outsider("王外戊").await, outsider("王外己").await);
    let pass = |key: &'static str, number: String, name: &'static str| {
        let app = &app;
        let community = community.clone();
        async move {
            app.gql(
                &community,
                "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) { idempotencyKey status error { code field } entry { id fromRiskArea fever destination { code } person { id name } traveller { name documentNumber phone } } } }",
                json!({ "e": [{ "idempotencyKey": key, "checkpointName": "幸福里东门", "checkpoint": COMMUNITY,
                    "direction": "INBOUND", "passedAt": Utc::now() - Duration::minutes(3), "fromPlace": "澜海市",
                    "traveller": { "name": name, "documentNumber": number } }] }),
            )
            .await
        }
    };
    let arrivals = "{ alerts(first: 100, filter: { kinds: [RISK_AREA_ARRIVAL] }) { edges { node { person { id } } } } }";
    let mine_before = app.gql(&community, arrivals, json!({})).await;
    assert_ok(&mine_before);
    let answers = [
        pass("gate-1", unknown(7103), "旅客甲").await,
        pass("gate-2", p5.document.clone(), "王外戊").await,
        pass("gate-3", p6.document.clone(), "冒名己").await,
    ];
    assert_alike("recordCheckpointEntries", &answers);
    for (answer, person) in answers[1..].iter().zip([&p5, &p6]) {
        assert_ok(answer);
        assert_nothing_of(person, ELSEWHERE_GRID, answer);
    }
    // The community's own alerts grew alike, one per passage and none naming anyone.
    let mine = app.gql(&community, arrivals, json!({})).await;
    assert_eq!(
        mine["data"]["alerts"]["edges"].as_array().unwrap().len(),
        mine_before["data"]["alerts"]["edges"]
            .as_array()
            .unwrap()
            .len()
            + 3
    );
    assert!(mine["data"]["alerts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["node"]["person"].is_null()));
    // Behind the scenes: the arrival reaches the traveller's home by name; the number under
    // another name is flagged for the police.
    assert!(alerted("RISK_AREA_ARRIVAL").await.contains(&p5.id));
    assert!(!alerted("RISK_AREA_ARRIVAL").await.contains(&p6.id));
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let flagged = app
        .gql(&police, "{ checkpointEntries(first: 10, filter: { identityConflict: true }) { edges { node { traveller { name documentNumber } } } } }", json!({}))
        .await;
    assert_ok(&flagged);
    assert_eq!(
        flagged["data"]["checkpointEntries"]["edges"][0]["node"]["traveller"],
        json!({ "name": "冒名己", "documentNumber": p6.document })
    );

    // Filters: an entry linked behind the scenes is not found by trying the person's id.
    let by_person = "query($p: ID!) { checkpointEntries(filter: { person: $p }) { totalCount } }";
    for id in [p5.id.as_str(), "999999"] {
        let r = app.gql(&community, by_person, json!({ "p": id })).await;
        assert_eq!(r["data"]["checkpointEntries"]["totalCount"], 0, "{r}");
    }

    // Edits and merges never test a date against a number's hidden middle: refused alike.
    let local = fixtures::register(&app, 7301, "本地居民", GRID).await;
    let birth = ResidentId::parse(&local.document).unwrap().birth_date();
    let edit = "mutation($id: ID!, $d: NaiveDate!) { updatePerson(id: $id, expectedVersion: 1, input: { birthDate: $d }) { id } }";
    let right = app
        .gql(&community, edit, json!({ "id": local.id, "d": birth }))
        .await;
    let wrong = app
        .gql(
            &community,
            edit,
            json!({ "id": local.id, "d": birth - Duration::days(1) }),
        )
        .await;
    assert_eq!(error_code(&right), Some("BAD_USER_INPUT"), "{right}");
    assert_eq!(right["errors"][0]["message"], wrong["errors"][0]["message"]);
    for (date, name) in [(birth, "本地居民"), (birth - Duration::days(3), "本地居民")] {
        let twin = app
            .gql(
                &community,
                "mutation($n: String!, $d: NaiveDate!) { registerPerson(input: { name: $n, birthDate: $d, residence: \"DEMO-01-01-01-01\" }) { id version } }",
                json!({ "n": name, "d": date }),
            )
            .await;
        assert_ok(&twin);
        let merged = app
            .gql(
                &community,
                "mutation($k: ID!, $m: ID!) { mergePersons(keepId: $k, mergeId: $m, expectedVersions: { keep: 1, merge: 1 }) { id } }",
                json!({ "k": twin["data"]["registerPerson"]["id"], "m": local.id }),
            )
            .await;
        assert_eq!(error_code(&merged), Some("FORBIDDEN"), "{merged}");
    }
}

#[tokio::test]
async fn a_held_registration_is_settled_by_an_agency_that_sees_numbers_in_full() {
    let app = spawn_with(Options::default()).await;
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let same = fixtures::register(&app, 7401, "返乡甲", ELSEWHERE_GRID).await;
    let other = fixtures::register(&app, 7402, "真实乙", ELSEWHERE_GRID).await;
    let register = "mutation($i: PersonInput!) { registerPerson(input: $i) { id version } }";
    let mut held = Vec::new();
    for (person, name) in [(&same, "返乡甲"), (&other, "冒名乙")] {
        let r = app
            .gql(&community, register, json!({ "i": { "documentType": "RESIDENT_ID", "documentNumber": person.document, "name": name, "phone": "13700001111", "residence": GRID } }))
            .await;
        assert_ok(&r);
        held.push(
            r["data"]["registerPerson"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let resolve = "mutation($id: ID!, $s: Boolean!) { resolveHeldRegistration(id: $id, expectedVersion: 1, samePerson: $s) { id name documentNumber residence { code } } }";
    // Not by the community.
    assert!(crate::helpers::is_invisible(
        &app.gql(&community, resolve, json!({ "id": held[0], "s": true }))
            .await
    ));
    // The same human: one record, living where the community registered them.
    let r = app
        .gql(&police, resolve, json!({ "id": held[0], "s": true }))
        .await;
    assert_ok(&r);
    assert_eq!(r["data"]["resolveHeldRegistration"]["id"], same.id.as_str());
    assert_eq!(
        r["data"]["resolveHeldRegistration"]["residence"]["code"],
        GRID
    );
    let mine = app
        .gql(
            &community,
            "query($id: ID!) { person(id: $id) { name phone } }",
            json!({ "id": same.id }),
        )
        .await;
    assert_ok(&mine);
    // Not the same: the number is struck from the held record, which stays.
    let r = app
        .gql(&police, resolve, json!({ "id": held[1], "s": false }))
        .await;
    assert_ok(&r);
    assert!(r["data"]["resolveHeldRegistration"]["documentNumber"].is_null());
    assert_eq!(r["data"]["resolveHeldRegistration"]["name"], "冒名乙");
    // Nothing left to settle, and the number still belongs to one verified person.
    let left = app
        .gql(
            &police,
            "{ heldRegistrations { edges { node { nameMatches } } } }",
            json!({}),
        )
        .await;
    assert_eq!(left["data"]["heldRegistrations"]["edges"], json!([]));
    let owners = app
        .count(&format!(
            "SELECT COUNT(*) FROM person WHERE document_number = '{}' AND merged_into_id IS NULL",
            other.document
        ))
        .await;
    assert_eq!(owners, 1);
    // Audited as decisions.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation resolveHeldRegistration'"
        )
        .await,
        2
    );
}

// ---------------------------------------------------------------------------------------
// Counts that cannot be subtracted
// ---------------------------------------------------------------------------------------

const FLOWS: [&str; 7] = [
    "newSuspected",
    "newConfirmed",
    "newAsymptomatic",
    "contactsTraced",
    "fevers",
    "tasksOpened",
    "tasksClosed",
];
const STOCKS: [&str; 3] = ["cumulativeConfirmed", "activeQuarantines", "checksDue"];

fn stats_query() -> String {
    let fields = FLOWS
        .iter()
        .chain(STOCKS.iter())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "query($u: String, $f: NaiveDate!, $t: NaiveDate!, $c: Boolean!) {{ statistics(orgUnit: $u, from: $f, to: $t, byChild: $c) {{
        totals {{ {fields} }} days {{ date {fields} }}
        children {{ orgUnit {{ code }} totals {{ {fields} }} days {{ date {fields} }} }} }} }}"
    )
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64()
}

#[tokio::test]
async fn no_hidden_count_comes_back_by_subtraction() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    let analyst = app.token(Agency::Health, Role::Analyst, "DEMO");
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    let today = local_today();
    let from = today - Duration::days(13);
    let mut cases = 0;
    let mut recovered = 0;
    let mut hidden_seen = 0;
    for unit in ["DEMO", "DEMO-01", "DEMO-02", "DEMO-01-01"] {
        let vars = json!({ "u": unit, "f": from, "t": today, "c": true });
        let shown = app.gql(&analyst, &stats_query(), vars.clone()).await;
        let exact = app.gql(&command, &stats_query(), vars).await;
        assert_ok(&shown);
        assert_ok(&exact);
        let (shown, exact) = (&shown["data"]["statistics"], &exact["data"]["statistics"]);

        // Periods and days: a window's flows are the sums of its days as shown, for every
        // window, so two overlapping windows differ by exactly a shown day, never a true one.
        for (a, b) in [(0, 13), (0, 6), (3, 9), (7, 13), (5, 5), (12, 13)] {
            let window = app
                .gql(
                    &analyst,
                    &stats_query(),
                    json!({ "u": unit, "f": from + Duration::days(a), "t": from + Duration::days(b), "c": false }),
                )
                .await;
            assert_ok(&window);
            let window = &window["data"]["statistics"];
            for metric in FLOWS {
                let days: Vec<Option<i64>> = (a..=b)
                    .map(|d| number(&shown["days"][d as usize][metric]))
                    .collect();
                // The window's days read as the full period's days do.
                for (i, d) in (a..=b).enumerate() {
                    assert_eq!(window["days"][i][metric], shown["days"][d as usize][metric]);
                }
                if let Some(sum) = days.iter().copied().sum::<Option<i64>>() {
                    if sum >= 5 || sum == 0 {
                        assert_eq!(window["totals"][metric], sum, "{unit} {metric} {a}..{b}");
                    }
                }
            }
        }

        // Parent and children: where exactly one child is hidden on a day, the parent minus
        // the others is that child plus noise; count how often it is the true value.
        let children = shown["children"].as_array().unwrap();
        let exact_children = exact["children"].as_array().unwrap();
        for day in 0..14 {
            for metric in FLOWS.iter().chain(STOCKS.iter()) {
                let values: Vec<&Value> =
                    children.iter().map(|c| &c["days"][day][*metric]).collect();
                let hidden: Vec<usize> = (0..values.len())
                    .filter(|i| values[*i].is_string())
                    .collect();
                hidden_seen += hidden.len();
                let Some(parent) = number(&shown["days"][day][*metric]) else {
                    continue;
                };
                if hidden.len() != 1 {
                    continue;
                }
                let others: i64 = values.iter().filter_map(|v| number(v)).sum();
                let derived = parent - others;
                let truth = exact_children[hidden[0]]["days"][day][*metric]
                    .as_i64()
                    .unwrap();
                cases += 1;
                if derived == truth {
                    recovered += 1;
                }
                // Within the noise of the terms subtracted, so several true values fit.
                assert!(
                    (derived - truth).abs() <= 2 * values.len() as i64,
                    "{unit} {metric}"
                );
            }
        }
    }
    assert!(hidden_seen > 0, "no hidden count to attack");
    assert!(cases >= 5, "only {cases} differencing cases");
    assert!(
        recovered < cases,
        "subtraction gave the true count in every one of {cases} cases"
    );

    // The same cell reads the same through the daily report as through the statistics.
    for unit in ["DEMO-01", "DEMO-01-01-01"] {
        let day = today - Duration::days(2);
        let stats_q = "query($u: String, $d: NaiveDate!) { statistics(orgUnit: $u, from: $d, to: $d) { days { newConfirmed activeQuarantines fevers } } }";
        let report_q = "query($u: String, $d: NaiveDate) { dailyReport(orgUnit: $u, date: $d) { figures { newCases { confirmed } activeQuarantines fevers } } }";
        let vars = json!({ "u": unit, "d": day });
        let (sa, se) = (
            app.gql(&analyst, stats_q, vars.clone()).await,
            app.gql(&command, stats_q, vars.clone()).await,
        );
        let (ra, re) = (
            app.gql(&analyst, report_q, vars.clone()).await,
            app.gql(&command, report_q, vars).await,
        );
        for r in [&sa, &se, &ra, &re] {
            assert_ok(r);
        }
        for (stat, report) in [
            ("newConfirmed", "/newCases/confirmed"),
            ("activeQuarantines", "/activeQuarantines"),
            ("fevers", "/fevers"),
        ] {
            let exact_stat = &se["data"]["statistics"]["days"][0][stat];
            let exact_report = re["data"]["dailyReport"]["figures"]
                .pointer(report)
                .unwrap();
            if exact_stat == exact_report {
                assert_eq!(
                    &sa["data"]["statistics"]["days"][0][stat],
                    ra["data"]["dailyReport"]["figures"]
                        .pointer(report)
                        .unwrap(),
                    "{unit} {stat}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tasks reach only the unit their route names
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn every_task_route_goes_only_to_the_unit_it_names() {
    let app = spawn_with(Options::default()).await;
    let person = fixtures::register(&app, 7501, "任务对象", GRID).await;
    // Vulnerable, so that civil affairs (which sends some routes) reaches them too.
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    assert_ok(
        &app.gql(
            &community,
            "mutation($id: ID!) { setVulnerabilities(id: $id, expectedVersion: 1, flags: [ELDERLY_LIVING_ALONE]) { version } }",
            json!({ "id": person.id }),
        )
        .await,
    );
    // Units around the person's residence (GRID: DEMO-01-01-01-01).
    let units: [(&str, OrgLevel, bool); 9] = [
        // code, level, contains the residence
        ("DEMO", OrgLevel::City, true),
        ("DEMO-01", OrgLevel::District, true),
        ("DEMO-02", OrgLevel::District, false),
        ("DEMO-01-01", OrgLevel::Street, true),
        ("DEMO-01-02", OrgLevel::Street, false),
        ("DEMO-01-01-01", OrgLevel::Community, true),
        ("DEMO-01-01-02", OrgLevel::Community, false),
        (GRID, OrgLevel::Grid, true),
        ("DEMO-02-01-01-01", OrgLevel::Grid, false),
    ];
    let depth = |level: OrgLevel| match level {
        OrgLevel::City => 1,
        OrgLevel::District => 2,
        OrgLevel::Street => 3,
        OrgLevel::Community => 4,
        OrgLevel::Grid => 5,
    };
    let create = "mutation($i: CreateTaskInput!) { createTask(input: $i) { id toUnit { code } } }";
    let mut checked = 0;
    for (kind, senders, receiver, level) in TASK_ROUTES {
        let kind_name = kind.to_string();
        for sender in *senders {
            let token = app.token(*sender, Role::Operator, "DEMO");
            // Omitted: the unit the route names.
            let r = app
                .gql(&token, create, json!({ "i": { "kind": kind_name, "person": person.id, "toAgency": receiver.to_string() } }))
                .await;
            assert_ok(&r);
            let named = units
                .iter()
                .find(|(_, l, inside)| *inside && l == level)
                .unwrap()
                .0;
            assert_eq!(r["data"]["createTask"]["toUnit"]["code"], named, "{kind:?}");
            for (code, unit_level, contains) in units {
                let allowed = contains && depth(unit_level) >= depth(*level);
                let before = app.count("SELECT COUNT(*) FROM task").await;
                let r = app
                    .gql(&token, create, json!({ "i": { "kind": kind_name, "person": person.id, "toAgency": receiver.to_string(), "toOrgUnit": code } }))
                    .await;
                checked += 1;
                if allowed {
                    assert_ok(&r);
                } else {
                    assert_eq!(
                        error_code(&r),
                        Some("FORBIDDEN"),
                        "{kind:?} from {sender} to {code}: {r}"
                    );
                    assert_eq!(
                        app.count("SELECT COUNT(*) FROM task").await,
                        before,
                        "nothing written"
                    );
                }
            }
        }
    }
    assert!(checked >= 100, "{checked} cells");
}

// ---------------------------------------------------------------------------------------
// Numbers tried one after another
// ---------------------------------------------------------------------------------------

/// Valid resident ID numbers that look like `number` to an agency that sees it masked (same
/// region, birth year and last two characters), other than `number` itself.
pub(crate) fn look_alikes(number: &str) -> impl Iterator<Item = String> + '_ {
    let year: i32 = number[6..10].parse().unwrap();
    (1..=365)
        .filter_map(move |d| NaiveDate::from_yo_opt(year, d))
        .flat_map(move |day| {
            (0..100).map(move |middle| {
                format!(
                    "{}{}{middle:02}{}",
                    &number[..6],
                    day.format("%Y%m%d"),
                    &number[16..]
                )
            })
        })
        .filter(move |c| c != number && ResidentId::parse(c).is_ok())
}

#[tokio::test]
async fn a_masked_number_cannot_be_found_by_trying_numbers() {
    let app = spawn_with(Options::default()).await;
    let community = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let resident = fixtures::register(&app, 4321, "李守号", GRID).await;
    let tries: Vec<String> = look_alikes(&resident.document).take(6).collect();
    let register = |token: String, number: String, name: String| {
        let app = &app;
        async move {
            app.gql(
                &token,
                "mutation($i: PersonInput!) { registerPerson(input: $i) { id } }",
                json!({ "i": { "documentType": "RESIDENT_ID", "documentNumber": number, "name": name, "residence": GRID } }),
            )
            .await
        }
    };
    let mut created = Vec::new();
    for (i, number) in tries[..3].iter().enumerate() {
        let r = register(community.clone(), number.clone(), format!("李试{i}")).await;
        assert_ok(&r);
        created.push(r["data"]["registerPerson"]["id"].clone());
    }
    assert!(!created.contains(&json!(resident.id)));

    // A fourth number of that look is refused, and so is the resident's own: the refusal
    // cannot tell which one was right.
    let fourth = register(community.clone(), tries[3].clone(), "李试3".into()).await;
    let right = register(
        community.clone(),
        resident.document.clone(),
        "李守号".into(),
    )
    .await;
    assert_eq!(error_code(&fourth), Some("LIMIT_EXCEEDED"), "{fourth:#}");
    assert_eq!(error_code(&right), Some("LIMIT_EXCEEDED"), "{right:#}");
    assert_eq!(
        fourth["errors"][0]["message"],
        right["errors"][0]["message"]
    );
    assert!(!right.to_string().contains(&resident.id));

    // A number entered before may be entered again; a number of another look is not limited;
    // an agency that sees numbers in full is not limited.
    let again = register(community.clone(), tries[0].clone(), "李试0".into()).await;
    assert_ok(&again);
    assert_eq!(again["data"]["registerPerson"]["id"], created[0]);
    assert_ok(
        &register(
            community.clone(),
            fixtures::resident_id(4322),
            "张别样".into(),
        )
        .await,
    );
    assert_ok(&register(health.clone(), tries[4].clone(), "李试4".into()).await);

    // The same budget holds at the community's checkpoint, item by item.
    let pass = |key: &'static str, number: String| {
        let app = &app;
        let community = community.clone();
        async move {
            let r = app
                .gql(
                    &community,
                    "mutation($e: [CheckpointEntryInput!]!) { recordCheckpointEntries(entries: $e) { status error { code field message } entry { person { id } } } }",
                    json!({ "e": [{ "idempotencyKey": key, "checkpointName": "幸福里东门", "checkpoint": COMMUNITY,
                        "direction": "INBOUND", "passedAt": Utc::now() - Duration::minutes(3),
                        "traveller": { "name": "李守号", "documentNumber": number } }] }),
                )
                .await;
            assert_ok(&r);
            r["data"]["recordCheckpointEntries"][0].clone()
        }
    };
    let refused = [
        pass("try-5", tries[5].clone()).await,
        pass("try-right", resident.document.clone()).await,
    ];
    for item in &refused {
        assert_eq!(item["status"], "REJECTED", "{item:#}");
        assert_eq!(item["error"]["code"], "LIMIT_EXCEEDED");
        assert_eq!(
            item["error"]["field"],
            "entries[0].traveller.documentNumber"
        );
    }
    assert_eq!(refused[0]["error"], refused[1]["error"]);
    assert_eq!(pass("try-1", tries[1].clone()).await["status"], "RECORDED");
}
