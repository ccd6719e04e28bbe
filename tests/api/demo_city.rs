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

/// The demo city plays every part of the joint work: each demo user finds something to do.
#[tokio::test]
async fn the_demo_city_holds_the_agencies_joint_work() {
    let app = spawn_with(Options {
        outbreak: true,
        ..Options::default()
    })
    .await;
    let token = |agency: Agency| {
        let user = DEMO_USERS
            .iter()
            .find(|u| u.agency == agency && u.role == entity::Role::Operator)
            .unwrap();
        app.token_for(user.agency, user.role, user.org, user.subject)
    };
    let data = |r: serde_json::Value| {
        assert_ok(&r);
        r["data"].clone()
    };

    // Tasks in every state, and the absconding's ENFORCE_ISOLATION with the police.
    let statuses = app.count("SELECT COUNT(DISTINCT status) FROM task").await;
    assert_eq!(statuses, 5);
    let inbox = data(
        app.gql(
            &token(Agency::Police),
            "{ tasks(first: 100, filter: { box: INBOX }) { edges { node { kind status } } } }",
            json!({}),
        )
        .await,
    );
    assert!(
        inbox["tasks"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["kind"] == "ENFORCE_ISOLATION"),
        "{inbox}"
    );

    // Vulnerable residents of the demo community under home observation: one with supplies
    // coming, one without yet.
    let list = data(app.gql(&token(Agency::CivilAffairs), "{ vulnerablePersons(first: 100, filter: { orgUnit: \"DEMO-01-01-01\", underQuarantine: true }) { edges { node { supplyTaskOpen } } } }", json!({})).await);
    let open: Vec<bool> = list["vulnerablePersons"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["supplyTaskOpen"].as_bool().unwrap())
        .collect();
    assert!(open.contains(&true) && open.contains(&false), "{open:?}");

    // Checkpoint passages reach the police, some from the risk areas.
    let entries = data(
        app.gql(
            &token(Agency::Police),
            "{ checkpointEntries(first: 100, filter: { fromRiskArea: true }) { totalCount } }",
            json!({}),
        )
        .await,
    );
    assert!(entries["checkpointEntries"]["totalCount"].as_i64().unwrap() > 0);

    // The planted duplicates are found in the demo community: the pair by name and phone by
    // the community itself; the pair by name and birth date only by those who see birth
    // dates (they are the hidden middle of a masked number).
    let reasons = |token: String| {
        let app = &app;
        async move {
            let pairs = data(
                app.gql(
                    &token,
                    "{ possibleDuplicates(first: 10, orgUnit: \"DEMO-01-01-01\") { edges { node { reasons } } } }",
                    json!({}),
                )
                .await,
            );
            let mut reasons: Vec<String> = pairs["possibleDuplicates"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|e| e["node"]["reasons"].as_array().unwrap().clone())
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            reasons.sort();
            reasons
        }
    };
    assert_eq!(
        reasons(token(Agency::Community)).await,
        ["SAME_NAME_AND_PHONE"]
    );
    assert_eq!(
        reasons(token(Agency::Health)).await,
        ["SAME_NAME_AND_BIRTH_DATE", "SAME_NAME_AND_PHONE"]
    );

    // A week of reports: yesterday confirmed and unchanged; today still open for the demo
    // community, and not every community has confirmed.
    let yesterday = crate::helpers::local_today() - chrono::Duration::days(1);
    let report = data(app.gql(&token(Agency::Community), "query($d: NaiveDate) { dailyReport(date: $d) { confirmation { changedSinceConfirmation } } }", json!({ "d": yesterday })).await);
    assert_eq!(
        report["dailyReport"]["confirmation"]["changedSinceConfirmation"], false,
        "{report}"
    );
    let today = data(
        app.gql(
            &token(Agency::Community),
            "{ dailyReport { confirmation { version } } }",
            json!({}),
        )
        .await,
    );
    assert!(today["dailyReport"]["confirmation"].is_null());
    let status = data(
        app.gql(
            &token(Agency::Command),
            "{ dailyReportStatus { communities confirmed } }",
            json!({}),
        )
        .await,
    );
    let s = &status["dailyReportStatus"];
    assert!(
        s["confirmed"].as_i64().unwrap() > 0 && s["confirmed"].as_i64() < s["communities"].as_i64(),
        "{s}"
    );
}
