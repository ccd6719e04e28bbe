//! The newcomer's check: a community token sees only its residents, with masked numbers.

use entity::Agency;
use lianfang::demo::DEMO_USERS;
use serde_json::json;

use crate::helpers::{assert_ok, spawn_with, Options};

#[tokio::test]
async fn a_community_token_sees_only_its_residents_with_masked_numbers() {
    let app = spawn_with(Options {
        residents: Some(1000),
        ..Options::default()
    })
    .await;
    let user = DEMO_USERS
        .iter()
        .find(|u| u.agency == Agency::Community)
        .unwrap();
    let token = app.token(user.agency, user.role, user.org);
    let path = app
        .state
        .orgs
        .by_code(&app.state.db, user.org)
        .await
        .unwrap()
        .unwrap()
        .path
        .clone();
    let expected = app
        .count(&format!(
            "SELECT COUNT(*) FROM person WHERE residence_path LIKE '{}%'",
            path.as_str()
        ))
        .await;
    assert!(expected > 0);
    let query = "query($after: String) { persons(first: 100, after: $after) { totalCount edges { node { name documentType documentNumber residence { code } } } pageInfo { hasNextPage endCursor } } }";
    let nodes = app.all_pages(&token, query, "persons", json!({})).await;
    for node in &nodes {
        assert!(
            node["residence"]["code"]
                .as_str()
                .unwrap()
                .starts_with(user.org),
            "{node}"
        );
        if let Some(number) = node["documentNumber"].as_str() {
            let chars: Vec<char> = number.chars().collect();
            assert!(
                chars.len() > 10 && chars[6..chars.len() - 4].iter().all(|c| *c == '*'),
                "{number}"
            );
        }
    }
    assert_eq!(nodes.len() as i64, expected);
}

#[tokio::test]
async fn every_demo_token_works() {
    let app = spawn_with(Options::default()).await;
    for user in DEMO_USERS {
        let token = app.token_for(user.agency, user.role, user.org, user.subject);
        let response = app
            .gql(
                &token,
                "{ me { agency role jurisdiction { code } } }",
                json!({}),
            )
            .await;
        assert_ok(&response);
        assert_eq!(response["data"]["me"]["jurisdiction"]["code"], user.org);
    }
}
