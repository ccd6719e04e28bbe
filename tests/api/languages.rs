//! Chinese first, English on request: every message the server sends follows the request's
//! `Accept-Language`; codes and fields never do.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::{json, Value};

use crate::{
    fixtures::{self, GRID, REGISTER},
    helpers::{assert_ok, error_code, spawn_app},
};

fn message(response: &Value) -> &str {
    response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn an_error_is_in_chinese_by_default_and_in_english_when_asked() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let query = r#"{ person(id: "987654") { id } }"#;

    let default = app.gql(&health, query, json!({})).await;
    assert_eq!(error_code(&default), Some("NOT_FOUND"), "{default}");
    assert_eq!(message(&default), "未找到人员");

    let (language, chinese) = app
        .gql_in("zh-CN,zh;q=0.9", &health, query, json!({}))
        .await;
    assert_eq!(language, "zh-CN");
    assert_eq!(chinese["errors"], default["errors"]);

    let (language, english) = app
        .gql_in("en-US,en;q=0.9", &health, query, json!({}))
        .await;
    assert_eq!(language, "en");
    assert_eq!(error_code(&english), Some("NOT_FOUND"));
    assert_eq!(message(&english), "Person not found");
}

#[tokio::test]
async fn a_bad_date_names_the_field_and_the_form_in_both_languages() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let input = json!({ "input": {
        "documentType": "RESIDENT_ID", "documentNumber": fixtures::resident_id(801),
        "name": "黎明", "birthDate": "2026/12/03", "residence": GRID,
    }});

    let (_, chinese) = app.gql_in("zh-CN", &health, REGISTER, input.clone()).await;
    assert_eq!(error_code(&chinese), Some("BAD_USER_INPUT"), "{chinese}");
    assert_eq!(
        chinese["errors"][0]["extensions"]["field"],
        "input.birthDate"
    );
    assert_eq!(
        message(&chinese),
        r#"出生日期（input.birthDate）应为 YYYY-MM-DD，收到 "2026/12/03""#
    );

    let (_, english) = app.gql_in("en", &health, REGISTER, input).await;
    assert_eq!(error_code(&english), Some("BAD_USER_INPUT"));
    assert_eq!(
        english["errors"][0]["extensions"]["field"],
        "input.birthDate"
    );
    assert_eq!(
        message(&english),
        r#"input.birthDate: expected YYYY-MM-DD, got "2026/12/03""#
    );

    // A date written into the query itself, and one of an argument's own.
    let literal = r#"mutation { registerPerson(input: { name: "黎明", birthDate: "3.12.2026", residence: "DEMO-01-01-01-01" }) { id } }"#;
    let (_, english) = app.gql_in("en", &health, literal, json!({})).await;
    assert_eq!(
        message(&english),
        r#"input.birthDate: expected YYYY-MM-DD, got "3.12.2026""#
    );
    let report = "query($d: NaiveDate) { dailyReport(date: $d) { date } }";
    let (_, chinese) = app
        .gql_in("zh", &health, report, json!({ "d": "12/03/2026" }))
        .await;
    assert_eq!(error_code(&chinese), Some("BAD_USER_INPUT"), "{chinese}");
    assert_eq!(chinese["errors"][0]["extensions"]["field"], "date");
    assert_eq!(
        message(&chinese),
        r#"日期（date）应为 YYYY-MM-DD，收到 "12/03/2026""#
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM person WHERE name = '黎明'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_rule_of_the_domain_reads_in_both_languages_with_the_same_code_and_field() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let input = json!({ "input": { "name": "黎明", "phone": "12345", "residence": GRID }});
    let (_, chinese) = app.gql_in("zh-CN", &health, REGISTER, input.clone()).await;
    let (_, english) = app.gql_in("en", &health, REGISTER, input).await;
    for response in [&chinese, &english] {
        assert_eq!(error_code(response), Some("BAD_USER_INPUT"), "{response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], "input.phone");
    }
    assert_eq!(
        message(&chinese),
        "电话（input.phone）应为 11 位手机号码，或带区号的固定电话"
    );
    assert_eq!(
        message(&english),
        "input.phone: must be an 11-digit mobile number or a landline with its area code"
    );
}

#[tokio::test]
async fn async_graphql_s_own_messages_are_translated_and_english_keeps_them() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let query = "{ me { noSuchField } }";
    let (_, chinese) = app.gql_in("zh-CN", &health, query, json!({})).await;
    let (_, english) = app.gql_in("en", &health, query, json!({})).await;
    assert_eq!(error_code(&chinese), Some("BAD_USER_INPUT"));
    assert_eq!(error_code(&english), Some("BAD_USER_INPUT"));
    assert!(
        message(&chinese).contains(r#"没有字段 "noSuchField""#),
        "{chinese}"
    );
    assert!(
        message(&english).starts_with(r#"Unknown field "noSuchField""#),
        "{english}"
    );
}

#[tokio::test]
async fn an_alert_and_a_batch_item_read_in_the_readers_language() {
    let app = spawn_app().await;
    let health = app.token(Agency::Health, Role::Operator, "DEMO");
    let person = fixtures::register(&app, 802, "曹文静", GRID).await;
    let reported = app
        .gql(
            &health,
            "mutation($p: ID!) { reportCase(input: { person: { id: $p }, classification: CONFIRMED }) { id } }",
            json!({ "p": person.id }),
        )
        .await;
    assert_ok(&reported);
    let alerts = "{ alerts(first: 10) { edges { node { kind message } } } }";
    let read = |response: &Value| -> Vec<String> {
        response["data"]["alerts"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["node"]["kind"] == "NEW_CASE")
            .map(|e| e["node"]["message"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, chinese) = app.gql_in("zh-CN", &health, alerts, json!({})).await;
    assert_eq!(read(&chinese), ["新报告 CONFIRMED 病例"], "{chinese}");
    let (_, english) = app.gql_in("en", &health, alerts, json!({})).await;
    assert_eq!(read(&english), ["New CONFIRMED case reported"], "{english}");

    let checks = "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { status error { code field message } } }";
    let batch = json!({ "c": [{ "idempotencyKey": "lang-1", "person": person.id,
        "measuredAt": Utc::now() - Duration::minutes(1), "temperature": 52.0 }] });
    let (_, chinese) = app.gql_in("zh-CN", &health, checks, batch.clone()).await;
    let error = &chinese["data"]["recordHealthChecks"][0]["error"];
    assert_eq!(error["code"], "BAD_USER_INPUT", "{chinese}");
    assert_eq!(error["field"], "checks[0].temperature");
    assert_eq!(error["message"], "应在 30.0 到 45.0 °C 之间");
    let (_, english) = app.gql_in("en", &health, checks, batch).await;
    let error = &english["data"]["recordHealthChecks"][0]["error"];
    assert_eq!(error["field"], "checks[0].temperature");
    assert_eq!(error["message"], "must be between 30.0 and 45.0 °C");
}

#[tokio::test]
async fn a_refused_token_is_explained_in_the_requests_language() {
    let app = spawn_app().await;
    let (_, chinese) = app
        .gql_in("zh-CN", "not-a-jwt", "{ me { name } }", json!({}))
        .await;
    let (language, english) = app
        .gql_in("en", "not-a-jwt", "{ me { name } }", json!({}))
        .await;
    assert_eq!(error_code(&chinese), Some("UNAUTHENTICATED"));
    assert_eq!(error_code(&english), Some("UNAUTHENTICATED"));
    assert_eq!(language, "en");
    assert_eq!(message(&chinese), "令牌格式不正确");
    assert_eq!(message(&english), "the token is malformed");
}

#[tokio::test]
async fn a_subscription_speaks_the_language_its_connection_asked_for() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let app = spawn_app().await;
    let analyst = app.token(Agency::Health, Role::Analyst, "DEMO");
    let mut answers = Vec::new();
    for payload in [
        json!({ "token": analyst }),
        json!({ "token": analyst, "acceptLanguage": "en" }),
    ] {
        let mut socket = crate::subscriptions::connect(&app.base, payload)
            .await
            .expect("accepted");
        let subscribe = json!({ "id": "1", "type": "subscribe",
            "payload": { "query": crate::subscriptions::FEVERS } });
        socket
            .send(Message::text(subscribe.to_string()))
            .await
            .unwrap();
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let answer: Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
        answers.push(answer["payload"]["errors"][0].clone());
    }
    assert_eq!(answers[0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(answers[1]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        answers[0]["message"].as_str().unwrap().contains("没有字段"),
        "{answers:?}"
    );
    assert!(
        answers[1]["message"]
            .as_str()
            .unwrap()
            .starts_with("Unknown field"),
        "{answers:?}"
    );
}
