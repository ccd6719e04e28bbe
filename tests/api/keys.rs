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

fn sign_with(
    private: &str,
    algorithm: Algorithm,
    kid: Option<&str>,
    claims: &serde_json::Value,
) -> String {
    let pem = std::fs::read(format!("{KEYS}/{private}")).unwrap();
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
        _ => EncodingKey::from_ec_pem(&pem).unwrap(),
    };
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &key).unwrap()
}

fn jwks_with(kids: &[&str]) -> String {
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{KEYS}/jwks.json")).unwrap())
            .unwrap();
    let keys: Vec<serde_json::Value> = all["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| kids.contains(&k["kid"].as_str().unwrap()))
        .cloned()
        .collect();
    json!({ "keys": keys }).to_string()
}

async fn subject_of(app: &crate::helpers::TestApp, token: &str) -> Result<String, String> {
    let response = app.gql(token, "{ me { subject } }", json!({})).await;
    match error_code(&response) {
        None => Ok(response["data"]["me"]["subject"]
            .as_str()
            .unwrap()
            .to_owned()),
        Some(code) => Err(format!("{code}: {}", response["errors"][0]["message"])),
    }
}

/// Changes a watched file and waits until the server may have looked again.
async fn rewrite(path: &std::path::Path, text: &str) {
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    std::fs::write(path, text).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

#[tokio::test]
async fn a_key_set_picks_keys_by_kid_and_rotates_without_a_restart() {
    let dir = std::env::temp_dir().join(format!("lianfang-jwks-{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwks = dir.join("jwks.json");
    std::fs::write(&jwks, jwks_with(&["rsa-2026-11", "ec-2026-11"])).unwrap();
    let app = spawn_with(Options {
        extra_args: vec!["--jwt-jwks-file".into(), jwks.display().to_string()],
        ..Options::default()
    })
    .await;
    let rsa = sign_with(
        "rs256-private.pem",
        Algorithm::RS256,
        Some("rsa-2026-11"),
        &claims(),
    );
    let ec = sign_with(
        "es256-private.pem",
        Algorithm::ES256,
        Some("ec-2026-11"),
        &claims(),
    );
    let next = sign_with(
        "rs256b-private.pem",
        Algorithm::RS256,
        Some("rsa-2026-12"),
        &claims(),
    );
    assert_eq!(subject_of(&app, &rsa).await.as_deref(), Ok("idp-user"));
    assert_eq!(subject_of(&app, &ec).await.as_deref(), Ok("idp-user"));
    assert!(
        subject_of(&app, &next)
            .await
            .unwrap_err()
            .starts_with("UNAUTHENTICATED"),
        "unknown kid"
    );
    let no_kid = sign_with("rs256-private.pem", Algorithm::RS256, None, &claims());
    assert!(subject_of(&app, &no_kid).await.is_err());
    // The RSA key's kid on a token signed with the EC key: wrong algorithm for that key.
    let mismatched = sign_with(
        "es256-private.pem",
        Algorithm::ES256,
        Some("rsa-2026-11"),
        &claims(),
    );
    assert!(subject_of(&app, &mismatched)
        .await
        .unwrap_err()
        .starts_with("UNAUTHENTICATED"));
    let hs = encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap();
    assert!(subject_of(&app, &hs).await.is_err());

    // Rotation: the new key is added, then the old one withdrawn, with the server running.
    rewrite(
        &jwks,
        &jwks_with(&["rsa-2026-11", "ec-2026-11", "rsa-2026-12"]),
    )
    .await;
    assert_eq!(subject_of(&app, &next).await.as_deref(), Ok("idp-user"));
    rewrite(&jwks, &jwks_with(&["rsa-2026-12"])).await;
    assert!(
        subject_of(&app, &rsa).await.is_err(),
        "the withdrawn key no longer opens the door"
    );
    assert_eq!(subject_of(&app, &next).await.as_deref(), Ok("idp-user"));
    // A broken edit keeps the last good key set.
    rewrite(&jwks, "{ not json").await;
    assert_eq!(subject_of(&app, &next).await.as_deref(), Ok("idp-user"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn not_before_issue_time_and_leeway_are_checked() {
    let app = spawn_with(Options {
        extra_args: vec!["--jwt-leeway-secs".into(), "30".into()],
        ..Options::default()
    })
    .await;
    let now = chrono::Utc::now().timestamp();
    let hs = |overrides: serde_json::Value| {
        let mut c = claims();
        c["agency"] = json!("HEALTH");
        c["org"] = json!("DEMO");
        for (k, v) in overrides.as_object().unwrap() {
            c[k] = v.clone();
        }
        encode(
            &Header::new(Algorithm::HS256),
            &c,
            &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        )
        .unwrap()
    };
    assert!(subject_of(&app, &hs(json!({ "nbf": now + 300 })))
        .await
        .unwrap_err()
        .contains("令牌尚未生效"));
    assert!(
        subject_of(&app, &hs(json!({ "nbf": now + 10 })))
            .await
            .is_ok(),
        "within the leeway"
    );
    assert!(subject_of(&app, &hs(json!({ "iat": now + 300 })))
        .await
        .unwrap_err()
        .contains("令牌的签发时间在未来"));
    assert!(
        subject_of(&app, &hs(json!({ "exp": now - 10 })))
            .await
            .is_ok(),
        "expired within the leeway"
    );
    assert!(subject_of(&app, &hs(json!({ "exp": now - 120 })))
        .await
        .is_err());
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once_without_a_restart() {
    let dir = std::env::temp_dir().join(format!("lianfang-revoked-{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let revoked = dir.join("revoked.txt");
    std::fs::write(&revoked, "# revoked token ids\n").unwrap();
    let app = spawn_with(Options {
        extra_args: vec!["--jwt-revoked-file".into(), revoked.display().to_string()],
        ..Options::default()
    })
    .await;
    let token_with = |jti: &str| {
        let mut c = claims();
        c["agency"] = json!("HEALTH");
        c["org"] = json!("DEMO");
        c["jti"] = json!(jti);
        encode(
            &Header::new(Algorithm::HS256),
            &c,
            &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let leaked = token_with("leaked-1");
    let other = token_with("fine-2");
    assert!(subject_of(&app, &leaked).await.is_ok());
    rewrite(
        &revoked,
        "# revoked token ids\nleaked-1   # lost phone, 2026-11-23\n",
    )
    .await;
    assert!(subject_of(&app, &leaked)
        .await
        .unwrap_err()
        .contains("令牌已被吊销"));
    assert!(subject_of(&app, &other).await.is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}
