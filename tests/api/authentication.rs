//! Every way a token can be wrong is UNAUTHENTICATED, and nothing is read.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp, TEST_SECRET};

const QUERY: &str = "{ persons(first: 5) { edges { node { id name } } } }";

fn claims(overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": "tester", "name": "Tester", "agency": "HEALTH", "role": "OPERATOR",
        "org": "DEMO", "iat": now, "exp": now + 600, "iss": "lianfang", "aud": "lianfang-api",
    });
    if let (Some(base), Some(extra)) = (claims.as_object_mut(), overrides.as_object()) {
        for (key, value) in extra {
            if value.is_null() {
                base.remove(key);
            } else {
                base.insert(key.clone(), value.clone());
            }
        }
    }
    claims
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Sends the query with this Authorization header value; asserts UNAUTHENTICATED (HTTP 401)
/// and that no SQL ran (nothing read, nothing audited).
async fn assert_refused(app: &TestApp, header: Option<String>, why: &str) {
    let before = app.statements();
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": QUERY }));
    if let Some(header) = header {
        request = request.header("Authorization", header);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401, "{why}");
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer"),
        "{why}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{why}: {body}");
    assert!(body["data"].is_null(), "{why}: {body}");
    assert_eq!(
        app.statements(),
        before,
        "{why}: SQL ran for a refused request"
    );
}

#[tokio::test]
async fn a_valid_token_is_accepted() {
    let app = spawn_app().await;
    let token = sign(&claims(json!({})), Algorithm::HS256, TEST_SECRET);
    let response = app
        .gql(
            &token,
            "{ me { subject agency role jurisdiction { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(response["data"]["me"]["subject"], "tester");
    assert_eq!(response["data"]["me"]["jurisdiction"]["code"], "DEMO");
}

#[tokio::test]
async fn a_request_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;
    assert_refused(&app, None, "no header").await;
    assert_refused(&app, Some(String::new()), "empty header").await;
    assert_refused(&app, Some("Bearer ".into()), "empty bearer").await;
    let token = sign(&claims(json!({})), Algorithm::HS256, TEST_SECRET);
    assert_refused(&app, Some(format!("Basic {token}")), "not a bearer scheme").await;
    assert_refused(&app, Some("Bearer not.a.jwt".into()), "garbage").await;
}

#[tokio::test]
async fn a_bad_signature_is_unauthenticated() {
    let app = spawn_app().await;
    let forged = sign(
        &claims(json!({})),
        Algorithm::HS256,
        "another-secret-of-sufficient-length-000000",
    );
    assert_refused(&app, Some(format!("Bearer {forged}")), "wrong secret").await;
    // A valid token whose payload was altered after signing.
    let token = sign(&claims(json!({})), Algorithm::HS256, TEST_SECRET);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims(json!({ "role": "AUDITOR" })).to_string());
    assert_refused(
        &app,
        Some(format!("Bearer {}", parts.join("."))),
        "tampered payload",
    )
    .await;
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    // Beyond the 30-second leeway.
    let expired = sign(
        &claims(json!({ "iat": now - 7200, "exp": now - 3600 })),
        Algorithm::HS256,
        TEST_SECRET,
    );
    assert_refused(&app, Some(format!("Bearer {expired}")), "expired").await;
    let no_exp = sign(
        &claims(json!({ "exp": null })),
        Algorithm::HS256,
        TEST_SECRET,
    );
    assert_refused(&app, Some(format!("Bearer {no_exp}")), "no exp").await;
}

#[tokio::test]
async fn alg_none_and_other_algorithms_are_unauthenticated() {
    let app = spawn_app().await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(json!({})).to_string());
    assert_refused(
        &app,
        Some(format!("Bearer {header}.{payload}.")),
        "alg none",
    )
    .await;
    let hs512 = sign(&claims(json!({})), Algorithm::HS512, TEST_SECRET);
    assert_refused(
        &app,
        Some(format!("Bearer {hs512}")),
        "HS512 with the right secret",
    )
    .await;
}

#[tokio::test]
async fn wrong_issuer_or_audience_is_unauthenticated() {
    let app = spawn_app().await;
    for (why, overrides) in [
        ("issuer", json!({ "iss": "someone-else" })),
        ("audience", json!({ "aud": "another-api" })),
        ("no issuer", json!({ "iss": null })),
        ("no audience", json!({ "aud": null })),
        ("no subject", json!({ "sub": null })),
    ] {
        let token = sign(&claims(overrides), Algorithm::HS256, TEST_SECRET);
        assert_refused(&app, Some(format!("Bearer {token}")), why).await;
    }
}

#[tokio::test]
async fn unknown_agency_role_or_org_unit_is_unauthenticated() {
    let app = spawn_app().await;
    for (why, overrides) in [
        ("agency", json!({ "agency": "FIRE_BRIGADE" })),
        ("agency case", json!({ "agency": "health" })),
        ("role", json!({ "role": "SUPERUSER" })),
        ("no agency", json!({ "agency": null })),
    ] {
        let token = sign(&claims(overrides), Algorithm::HS256, TEST_SECRET);
        assert_refused(&app, Some(format!("Bearer {token}")), why).await;
    }
    // An unknown org unit costs at most one reload of the (cached) tree, then is refused.
    let token = sign(
        &claims(json!({ "org": "NOWHERE" })),
        Algorithm::HS256,
        TEST_SECRET,
    );
    let response = app.gql(&token, QUERY, json!({})).await;
    assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    assert!(response["data"].is_null());
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event").await, 0);
}

#[tokio::test]
async fn development_tokens_from_the_cli_are_accepted() {
    let app = spawn_app().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .args([
            "--jwt-secret",
            TEST_SECRET,
            "token",
            "--agency",
            "COMMUNITY",
            "--role",
            "OPERATOR",
        ])
        .args([
            "--org",
            "DEMO-01-01-01",
            "--sub",
            "grid-worker-7",
            "--ttl",
            "10m",
        ])
        .env_remove("JWT_PUBLIC_KEY_FILE")
        .env_remove("JWT_ISSUER")
        .env_remove("JWT_AUDIENCE")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the token command prints only the token"
    );
    let response = app
        .gql(token, "{ me { subject agency role } }", json!({}))
        .await;
    assert_eq!(
        response["data"]["me"],
        json!({ "subject": "grid-worker-7", "agency": "COMMUNITY", "role": "OPERATOR" })
    );
}

#[tokio::test]
async fn introspection_is_never_available_anonymously() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_graphql(None, &json!({ "query": "{ __schema { types { name } } }" }))
        .await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    assert!(body["data"].is_null());
    let get = app
        .client
        .get(format!("{}/graphql", app.base))
        .query(&[("query", "{ __type(name: \"Person\") { fields { name } } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 401);
}
