//! Black-box tests: a real server on a random port, over HTTP, on SQLite by default and on
//! PostgreSQL when `TEST_DATABASE_URL` is set. One test binary, so it links once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_matrix;
mod audit;
mod authentication;
mod binary;
mod changes;
mod checkpoints;
mod daily_reports;
mod dashboard;
mod database_loss;
mod demo_city;
mod fixtures;
mod generate;
mod grants;
mod helpers;
mod http;
mod introspection;
mod joint_matrix;
mod joint_story;
mod keys;
mod limits;
mod log_hygiene;
mod one_record;
mod outbreak_story;
mod persisted;
mod persons;
mod process;
mod schema;
mod statement_count;
mod statistics;
mod subscriptions;
mod tasks;
mod vulnerable;
mod workflow_matrix;
mod workflow_rules;
