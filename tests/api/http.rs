//! The endpoints around GraphQL, and headers every response carries.

use entity::{Agency, Role};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_ready_answer() {
    let app = spawn_app().await;
    let health = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ready = app
        .client
        .get(format!("{}/ready", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);
}

/// The metrics page counts the SQL a request costs and shows the process's memory.
#[tokio::test]
async fn metrics_count_statements_and_memory() {
    let app = spawn_app().await;
    let read = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from {text}"))
    };
    let get = || async {
        let response = app
            .client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.text().await.unwrap()
    };
    let before = get().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let response = app
        .gql(
            &token,
            "{ persons(first: 3) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    crate::helpers::assert_ok(&response);
    let after = get().await;
    assert!(
        read(&after, "lianfang_sql_statements_total")
            > read(&before, "lianfang_sql_statements_total")
    );
    assert!(read(&after, "process_resident_memory_bytes") > 1_000_000);
}

#[tokio::test]
async fn graphiql_offers_a_place_for_the_token() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/graphiql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"token\""));
    assert!(html.contains("/assets/graphiql.js"));
    let script = app
        .client
        .get(format!("{}/assets/graphiql.js", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("Authorization: \"Bearer \" + token"));
}

#[tokio::test]
async fn responses_are_not_cached_and_carry_a_request_id() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&token)
        .header("X-Request-Id", "trace-123")
        .json(&json!({ "query": "{ persons(first: 1) { edges { node { id } } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-request-id"], "trace-123");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE request_id = 'trace-123'")
            .await,
        1
    );
}

const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
];

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let base = &app.base;
    let responses = vec![
        (
            "graphql",
            app.client
                .post(format!("{base}/graphql"))
                .bearer_auth(&token)
                .json(&json!({ "query": "{ me { name } }" }))
                .send()
                .await
                .unwrap(),
        ),
        (
            "unauthenticated",
            app.client
                .post(format!("{base}/graphql"))
                .json(&json!({ "query": "{ me { name } }" }))
                .send()
                .await
                .unwrap(),
        ),
        (
            "too large",
            app.client
                .post(format!("{base}/graphql"))
                .bearer_auth(&token)
                .body("x".repeat(1_100_000))
                .send()
                .await
                .unwrap(),
        ),
        (
            "health",
            app.client
                .get(format!("{base}/health"))
                .send()
                .await
                .unwrap(),
        ),
        (
            "ready",
            app.client
                .get(format!("{base}/ready"))
                .send()
                .await
                .unwrap(),
        ),
        (
            "graphiql",
            app.client
                .get(format!("{base}/graphiql"))
                .send()
                .await
                .unwrap(),
        ),
        (
            "not found",
            app.client
                .get(format!("{base}/no-such-page"))
                .send()
                .await
                .unwrap(),
        ),
    ];
    for (what, response) in responses {
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(
                response.headers().get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "{what}: {name}"
            );
        }
        let csp = response
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_some(),
            "{what}"
        );
    }
}

#[tokio::test]
async fn cross_origin_browser_calls_are_closed_by_default() {
    let app = spawn_app().await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
        .header("Origin", "https://elsewhere.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "{:?}",
        preflight.headers()
    );
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let simple = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("Origin", "https://elsewhere.example")
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { name } }" }))
        .send()
        .await
        .unwrap();
    assert!(simple
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn configured_origins_may_call_the_api_from_a_browser() {
    let app = crate::helpers::spawn_with(crate::helpers::Options {
        extra_args: vec![
            "--cors-allowed-origins".into(),
            "https://app.example.gov.cn,https://second.example".into(),
        ],
        ..Default::default()
    })
    .await;
    for origin in ["https://app.example.gov.cn", "https://second.example"] {
        let preflight = app
            .client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some(origin)
        );
    }
    let other = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
        .header("Origin", "https://elsewhere.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
