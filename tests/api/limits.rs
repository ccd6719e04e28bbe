//! Request bounds: body size, depth, complexity, page size, batch size, GET is read-only.

use entity::{Agency, Role};
use serde_json::json;

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn an_oversized_body_is_refused_before_anything_is_read() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let padding = "#".repeat(1_100_000);
    let before = app.count("SELECT COUNT(*) FROM audit_event").await;
    let (status, body) = app
        .post_graphql(
            Some(&token),
            &json!({ "query": format!("{{ me {{ name }} }}\n{padding}") }),
        )
        .await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event").await, before);
}

#[tokio::test]
async fn too_deep_or_too_complex_queries_are_refused() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let deep = format!(
        "{{ me {{ jurisdiction {{ {} code {} }} }} }}",
        "parent { ".repeat(16),
        "} ".repeat(16)
    );
    let response = app.gql(&token, &deep, json!({})).await;
    assert_eq!(error_code(&response), Some("LIMIT_EXCEEDED"), "{response}");
    assert_eq!(response["errors"][0]["message"], "查询嵌套过深。");

    // Each alias costs 100 persons × 12 (10 fields, edges, node); nine exceed 10,000.
    let fields = "id name sex birthYear version createdAt updatedAt pseudonymized phone address";
    let aliases: String = (0..9)
        .map(|i| format!("a{i}: persons(first: 100) {{ edges {{ node {{ {fields} }} }} }} "))
        .collect();
    let response = app
        .gql(&token, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(error_code(&response), Some("LIMIT_EXCEEDED"), "{response}");
    assert_eq!(response["errors"][0]["message"], "查询过于复杂。");
    assert!(response["data"].is_null());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event").await,
        0,
        "refused before any read"
    );
}

#[tokio::test]
async fn batches_are_bounded() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let one = json!({ "query": "{ me { name } }" });
    let (status, ok) = app.post_graphql(Some(&token), &json!([one, one])).await;
    assert_eq!(status, 200);
    assert_eq!(ok.as_array().unwrap().len(), 2);
    let (status, refused) = app
        .post_graphql(Some(&token), &json!(vec![one.clone(); 11]))
        .await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&refused), Some("LIMIT_EXCEEDED"), "{refused}");
    let (status, empty) = app.post_graphql(Some(&token), &json!([])).await;
    assert_eq!(status, 413, "{empty}");
}

#[tokio::test]
async fn get_runs_queries_but_never_mutations() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let get = |query: &str| {
        app.client
            .get(format!("{}/graphql", app.base))
            .query(&[("query", query)])
            .bearer_auth(&token)
            .send()
    };
    let response: serde_json::Value = get("{ me { name } }").await.unwrap().json().await.unwrap();
    assert_eq!(response["data"]["me"]["name"], "Test user");
    let persons = app.count("SELECT COUNT(*) FROM person").await;
    let mutation = "mutation { registerPerson(input: { name: \"钱多\", residence: \"DEMO-01-01-01-01\" }) { id } }";
    let response: serde_json::Value = get(mutation).await.unwrap().json().await.unwrap();
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    assert_eq!(app.count("SELECT COUNT(*) FROM person").await, persons);
}

#[tokio::test]
async fn malformed_requests_get_bad_user_input() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
    let syntax = app.gql(&token, "{ me { name ", json!({})).await;
    assert_eq!(error_code(&syntax), Some("BAD_USER_INPUT"), "{syntax}");
}

/// Each query is refused with LIMIT_EXCEEDED, before any SQL runs.
#[tokio::test]
async fn query_shapes_beyond_the_limits_are_refused_before_any_database_work() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let aliases: String = (0..31).map(|i| format!("a{i}: name ")).collect();
    let roots: String = (0..11).map(|_| "me { name } ").collect();
    let fragments: String = (0..21)
        .map(|i| format!("fragment F{i} on Me {{ name }} "))
        .collect();
    let spreads: String = (0..21).map(|i| format!("...F{i} ")).collect();
    let long = "长".repeat(4001);
    let mut deep = json!("x");
    for _ in 0..8 {
        deep = json!({ "nested": deep });
    }
    let cases: Vec<(&str, String, serde_json::Value)> = vec![
        ("31 aliases", format!("{{ me {{ {aliases} }} }}"), json!({})),
        ("11 root fields", format!("{{ {roots} }}"), json!({})),
        (
            "21 fragments",
            format!("{{ me {{ {spreads} }} }} {fragments}"),
            json!({}),
        ),
        (
            "a long string literal",
            format!("{{ persons(filter: {{ namePrefix: \"{long}\" }}) {{ totalCount }} }}"),
            json!({}),
        ),
        (
            "a long string variable",
            "query($p: String) { persons(filter: { namePrefix: $p }) { totalCount } }".into(),
            json!({ "p": long }),
        ),
        (
            "deeply nested input",
            "query($f: PersonFilter) { persons(filter: $f) { totalCount } }".into(),
            json!({ "f": deep }),
        ),
        (
            "a fragment spreading itself",
            "{ me { ...A } } fragment A on Me { name ...A }".into(),
            json!({}),
        ),
    ];
    for (why, query, variables) in cases {
        let statements = app.statements();
        let response = app.gql(&token, &query, variables).await;
        assert_eq!(
            error_code(&response),
            Some("LIMIT_EXCEEDED"),
            "{why}: {response}"
        );
        assert!(response["data"].is_null(), "{why}");
        let message = response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(!message.is_empty(), "{why}");
        assert_eq!(app.statements(), statements, "{why}: SQL ran");
    }
    // Just under each limit passes.
    let ok: String = (0..30).map(|i| format!("a{i}: name ")).collect();
    let response = app
        .gql(&token, &format!("{{ me {{ {ok} }} }}"), json!({}))
        .await;
    assert!(response.get("errors").is_none(), "{response}");
}

#[tokio::test]
async fn one_user_cannot_exceed_the_rate_limit_and_learns_when_to_retry() {
    let app = crate::helpers::spawn_with(crate::helpers::Options {
        extra_args: ["--rate-limit-per-minute", "60", "--rate-limit-burst", "5"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    })
    .await;
    let token = app.token_for(Agency::Police, Role::Operator, "DEMO-01", "officer-1");
    let other = app.token_for(Agency::Police, Role::Operator, "DEMO-01", "officer-2");
    let mut refused = None;
    for _ in 0..10 {
        let response = app
            .client
            .post(format!("{}/graphql", app.base))
            .bearer_auth(&token)
            .json(&json!({ "query": "{ persons(first: 1) { totalCount } }" }))
            .send()
            .await
            .unwrap();
        if response.status().as_u16() == 429 {
            refused = Some(response);
            break;
        }
    }
    let response = refused.expect("the sixth request within a second is refused");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"));
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfterSeconds"],
        retry_after
    );
    // Another user is not affected.
    let fine = app.gql(&other, "{ me { subject } }", json!({})).await;
    assert_eq!(fine["data"]["me"]["subject"], "officer-2");
}

#[tokio::test]
async fn a_request_past_its_time_budget_gets_unavailable_and_nothing_hangs() {
    let app = crate::helpers::spawn_with(crate::helpers::Options {
        residents: Some(3000),
        outbreak: true,
        extra_args: ["--request-timeout-ms", "1"].map(String::from).to_vec(),
        ..Default::default()
    })
    .await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let started = std::time::Instant::now();
    let (status, body) = app
        .post_graphql(
            Some(&token),
            &json!({ "query": "{ persons(first: 100) { totalCount edges { node { name provenance { agency } cases { classification } } } } }" }),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), Some("UNAVAILABLE"), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // The server is still there.
    let health = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[tokio::test]
async fn a_huge_first_at_every_level_is_refused_as_too_complex_not_overflowed() {
    // Found by schemathesis: `first` near i32::MAX on nested lists overflowed the complexity
    // arithmetic (a panic in a debug build).
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let response = app
        .gql(
            &token,
            "query($n: Int) { persons(first: $n) { edges { node {
                cases(first: $n) { id contacts(first: $n) { id person { exposures(first: $n) { id } } } }
                healthChecks(first: $n) { id } } } } }",
            json!({ "n": i32::MAX }),
        )
        .await;
    assert_eq!(error_code(&response), Some("LIMIT_EXCEEDED"), "{response}");
    // The server is still there.
    let me = app.gql(&token, "{ me { agency } }", json!({})).await;
    assert_eq!(me["data"]["me"]["agency"], "HEALTH", "{me}");
}
