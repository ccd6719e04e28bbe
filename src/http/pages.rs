//! GraphiQL, liveness and readiness.

use actix_web::{http::header, web, HttpResponse};

use super::Endpoint;

const GRAPHIQL: &str = include_str!("graphiql.html");

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
