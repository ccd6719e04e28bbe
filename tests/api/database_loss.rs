//! When the database goes away, requests fail fast with UNAVAILABLE and `/ready` says 503;
//! when it comes back, the server recovers by itself. (PostgreSQL only: one test cuts the
//! server's database off with `ALLOW_CONNECTIONS false` and terminates its sessions; the
//! others put a TCP proxy between them that stops listening, or accepts and carries
//! nothing, the database "hanging".)

use std::time::{Duration, Instant};

use entity::{Agency, Role};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{json, Value};

use crate::{
    helpers::{database_address, error_code, spawn_app, spawn_with, Options, TestApp},
    tcp_proxy::{Mode, Proxy},
};

const QUERY: &str = "{ persons(first: 1) { totalCount } }";

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
    let query = json!({ "query": QUERY });
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
        started.elapsed() < Duration::from_secs(3),
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

/// A server that reaches its database through a proxy; `None` on SQLite.
async fn behind_proxy() -> Option<(TestApp, Proxy)> {
    let admin = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))?;
    let proxy = Proxy::start(database_address(&admin)).await;
    let app = spawn_with(Options {
        database_port: Some(proxy.port),
        ..Options::default()
    })
    .await;
    Some((app, proxy))
}

/// A query's status, body and time to answer.
async fn timed_query(app: &TestApp, token: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let (status, body) = app
        .post_graphql(Some(token), &json!({ "query": QUERY }))
        .await;
    (status, body, started.elapsed())
}

async fn timed_ready(app: &TestApp) -> (u16, Duration) {
    let started = Instant::now();
    let status = app
        .client
        .get(format!("{}/ready", app.base))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (status, started.elapsed())
}

/// The first request after the fault, `/ready`, and the next request each answer 503 within
/// their bounds; once the proxy forwards again, both recover by themselves.
async fn fails_fast_and_recovers(mode: Mode) {
    let Some((app, mut proxy)) = behind_proxy().await else {
        eprintln!("skipped: set TEST_DATABASE_URL to a PostgreSQL server to run this test");
        return;
    };
    let token = app.token(Agency::Health, Role::Operator, "DEMO");
    let (status, body, _) = timed_query(&app, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(timed_ready(&app).await.0, 200);

    proxy.set(mode).await;
    let (status, body, first) = timed_query(&app, &token).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), Some("UNAVAILABLE"), "{body}");
    let (ready, ready_took) = timed_ready(&app).await;
    assert_eq!(ready, 503);
    let (status, body, next) = timed_query(&app, &token).await;
    assert_eq!(status, 503, "{body}");
    eprintln!(
        "database {mode:?}: first request {first:?}, /ready {ready_took:?}, next request {next:?}"
    );
    assert!(first < Duration::from_secs(3), "first request: {first:?}");
    assert!(
        ready_took < Duration::from_secs(2),
        "/ready: {ready_took:?}"
    );
    assert!(next < Duration::from_secs(1), "next request: {next:?}");

    proxy.set(Mode::Forward).await;
    let back = Instant::now();
    loop {
        let (status, _, _) = timed_query(&app, &token).await;
        if status == 200 && timed_ready(&app).await.0 == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "the server did not recover"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("database {mode:?}: recovered in {:?}", back.elapsed());
}

#[tokio::test]
async fn a_database_that_refuses_connections_gives_unavailable_within_a_second_or_two() {
    fails_fast_and_recovers(Mode::Refuse).await;
}

#[tokio::test]
async fn a_database_that_hangs_gives_unavailable_within_a_second_or_two() {
    fails_fast_and_recovers(Mode::Hang).await;
}
