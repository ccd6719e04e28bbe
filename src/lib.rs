//! Lianfang (联防联控): one GraphQL API through which health, police, civil affairs and
//! community workers share one live picture of an outbreak, each agency seeing exactly
//! what its job needs.
//!
//! Request flow: HTTP (`http`) → JWT into a `Principal` (`auth`) → schema visibility per
//! principal (`graphql::visibility`) → thin resolver (`graphql`) → domain function with
//! rules, scope, masking and audit (`domain`, `access`, `audit`) → SeaORM (`entity`).

pub mod access;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod db_watch;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod exports;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod i18n;
pub mod partitions;
pub mod retention;
pub mod startup;
pub mod state;
pub mod telemetry;
