//! HTTP: routes, the GraphQL endpoint, and the small pages around it.

mod graphql;
mod headers;
mod pages;
pub mod rate_limit;
mod subscriptions;

use actix_web::web;

pub use graphql::Endpoint;
pub use headers::{cors, security_headers};

/// All routes of the server.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql::handle))
        .route("/graphql", web::get().to(graphql::handle))
        .route("/graphiql", web::get().to(pages::graphiql))
        .route("/dashboard", web::get().to(pages::dashboard))
        .route("/dashboard.js", web::get().to(pages::dashboard_js))
        .route("/health", web::get().to(pages::health))
        .route("/ready", web::get().to(pages::ready))
        .route("/metrics", web::get().to(pages::metrics));
}
