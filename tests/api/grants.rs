//! Break the glass: a time-limited view of one person outside one's jurisdiction, for
//! health and police operators, with a reason, and every read under it on the audit trail.

use chrono::{Duration, Utc};
use entity::{Agency, Role};
use serde_json::json;

use crate::{
    fixtures::{self, GRID},
    helpers::{assert_ok, error_code, is_invisible, spawn_app},
};

const REQUEST: &str = "mutation($p: ID!, $r: String!) { requestAccess(person: $p, reason: $r) { grantId person expiresAt } }";
const VIEW: &str =
    "query($id: ID!) { person(id: $id) { name phone documentNumber pseudonymized } }";

#[tokio::test]
async fn a_grant_opens_one_person_for_a_while_and_every_read_is_filed_with_it() {
    let app = spawn_app().await;
    let police = app.token_for(Agency::Police, Role::Operator, "DEMO-02", "officer-glass");
    let person = fixtures::register(&app, 851, "紧急查询", GRID).await;
    let other = fixtures::register(&app, 852, "无关人员", GRID).await;
    assert_eq!(
        error_code(&app.gql(&police, VIEW, json!({ "id": person.id })).await),
        Some("NOT_FOUND")
    );

    let granted = app
        .gql(
            &police,
            REQUEST,
            json!({ "p": person.id, "r": "交通事故伤者身份核实" }),
        )
        .await;
    assert_ok(&granted);
    let grant_id = granted["data"]["requestAccess"]["grantId"]
        .as_str()
        .unwrap()
        .to_owned();
    let expires: chrono::DateTime<Utc> = granted["data"]["requestAccess"]["expiresAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (expires - Utc::now() - Duration::hours(8))
            .num_minutes()
            .abs()
            <= 1
    );

    let seen = app.gql(&police, VIEW, json!({ "id": person.id })).await;
    assert_ok(&seen);
    assert_eq!(
        seen["data"]["person"]["documentNumber"],
        person.document.as_str()
    );
    // One person, not the neighbourhood.
    assert_eq!(
        error_code(&app.gql(&police, VIEW, json!({ "id": other.id })).await),
        Some("NOT_FOUND")
    );

    // The auditor sees the grant with its reason, and the read filed under it.
    let auditor = app.token(Agency::Police, Role::Auditor, "DEMO");
    let grants = app
        .gql(&auditor, "{ accessGrants(first: 10) { edges { node { id subject agency personId reason active } } } }", json!({}))
        .await;
    assert_ok(&grants);
    assert_eq!(
        grants["data"]["accessGrants"]["edges"][0]["node"],
        json!({ "id": grant_id, "subject": "officer-glass", "agency": "POLICE", "personId": person.id, "reason": "交通事故伤者身份核实", "active": true })
    );
    let events = app
        .gql(
            &auditor,
            "query($p: ID!) { auditEvents(first: 20, filter: { entityType: \"Person\", entityId: $p }) { edges { node { operation grantId reason } } } }",
            json!({ "p": person.id }),
        )
        .await;
    let nodes: Vec<serde_json::Value> = events["data"]["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert!(
        nodes
            .iter()
            .any(|n| n["operation"] == "mutation requestAccess"
                && n["reason"] == "交通事故伤者身份核实"),
        "{nodes:?}"
    );
    assert!(
        nodes
            .iter()
            .any(|n| n["operation"].as_str().unwrap().starts_with("query")
                && n["grantId"] == grant_id.as_str()),
        "{nodes:?}"
    );

    // Expired: closed again.
    {
        use sea_orm::{prelude::Expr, ColumnTrait, EntityTrait, QueryFilter};
        entity::access_grant::Entity::update_many()
            .col_expr(
                entity::access_grant::Column::ExpiresAt,
                Expr::value(Utc::now() - Duration::minutes(1)),
            )
            .filter(entity::access_grant::Column::Id.eq(grant_id.parse::<i64>().unwrap()))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    assert_eq!(
        error_code(&app.gql(&police, VIEW, json!({ "id": person.id })).await),
        Some("NOT_FOUND")
    );
}

#[tokio::test]
async fn only_health_and_police_operators_break_the_glass_and_only_with_a_reason() {
    let app = spawn_app().await;
    let person = fixtures::register(&app, 861, "授权测试", GRID).await;
    let before = app.count("SELECT COUNT(*) FROM access_grant").await;
    for (agency, role) in [
        (Agency::Community, Role::Operator),
        (Agency::CivilAffairs, Role::Operator),
        (Agency::Command, Role::Operator),
        (Agency::Health, Role::Analyst),
        (Agency::Police, Role::Auditor),
        (Agency::Police, Role::Admin),
    ] {
        let token = app.token(agency, role, "DEMO-02");
        let r = app
            .gql(&token, REQUEST, json!({ "p": person.id, "r": "需要查看" }))
            .await;
        assert!(is_invisible(&r), "{agency} {role}: {r}");
    }
    let health = app.token(Agency::Health, Role::Operator, "DEMO-02");
    for reason in ["", "   ", "看"] {
        let r = app
            .gql(&health, REQUEST, json!({ "p": person.id, "r": reason }))
            .await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{reason:?}: {r}");
    }
    assert_eq!(
        error_code(
            &app.gql(
                &health,
                REQUEST,
                json!({ "p": "99999999", "r": "急诊病人" })
            )
            .await
        ),
        Some("NOT_FOUND")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM access_grant").await,
        before,
        "nothing written"
    );
}
