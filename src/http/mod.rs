//! HTTP: routes, the GraphQL endpoint, and the small pages around it.

mod assets;
mod exports;
mod graphql;
mod headers;
mod imports;
mod pages;
pub mod rate_limit;
mod subscriptions;

use actix_web::web;

pub use assets::{VendorFile, OWN, VENDOR};
pub use graphql::Endpoint;
pub use headers::{cors, security_headers};

/// All routes of the server.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::home))
        .route("/graphql", web::post().to(graphql::handle))
        .route("/graphql", web::get().to(graphql::handle))
        .route("/exports/{file}", web::get().to(exports::download))
        .route("/imports", web::post().to(imports::upload))
        .route("/imports/{id}", web::get().to(imports::status))
        .route("/imports/{id}/rows", web::get().to(imports::rows))
        .route("/graphiql", web::get().to(pages::graphiql))
        .route("/dashboard", web::get().to(pages::dashboard))
        .route("/assets/vendor/{path:.+}", web::get().to(assets::vendor))
        .route("/assets/{name}", web::get().to(assets::own))
        .route("/health", web::get().to(pages::health))
        .route("/ready", web::get().to(pages::ready))
        .route("/metrics", web::get().to(pages::metrics));
}
