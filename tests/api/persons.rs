//! Registration, updates and lists of persons.

use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, COMMUNITY, GRID, OTHER_DISTRICT},
    helpers::{assert_ok, error_code, spawn_app},
};

const PROVENANCE: &str = r#"
query($id: ID!) { person(id: $id) { id name phone version provenance { agency reportCount } } }"#;

#[tokio::test]
async fn registering_the_same_document_twice_updates_one_record_and_adds_provenance() {
    let app = spawn_app().await;
    let first = fixtures::register(&app, 21, "周晓梅", GRID).await;
    let before = app.count("SELECT COUNT(*) FROM person").await;

    let police = app.token(Agency::Police, Role::Operator, "DEMO-01");
    let response = app
        .gql(
            &police,
            fixtures::REGISTER,
            json!({ "input": {
                "documentType": "RESIDENT_ID", "documentNumber": first.document.to_lowercase(),
                "name": "周晓梅", "phone": "13600001111", "residence": GRID,
            }}),
        )
        .await;
    assert_ok(&response);
    assert_eq!(
        response["data"]["registerPerson"]["id"],
        first.id.as_str(),
        "same record"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM person").await,
        before,
        "no duplicate"
    );

    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let person = app
        .gql(&health, PROVENANCE, json!({ "id": first.id }))
        .await;
    assert_eq!(
        person["data"]["person"]["phone"], "13600001111",
        "the second report updated the record"
    );
    assert_eq!(person["data"]["person"]["version"], 2);
    assert_eq!(
        person["data"]["person"]["provenance"],
        json!([{ "agency": "HEALTH", "reportCount": 1 }, { "agency": "POLICE", "reportCount": 1 }])
    );

    // The same agency reporting again counts, and still does not duplicate.
    let again = app
        .gql(
            &police,
            fixtures::REGISTER,
            json!({ "input": { "documentType": "RESIDENT_ID", "documentNumber": first.document, "name": "周晓梅", "residence": GRID }}),
        )
        .await;
    assert_ok(&again);
    let person = app
        .gql(&health, PROVENANCE, json!({ "id": first.id }))
        .await;
    assert_eq!(
        person["data"]["person"]["provenance"][1],
        json!({ "agency": "POLICE", "reportCount": 2 })
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM person").await, before);
}

#[tokio::test]
async fn concurrent_registrations_of_a_new_document_make_one_record() {
    let app = spawn_app().await;
    let document = fixtures::resident_id(31);
    let before = app.count("SELECT COUNT(*) FROM person").await;
    let tokens: Vec<String> = [Agency::Health, Agency::Police, Agency::Community]
        .into_iter()
        .map(|agency| app.token(agency, Role::Operator, COMMUNITY))
        .collect();
    let requests = tokens.iter().map(|token| {
        app.gql(
            token,
            fixtures::REGISTER,
            json!({ "input": { "documentType": "RESIDENT_ID", "documentNumber": document, "name": "吴磊", "residence": GRID }}),
        )
    });
    let responses = futures_util::future::join_all(requests).await;
    let ids: Vec<&Value> = responses
        .iter()
        .map(|r| &r["data"]["registerPerson"]["id"])
        .collect();
    for response in &responses {
        assert_ok(response);
    }
    assert!(ids.windows(2).all(|pair| pair[0] == pair[1]), "{ids:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM person").await, before + 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM person_provenance WHERE last_reported_by LIKE 'test-%'")
            .await,
        3
    );
}

#[tokio::test]
async fn concurrent_updates_with_the_same_version_let_exactly_one_win() {
    let app = spawn_app().await;
    let person = fixtures::register(&app, 41, "孙悦", GRID).await;
    let version = fixtures::version_of(&app, &person.id).await;
    let token = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let updates = (0..8).map(|i| {
        app.gql(
            &token,
            "mutation($id: ID!, $v: Int!, $p: String!) { updatePerson(id: $id, expectedVersion: $v, input: { phone: $p }) { version phone } }",
            json!({ "id": person.id, "v": version, "p": format!("1371234567{i}") }),
        )
    });
    let responses = futures_util::future::join_all(updates).await;
    let winners: Vec<&Value> = responses
        .iter()
        .filter(|r| r.get("errors").is_none())
        .collect();
    let conflicts: Vec<&Value> = responses
        .iter()
        .filter(|r| error_code(r) == Some("CONFLICT"))
        .collect();
    assert_eq!(winners.len(), 1, "{responses:#?}");
    assert_eq!(conflicts.len(), 7, "{responses:#?}");
    assert_eq!(winners[0]["data"]["updatePerson"]["version"], version + 1);
    for conflict in conflicts {
        assert!(
            conflict["errors"][0]["extensions"]["currentVersion"].is_i64(),
            "{conflict}"
        );
    }
    let stored = app
        .gql(
            &token,
            "query($id: ID!) { person(id: $id) { phone version } }",
            json!({ "id": person.id }),
        )
        .await;
    assert_eq!(
        stored["data"]["person"]["phone"],
        winners[0]["data"]["updatePerson"]["phone"]
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_event WHERE operation = 'mutation updatePerson' AND entity_id = {}", person.id)).await,
        1,
        "only the winning write is audited"
    );
}

#[tokio::test]
async fn a_stale_version_is_rejected_with_conflict_carrying_the_current_version() {
    let app = spawn_app().await;
    let person = fixtures::register(&app, 42, "何静", GRID).await;
    let token = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let update = "mutation($id: ID!, $v: Int!, $a: String!) { updatePerson(id: $id, expectedVersion: $v, input: { address: $a }) { version address } }";
    let first = app
        .gql(
            &token,
            update,
            json!({ "id": person.id, "v": 1, "a": "新地址一号" }),
        )
        .await;
    assert_ok(&first);
    let stale = app
        .gql(
            &token,
            update,
            json!({ "id": person.id, "v": 1, "a": "新地址二号" }),
        )
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"), "{stale}");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 2);
    let stored = app
        .gql(
            &token,
            "query($id: ID!) { person(id: $id) { address } }",
            json!({ "id": person.id }),
        )
        .await;
    assert_eq!(stored["data"]["person"]["address"], "新地址一号");
}

#[tokio::test]
async fn invalid_input_is_rejected_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let token = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let valid = fixtures::resident_id(51);
    let mut wrong_check = valid.clone();
    let last = wrong_check.pop().unwrap();
    wrong_check.push(if last == '1' { '2' } else { '1' });
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let cases = [
        (
            json!({ "documentNumber": wrong_check }),
            "input.documentNumber",
        ),
        (
            json!({ "documentNumber": "33990119901301001X" }),
            "input.documentNumber",
        ),
        (
            json!({ "documentNumber": "3399011990010100" }),
            "input.documentNumber",
        ),
        (
            json!({ "documentNumber": "00990119900101001X" }),
            "input.documentNumber",
        ),
        (json!({ "birthDate": "1901-01-01" }), "input.birthDate"),
        (json!({ "birthDate": tomorrow }), "input.birthDate"),
        (json!({ "phone": "12345" }), "input.phone"),
        (json!({ "name": "   " }), "input.name"),
        (json!({ "name": "名".repeat(51) }), "input.name"),
        (json!({ "residence": COMMUNITY }), "input.residence"),
        (json!({ "residence": "NO-SUCH-GRID" }), "input.residence"),
        (json!({ "documentType": null }), "input.documentType"),
    ];
    let persons = app.count("SELECT COUNT(*) FROM person").await;
    let events = app.count("SELECT COUNT(*) FROM audit_event").await;
    for (override_, field) in cases {
        let mut input = json!({
            "documentType": "RESIDENT_ID", "documentNumber": valid, "name": "郑浩",
            "residence": GRID,
        });
        for (key, value) in override_.as_object().unwrap() {
            input[key] = value.clone();
        }
        let response = app
            .gql(&token, fixtures::REGISTER, json!({ "input": input }))
            .await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{input}: {response}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["field"], field,
            "{input}: {response}"
        );
        assert!(response["data"].is_null(), "{response}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM person").await,
        persons,
        "nothing written"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event").await,
        events,
        "nothing audited"
    );
}

#[tokio::test]
async fn registering_into_another_jurisdiction_is_forbidden() {
    let app = spawn_app().await;
    let token = app.token(Agency::Community, Role::Operator, OTHER_DISTRICT);
    let persons = app.count("SELECT COUNT(*) FROM person").await;
    let response = app
        .gql(
            &token,
            fixtures::REGISTER,
            json!({ "input": { "name": "钱多", "residence": GRID } }),
        )
        .await;
    assert_eq!(error_code(&response), Some("FORBIDDEN"), "{response}");
    assert_eq!(app.count("SELECT COUNT(*) FROM person").await, persons);
}

#[tokio::test]
async fn police_relocate_a_known_person_moving_in_only_when_the_name_matches() {
    // Health and police see numbers in full and verify identities: their registration of a
    // number known elsewhere relocates the person. (Agencies that see numbers masked get a
    // held record instead: tests/api/inference.rs.)
    let app = spawn_app().await;
    let person = fixtures::register(&app, 61, "林海", GRID).await;
    let elsewhere = app.token(Agency::Police, Role::Operator, "DEMO-02");
    let register = |name: &str| json!({ "input": { "documentType": "RESIDENT_ID", "documentNumber": person.document, "name": name, "residence": "DEMO-02-01-01-01" }});
    let refused = app
        .gql(&elsewhere, fixtures::REGISTER, register("林山"))
        .await;
    assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "input.name");

    let moved = app
        .gql(&elsewhere, fixtures::REGISTER, register("林海"))
        .await;
    assert_ok(&moved);
    assert_eq!(moved["data"]["registerPerson"]["id"], person.id.as_str());
    // The old community no longer reaches the person; the new district does.
    let old = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let lookup = "query($id: ID!) { person(id: $id) { name } }";
    assert_eq!(
        error_code(&app.gql(&old, lookup, json!({ "id": person.id })).await),
        Some("NOT_FOUND")
    );
    assert_ok(
        &app.gql(&elsewhere, lookup, json!({ "id": person.id }))
            .await,
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE entity_id = {} AND reason LIKE 'relocated%'",
            person.id
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn paging_through_persons_returns_everyone_in_scope_exactly_once() {
    let app = spawn_app().await;
    let token = app.token(Agency::Police, Role::Operator, "DEMO-01-01");
    let street_path = app
        .state
        .orgs
        .by_code(&app.state.db, "DEMO-01-01")
        .await
        .unwrap()
        .unwrap()
        .path
        .clone();
    let expected = app
        .count(&format!(
            "SELECT COUNT(*) FROM person WHERE residence_path LIKE '{}%'",
            street_path.as_str()
        ))
        .await;
    assert!(
        expected > 10,
        "the fixture city has residents in the street"
    );
    let query = "query($after: String) { persons(first: 7, after: $after) { totalCount edges { node { id residence { code } } } pageInfo { hasNextPage endCursor } } }";
    let nodes = app.all_pages(&token, query, "persons", json!({})).await;
    let mut seen = std::collections::HashSet::new();
    for node in &nodes {
        assert!(node["residence"]["code"]
            .as_str()
            .unwrap()
            .starts_with("DEMO-01-01-"));
        assert!(
            seen.insert(node["id"].as_str().unwrap().to_owned()),
            "repeated {node}"
        );
    }
    assert_eq!(seen.len() as i64, expected);
}

#[tokio::test]
async fn page_size_and_cursor_are_checked() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let too_many = app
        .gql(
            &token,
            "{ persons(first: 101) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&too_many), Some("LIMIT_EXCEEDED"), "{too_many}");
    let negative = app
        .gql(
            &token,
            "{ persons(first: -1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&negative), Some("BAD_USER_INPUT"), "{negative}");
    let garbage = app
        .gql(
            &token,
            "{ persons(after: \"bm9wZQ\") { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&garbage), Some("BAD_USER_INPUT"), "{garbage}");
    let audit_cursor = lianfang::domain::values::Cursor::Id(5).encode("auditEvents");
    let wrong_list = app
        .gql(
            &token,
            "query($a: String) { persons(after: $a) { edges { node { id } } } }",
            json!({ "a": audit_cursor }),
        )
        .await;
    assert_eq!(
        error_code(&wrong_list),
        Some("BAD_USER_INPUT"),
        "{wrong_list}"
    );
}

#[tokio::test]
async fn filters_narrow_the_list_within_scope() {
    let app = spawn_app().await;
    let person = fixtures::register(&app, 71, "欧阳娜娜", GRID).await;
    let token = app.token(Agency::Community, Role::Operator, COMMUNITY);
    let query = "query($f: PersonFilter) { persons(first: 100, filter: $f) { totalCount edges { node { id name } } } }";
    let by_name = app
        .gql(&token, query, json!({ "f": { "namePrefix": "欧阳" } }))
        .await;
    assert_ok(&by_name);
    let names: Vec<&str> = by_name["data"]["persons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"欧阳娜娜"));
    assert!(names.iter().all(|n| n.starts_with("欧阳")), "{names:?}");
    let by_phone = app
        .gql(&token, query, json!({ "f": { "phone": person.phone } }))
        .await;
    assert_eq!(by_phone["data"]["persons"]["totalCount"], 1, "{by_phone}");
    // A filter on a unit outside one's jurisdiction finds nothing rather than widening it.
    let outside = app
        .gql(&token, query, json!({ "f": { "orgUnit": "DEMO-02" } }))
        .await;
    assert_eq!(outside["data"]["persons"]["totalCount"], 0, "{outside}");
}
