//! Production keys: RS256 or ES256 public keys pin the algorithm; HS256 is then refused.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{error_code, spawn_with, Options, TEST_SECRET};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys");

fn claims() -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": "idp-user", "name": "From the identity provider", "agency": "POLICE",
        "role": "OPERATOR", "org": "DEMO-01", "iat": now, "exp": now + 600,
        "iss": "lianfang", "aud": "lianfang-api",
    })
}

async fn check(public: &str, private: &str, algorithm: Algorithm) {
    let app = spawn_with(Options {
        extra_args: vec!["--jwt-public-key-file".into(), format!("{KEYS}/{public}")],
        ..Options::default()
    })
    .await;
    let pem = std::fs::read(format!("{KEYS}/{private}")).unwrap();
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
        _ => EncodingKey::from_ec_pem(&pem).unwrap(),
    };
    let token = encode(&Header::new(algorithm), &claims(), &key).unwrap();
    let response = app
        .gql(&token, "{ me { subject agency } }", json!({}))
        .await;
    assert_eq!(response["data"]["me"]["subject"], "idp-user", "{response}");

    // The shared secret no longer opens the door, whatever it signs.
    let hs = encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap();
    let refused = app.gql(&hs, "{ me { subject } }", json!({})).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
}

#[tokio::test]
async fn rs256_tokens_verify_against_the_configured_public_key() {
    check("rs256-public.pem", "rs256-private.pem", Algorithm::RS256).await;
}

#[tokio::test]
async fn es256_tokens_verify_against_the_configured_public_key() {
    check("es256-public.pem", "es256-private.pem", Algorithm::ES256).await;
}
