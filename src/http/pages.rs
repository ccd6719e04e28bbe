//! GraphiQL, the command's dashboard, liveness and readiness.

use actix_web::{http::header, web, HttpResponse};

use super::Endpoint;

const GRAPHIQL: &str = include_str!("graphiql.html");
const DASHBOARD: &str = include_str!("dashboard.html");
const DASHBOARD_JS: &str = include_str!("dashboard.js");

/// GraphiQL with a field for the bearer token: each token sees its own schema.
pub async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            super::headers::GRAPHIQL_CSP,
        ))
        .body(GRAPHIQL)
}

/// The command's overview: figures and trends from `statistics`, with a pasted token.
pub async fn dashboard() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            super::headers::DASHBOARD_CSP,
        ))
        .body(DASHBOARD)
}

/// The dashboard's script (a file of its own, so that the page needs no inline script).
pub async fn dashboard_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(DASHBOARD_JS)
}

/// Liveness: the process answers.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers.
pub async fn ready(endpoint: web::Data<Endpoint>) -> HttpResponse {
    match endpoint.state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(err) => {
            tracing::warn!(error = %crate::error::loggable(&err), "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "database unavailable" }))
        }
    }
}
