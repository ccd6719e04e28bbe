//! The process under signals and crashes: acknowledged writes survive `kill -9`, and
//! SIGTERM lets requests in flight finish.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};

use crate::{binary::Binary, helpers::TestDatabase};

async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Value, reqwest::Error> {
    client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await
}

const CHECKS: &str = "mutation($c: [HealthCheckInput!]!) { recordHealthChecks(checks: $c) { idempotencyKey status } }";

async fn resident(client: &reqwest::Client, base: &str, token: &str) -> String {
    let r = post(
        client,
        base,
        token,
        "{ persons(first: 1) { edges { node { id } } } }",
        json!({}),
    )
    .await
    .unwrap();
    r["data"]["persons"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9_exactly_once() {
    let database = TestDatabase::create().await;
    let server = Binary::start(&database.url, &[]);
    let client = reqwest::Client::new();
    let token = Binary::token("COMMUNITY", "DEMO-01-01-01", "crash-worker");
    let person = resident(&client, &server.base, &token).await;

    // Four writers send checks one at a time; a key counts once the server said RECORDED.
    // What was sent is kept with it: a resend is the same check, not another under its key.
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, Value)>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, base, token, person, acknowledged) = (
            client.clone(),
            server.base.clone(),
            token.clone(),
            person.clone(),
            Arc::clone(&acknowledged),
        );
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let key = format!("crash-{w}-{n}");
                let check = json!({ "idempotencyKey": key, "person": person, "measuredAt": Utc::now(), "temperature": 36.6 });
                match post(&client, &base, &token, CHECKS, json!({ "c": [check.clone()] })).await {
                    Ok(r) if r["data"]["recordHealthChecks"][0]["status"] == "RECORDED" => acknowledged.lock().unwrap().push((key, check)),
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.signal("KILL");
    for writer in writers {
        let _ = writer.await;
    }
    drop(server);
    let acknowledged: Vec<(String, Value)> = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 10,
        "the load wrote something: {}",
        acknowledged.len()
    );

    // Every acknowledged key is in the database, once.
    let db = Database::connect(&database.url).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT idempotency_key, COUNT(*) AS n FROM health_check WHERE idempotency_key LIKE 'crash-%' GROUP BY idempotency_key".to_owned(),
        ))
        .await
        .unwrap();
    let mut stored = HashSet::new();
    for row in rows {
        let key: String = row.try_get("", "idempotency_key").unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        assert_eq!(n, 1, "{key} stored {n} times");
        stored.insert(key);
    }
    for (key, _) in &acknowledged {
        assert!(stored.contains(key), "acknowledged {key} was lost");
    }
    db.close().await.unwrap();

    // After a restart, resending them all writes nothing.
    let server = Binary::start(&database.url, &[]);
    let resend: Vec<Value> = acknowledged
        .iter()
        .take(200)
        .map(|(_, check)| check.clone())
        .collect();
    let r = post(
        &client,
        &server.base,
        &token,
        CHECKS,
        json!({ "c": resend }),
    )
    .await
    .unwrap();
    let results = r["data"]["recordHealthChecks"].as_array().unwrap();
    assert!(results.iter().all(|x| x["status"] == "DUPLICATE"), "{r}");
    eprintln!(
        "{} acknowledged writes survived kill -9, {} stored in all",
        acknowledged.len(),
        stored.len()
    );
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_and_refuses_new_ones() {
    let database = TestDatabase::create().await;
    let mut server = Binary::start(&database.url, &[("SHUTDOWN_GRACE_SECS", "20")]);
    let client = reqwest::Client::new();
    let token = Binary::token("COMMUNITY", "DEMO-01-01-01", "shutdown-worker");
    let person = resident(&client, &server.base, &token).await;

    // Eight batches of 500 checks each: long enough to be in flight when the signal comes.
    let mut inflight = Vec::new();
    for b in 0..8 {
        let batch: Vec<Value> = (0..500)
            .map(|i| json!({ "idempotencyKey": format!("term-{b}-{i}"), "person": person, "measuredAt": Utc::now(), "temperature": 36.6 }))
            .collect();
        let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
        inflight.push(tokio::spawn(async move {
            let r = post(&client, &base, &token, CHECKS, json!({ "c": batch })).await;
            (Instant::now(), r)
        }));
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    let signalled = Instant::now();
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = client
        .get(format!("{}/health", server.base))
        .timeout(Duration::from_secs(2))
        .send()
        .await;

    // A request the server had taken in gets its whole answer, even after the signal; one
    // it had not yet read (its connection cut while queued) wrote nothing: never half.
    let mut finished_after_signal = 0;
    let mut answered = Vec::new();
    for (b, request) in inflight.into_iter().enumerate() {
        let (done, response) = request.await.unwrap();
        if let Ok(response) = response {
            let results = response["data"]["recordHealthChecks"]
                .as_array()
                .expect("recorded");
            assert!(
                results.iter().all(|r| r["status"] == "RECORDED"),
                "{response}"
            );
            if done > signalled {
                finished_after_signal += 1;
            }
            answered.push(b);
        } else {
            eprintln!(
                "batch {b} cut at {:?} after the signal",
                done.checked_duration_since(signalled)
            );
        }
    }
    let status = server
        .wait(Duration::from_secs(20))
        .expect("the server exits within the grace period");
    assert!(status.success(), "{status:?}");
    assert!(
        late.is_err() || late.is_ok_and(|r| !r.status().is_success()),
        "no new request after SIGTERM"
    );
    assert!(
        finished_after_signal >= 1,
        "some request was in flight when the signal came"
    );
    let db = Database::connect(&database.url).await.unwrap();
    for b in 0..8 {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT COUNT(*) FROM health_check WHERE idempotency_key LIKE 'term-{b}-%'"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        let stored: i64 = row.try_get_by_index(0).unwrap();
        let expected = if answered.contains(&b) { 500 } else { 0 };
        assert_eq!(
            stored,
            expected,
            "batch {b}: answered {}",
            answered.contains(&b)
        );
    }
    db.close().await.unwrap();
    eprintln!("{finished_after_signal} of 8 requests finished after SIGTERM");
}

#[tokio::test]
async fn every_answered_read_is_on_the_audit_trail_after_kill_9() {
    let database = TestDatabase::create().await;
    let server = Binary::start(&database.url, &[]);
    let client = reqwest::Client::new();
    let token = Binary::token("COMMUNITY", "DEMO-01-01-01", "crash-reader");
    resident(&client, &server.base, &token).await;

    // Eight readers page through residents, each request with its own id; a request counts
    // once its persons reached the client. Concurrent reads share a commit of the audit trail.
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut readers = Vec::new();
    for r in 0..8 {
        let (client, base, token, answered) = (
            client.clone(),
            server.base.clone(),
            token.clone(),
            Arc::clone(&answered),
        );
        readers.push(tokio::spawn(async move {
            for n in 0.. {
                let request_id = format!("read-{r}-{n}");
                let response = client
                    .post(format!("{base}/graphql"))
                    .bearer_auth(&token)
                    .header("X-Request-Id", &request_id)
                    .json(
                        &json!({ "query": "{ persons(first: 3) { edges { node { id name } } } }" }),
                    )
                    .send()
                    .await;
                let Ok(response) = response else { return };
                let Ok(body) = response.json::<Value>().await else {
                    return;
                };
                if body["data"]["persons"]["edges"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty())
                {
                    answered.lock().unwrap().push(request_id);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.signal("KILL");
    for reader in readers {
        let _ = reader.await;
    }
    drop(server);
    let answered: Vec<String> = answered.lock().unwrap().clone();
    assert!(
        answered.len() > 20,
        "the load read something: {}",
        answered.len()
    );

    let db = Database::connect(&database.url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT DISTINCT request_id FROM audit_event WHERE entity_type = 'Person' AND request_id LIKE 'read-%'".to_owned(),
        ))
        .await
        .unwrap();
    let filed: HashSet<String> = rows
        .into_iter()
        .map(|row| row.try_get::<String>("", "request_id").unwrap())
        .collect();
    for request_id in &answered {
        assert!(
            filed.contains(request_id),
            "read {request_id} was answered but not audited"
        );
    }
    db.close().await.unwrap();
    eprintln!(
        "{} answered reads all on the audit trail after kill -9 ({} filed)",
        answered.len(),
        filed.len()
    );
}
