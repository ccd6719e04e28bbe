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
    assert!(html.contains("Authorization: 'Bearer ' + token"));
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
