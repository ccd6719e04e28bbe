//! The number of SQL statements a request issues does not grow with the lists it returns.

use entity::{Agency, Role};
use serde_json::json;

use crate::helpers::{assert_ok, spawn_with, Options, TestApp};

const NESTED_PAGE: &str = r#"
query($n: Int, $after: String) {
  cases(first: $n, after: $after) {
    edges { node {
      id classification severity
      person { name phone residence { name } }
      contacts(first: 20) {
        relation lastExposureDate
        person { name pseudonymized activeQuarantine { kind startDate plannedEndDate } }
      }
    } }
  }
}"#;

/// Statements the request cost, and the response.
async fn statements_for(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: serde_json::Value,
) -> (u64, serde_json::Value) {
    let before = app.statements();
    let response = app.gql(token, query, variables).await;
    assert_ok(&response);
    (app.statements() - before, response["data"].clone())
}

fn rows(data: &serde_json::Value) -> usize {
    data.as_object()
        .and_then(|d| d.values().next())
        .and_then(|c| c["edges"].as_array())
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn a_page_of_cases_with_persons_contacts_and_observations_costs_the_same_statements_at_any_size(
) {
    let app = spawn_with(Options {
        residents: Some(3000),
        outbreak: true,
        ..Options::default()
    })
    .await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    // The oldest cases are the index cases, which have contacts under observation: page
    // through them, 5 and then 30 at a time, from the same place.
    let after = lianfang::domain::values::Cursor::Id(40).encode("cases");
    let (small, small_page) =
        statements_for(&app, &token, NESTED_PAGE, json!({ "n": 5, "after": after })).await;
    let (large, large_page) = statements_for(
        &app,
        &token,
        NESTED_PAGE,
        json!({ "n": 30, "after": after }),
    )
    .await;
    assert_eq!((rows(&small_page), rows(&large_page)), (5, 30));
    for page in [&small_page, &large_page] {
        let observed = page.to_string().matches("plannedEndDate").count();
        assert!(
            observed > 0,
            "the page holds contacts under observation: {page}"
        );
    }
    eprintln!("nested page of cases: {small} SQL statements for 5 cases, {large} for 50");
    assert_eq!(small, large, "statements grew with the page size");
    assert!(large <= 6, "{large} statements for a nested page");

    // The same for the persons list with provenance, and for observations with checks.
    let persons = "query($n: Int) { persons(first: $n) { edges { node { name provenance { agency } activeQuarantine { kind } } } } }";
    let (a, _) = statements_for(&app, &token, persons, json!({ "n": 5 })).await;
    let (b, _) = statements_for(&app, &token, persons, json!({ "n": 100 })).await;
    assert_eq!(a, b, "persons: {a} vs {b}");
    let quarantines = "query($n: Int) { quarantines(first: $n) { edges { node { kind person { name } healthChecks(first: 14) { temperature fever } } } } }";
    let (c, _) = statements_for(&app, &token, quarantines, json!({ "n": 5 })).await;
    let (d, _) = statements_for(&app, &token, quarantines, json!({ "n": 100 })).await;
    assert_eq!(c, d, "quarantines: {c} vs {d}");
    eprintln!(
        "persons with provenance and observation: {a}; observations with persons and checks: {c}"
    );

    // A transmission chain is one recursive query, whatever its depth.
    let chain = "query($n: Int) { transmissionChain(caseId: \"1\", depth: $n) { nodes { key person { name } } edges { from to } } }";
    let (shallow, one) = statements_for(&app, &token, chain, json!({ "n": 0 })).await;
    let (deep, three) = statements_for(&app, &token, chain, json!({ "n": 3 })).await;
    let size = |d: &serde_json::Value| {
        d["transmissionChain"]["nodes"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert!(
        size(&three) > size(&one),
        "the deeper walk finds more: {} vs {}",
        size(&three),
        size(&one)
    );
    assert_eq!(shallow, deep, "chain statements grew with depth");
    eprintln!(
        "transmission chain: {deep} statements at depth 0 and 3 ({} and {} nodes)",
        size(&one),
        size(&three)
    );
}

/// A single check is a transaction of as few statements as its rules need: the person in
/// scope with their observation, the insert (which skips a key sent before), and the audit
/// event with the change log (one statement on PostgreSQL, two on SQLite).
#[tokio::test]
async fn a_single_health_check_costs_the_statements_its_rules_need() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    let token = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let persons = app
        .gql(
            &token,
            "{ persons(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let person = persons["data"]["persons"]["edges"][0]["node"]["id"].clone();
    let check = "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { status } }";
    let one = json!({ "c": [{ "idempotencyKey": "single-1", "person": person, "measuredAt": chrono::Utc::now(), "temperature": 36.6 }] });
    let (first, response) = statements_for(&app, &token, check, one.clone()).await;
    assert_eq!(
        response["recordHealthChecks"][0]["status"], "RECORDED",
        "{response}"
    );
    let (again, response) = statements_for(&app, &token, check, one).await;
    assert_eq!(
        response["recordHealthChecks"][0]["status"], "DUPLICATE",
        "{response}"
    );
    let postgres = app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    eprintln!("single health check: {first} statements; sent again: {again}");
    assert!(
        first <= if postgres { 4 } else { 5 },
        "{first} statements for one check"
    );
}
