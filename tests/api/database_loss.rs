//! When the database goes away, requests fail fast with UNAVAILABLE and `/ready` says 503;
//! when it comes back, the server recovers by itself. (PostgreSQL only: the test cuts the
//! server's database off with `ALLOW_CONNECTIONS false` and terminates its sessions.)

use std::time::{Duration, Instant};

use entity::{Agency, Role};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::json;

use crate::helpers::{error_code, spawn_app};

async fn admin(admin_url: &str, sql: String) {
    let db = Database::connect(admin_url).await.unwrap();
    db.execute_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn losing_the_database_gives_unavailable_fast_and_the_server_recovers_by_itself() {
    let app = spawn_app().await;
    let Some((admin_url, name)) = app.postgres() else {
        eprintln!("skipped: set TEST_DATABASE_URL to a PostgreSQL server to run this test");
        return;
    };
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let query = json!({ "query": "{ persons(first: 1) { totalCount } }" });
    let (status, _) = app.post_graphql(Some(&token), &query).await;
    assert_eq!(status, 200);

    admin(
        &admin_url,
        format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"),
    )
    .await;
    admin(
        &admin_url,
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .await;

    let started = Instant::now();
    let (status, body) = app.post_graphql(Some(&token), &query).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), Some("UNAVAILABLE"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "failed fast: {:?}",
        started.elapsed()
    );
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("postgres") && !message.contains("SQL"),
        "no internals: {message}"
    );
    let ready = app
        .client
        .get(format!("{}/ready", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 503);

    admin(
        &admin_url,
        format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _) = app.post_graphql(Some(&token), &query).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ready = app
        .client
        .get(format!("{}/ready", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);
}
