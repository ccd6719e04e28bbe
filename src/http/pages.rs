//! The server's pages (home, GraphiQL, the command's dashboard), liveness and readiness.

use actix_web::{http::header, web, HttpResponse};

use super::Endpoint;

const HOME: &str = include_str!("home.html");
const GRAPHIQL: &str = include_str!("graphiql.html");
const DASHBOARD: &str = include_str!("dashboard.html");

/// `/`: what this server is and where to start, Chinese first.
pub async fn home() -> HttpResponse {
    page(HOME)
}

/// GraphiQL with a field for the bearer token: each token sees its own schema.
pub async fn graphiql() -> HttpResponse {
    page(GRAPHIQL)
}

/// The command's overview: figures and trends from `statistics`, with a pasted token.
pub async fn dashboard() -> HttpResponse {
    page(DASHBOARD)
}

/// The pages are written in both languages at once, Chinese first.
fn page(html: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_LANGUAGE, "zh-CN, en"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, super::headers::PAGE_CSP))
        .body(html)
}

/// Liveness: the process answers.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers, asked on the watcher's own connection (so a busy pool
/// does not make the server look down) and never waited for longer than about a second.
pub async fn ready(endpoint: web::Data<Endpoint>) -> HttpResponse {
    if endpoint.state.db_watch.ready().await {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ready" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "database unavailable" }))
    }
}

/// Operational figures in Prometheus' text format, for monitoring and for the load
/// benchmark: SQL statements run through the request pool, and the process's resident
/// memory. Counts only; nothing about any record.
pub async fn metrics(endpoint: web::Data<Endpoint>) -> HttpResponse {
    let statements = endpoint.state.statements.get();
    let mut body = format!(
        "# HELP lianfang_sql_statements_total SQL statements run through the request pool.\n\
         # TYPE lianfang_sql_statements_total counter\n\
         lianfang_sql_statements_total {statements}\n"
    );
    if let Some(bytes) = resident_memory_bytes() {
        body.push_str(&format!(
            "# HELP process_resident_memory_bytes Resident memory of the server process.\n\
             # TYPE process_resident_memory_bytes gauge\n\
             process_resident_memory_bytes {bytes}\n"
        ));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

/// `VmRSS` from `/proc/self/status` (Linux); `None` elsewhere.
fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
