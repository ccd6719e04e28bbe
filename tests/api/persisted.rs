//! Persisted operations: automatic persisted queries for everyone, and an allow-list of
//! registered operations for the mobile apps' tokens.

use entity::{Agency, Role};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{error_code, spawn_app, spawn_with, Options};

fn sha(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn with_hash(query: Option<&str>, hash: &str) -> Value {
    let mut body =
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    body
}

#[tokio::test]
async fn a_query_sent_once_can_then_be_sent_by_its_hash() {
    let app = spawn_app().await;
    let token = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let query = "{ persons(first: 2) { totalCount } }";
    let hash = sha(query);
    let (_, unknown) = app
        .post_graphql(Some(&token), &with_hash(None, &hash))
        .await;
    assert_eq!(
        unknown["errors"][0]["message"], "PersistedQueryNotFound",
        "{unknown}"
    );
    let (_, first) = app
        .post_graphql(Some(&token), &with_hash(Some(query), &hash))
        .await;
    assert!(
        first["data"]["persons"]["totalCount"].is_number(),
        "{first}"
    );
    let (_, by_hash) = app
        .post_graphql(Some(&token), &with_hash(None, &hash))
        .await;
    assert_eq!(by_hash["data"], first["data"]);
    // A hash that does not match its text is refused; the policy applies to cached queries
    // as to any other (a principal who may not see a field cannot run it by hash).
    let (_, wrong) = app
        .post_graphql(Some(&token), &with_hash(Some(query), &sha("other")))
        .await;
    assert!(
        wrong["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not match"),
        "{wrong}"
    );
    let hidden = "{ persons(first: 1) { edges { node { documentNumber } } } }";
    let (_, allowed) = app
        .post_graphql(Some(&token), &with_hash(Some(hidden), &sha(hidden)))
        .await;
    assert!(allowed.get("errors").is_none(), "{allowed}");
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    let (_, refused) = app
        .post_graphql(Some(&command), &with_hash(None, &sha(hidden)))
        .await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("没有字段")),
        "{refused}"
    );
}

#[tokio::test]
async fn app_tokens_run_only_registered_operations() {
    let registered = "query DueToday { followUpsDue(first: 50) { edges { node { person { name } checksMissing } } } }";
    let manifest = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": sha(registered), "name": "DueToday", "type": "query", "body": registered }],
    });
    let path = std::env::temp_dir().join(format!(
        "lianfang-manifest-{:x}.json",
        rand::random::<u64>()
    ));
    std::fs::write(&path, manifest.to_string()).unwrap();
    let app = spawn_with(Options {
        extra_args: vec![
            "--persisted-operations-file".into(),
            path.display().to_string(),
            "--allow-list-clients".into(),
            "grid-app".into(),
        ],
        ..Options::default()
    })
    .await;
    let phone = app.app_token(
        Agency::Community,
        Role::Operator,
        "DEMO-01-01-01",
        "grid-app",
    );
    // The registered operation by hash alone (never sent in full before), and in full.
    let (status, by_hash) = app
        .post_graphql(Some(&phone), &with_hash(None, &sha(registered)))
        .await;
    assert_eq!(status, 200, "{by_hash}");
    assert!(
        by_hash["data"]["followUpsDue"]["edges"].is_array(),
        "{by_hash}"
    );
    let (_, in_full) = app
        .post_graphql(Some(&phone), &json!({ "query": registered }))
        .await;
    assert!(in_full.get("errors").is_none(), "{in_full}");
    // Anything else is refused for the app's token, before it runs.
    let other = "{ persons(first: 100) { edges { node { name phone } } } }";
    let (status, refused) = app
        .post_graphql(Some(&phone), &json!({ "query": other }))
        .await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    let (_, refused) = app
        .post_graphql(Some(&phone), &with_hash(Some(other), &sha(other)))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    // Tokens of other clients (an analyst in GraphiQL) are not restricted.
    let desk = app.token(Agency::Community, Role::Operator, "DEMO-01-01-01");
    let (_, free) = app
        .post_graphql(Some(&desk), &json!({ "query": other }))
        .await;
    assert!(free.get("errors").is_none(), "{free}");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_parsed_query_kept_for_one_agency_is_still_refused_to_another() {
    let app = spawn_app().await;
    let query = json!({ "query": "{ persons(first: 1) { edges { node { documentNumber } } } }" });
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let command = app.token(Agency::Command, Role::Operator, "DEMO");
    // The same text again and again: parsed once, then taken from the server's cache, and
    // the policy still walks it for each principal.
    for _ in 0..3 {
        let (_, seen) = app.post_graphql(Some(&health), &query).await;
        assert!(seen.get("errors").is_none(), "{seen}");
        let (_, refused) = app.post_graphql(Some(&command), &query).await;
        assert!(
            refused["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("没有字段")),
            "{refused}"
        );
        assert!(refused["data"].is_null(), "{refused}");
    }
}
