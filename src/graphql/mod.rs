//! The GraphQL layer: thin resolvers over the domain, the policy's schema visibility, and
//! the one conversion of errors.

mod alerts;
mod audit_events;
mod batch_values;
mod cases;
mod changes;
pub mod checked;
mod checkpoints;
mod contacts;
mod context;
mod counts;
mod daily_reports;
mod duplicates;
mod enums;
pub mod error_codes;
mod grants;
mod health_checks;
mod held;
mod input_forms;
mod lab_tests;
pub mod limits;
pub mod loaders;
mod me;
mod org_units;
mod parse_cache;
pub mod persisted;
mod persons;
mod prefetch;
mod quarantines;
mod retention;
mod snapshot;
mod statistics;
mod subscriptions;
mod tasks;
pub mod visibility;
mod vulnerable_persons;

use std::sync::Arc;

use async_graphql::{
    extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage},
    MergedObject, Schema, SchemaBuilder,
};

use crate::{config::Config, state::AppState};

#[derive(MergedObject, Default)]
pub struct Query(
    me::MeQuery,
    org_units::OrgUnitQuery,
    persons::PersonQuery,
    duplicates::DuplicateQuery,
    held::HeldQuery,
    cases::CaseQuery,
    contacts::ContactQuery,
    quarantines::QuarantineQuery,
    health_checks::HealthCheckQuery,
    checkpoints::CheckpointQuery,
    alerts::AlertQuery,
    tasks::TaskQuery,
    vulnerable_persons::VulnerableQuery,
    daily_reports::DailyReportQuery,
    statistics::StatisticsQuery,
    audit_events::AuditQuery,
    grants::GrantQuery,
    changes::ChangeQuery,
    snapshot::SnapshotQuery,
    retention::RetentionQuery,
);

#[derive(MergedObject, Default)]
#[graphql(visible = "visibility::mutation_root")]
pub struct Mutation(
    persons::PersonMutation,
    duplicates::DuplicateMutation,
    held::HeldMutation,
    cases::CaseMutation,
    contacts::ContactMutation,
    quarantines::QuarantineMutation,
    health_checks::HealthCheckMutation,
    checkpoints::CheckpointMutation,
    lab_tests::LabTestMutation,
    tasks::TaskMutation,
    grants::GrantMutation,
    daily_reports::DailyReportMutation,
    retention::RetentionMutation,
);

pub type AppSchema = Schema<Query, Mutation, subscriptions::Subscription>;

/// Deepest recursion of fragments and lists the parser accepts.
const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
const MAX_DIRECTIVES: usize = 8;

fn builder() -> SchemaBuilder<Query, Mutation, subscriptions::Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        subscriptions::Subscription,
    )
}

/// The schema the server runs, with its limits, extensions and shared state.
pub fn build_schema(
    state: Arc<AppState>,
    config: &Config,
    persisted: LruCacheStorage,
) -> AppSchema {
    builder()
        .data(state)
        .limit_depth(config.max_query_depth)
        .limit_complexity(config.max_query_complexity)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES)
        // Suggestions would name fields the principal may not see.
        .disable_suggestions()
        // Outermost first: codes on every error; the visibility walk runs after the shape
        // limits have passed (extensions nest, and each runs its check after `next`).
        .extension(error_codes::ErrorCodes)
        // After the visibility walk: a hidden field is unknown, whatever its value.
        .extension(input_forms::InputForms)
        .extension(visibility::VisibilityGuard)
        .extension(subscriptions::SubscriptionAudit)
        .extension(limits::QueryLimits {
            max_aliases: config.max_aliases,
            max_root_fields: config.max_root_fields,
            max_fragments: config.max_fragments,
            max_string_chars: config.max_string_chars,
            max_input_depth: config.max_input_depth,
        })
        .extension(ApolloPersistedQueries::new(persisted))
        // Hands the checked document to the lean schema (HTTP requests only).
        .extension(checked::StopBeforeExecution)
        // Innermost: replaces only the parse; every check above still runs.
        .extension(parse_cache::ParseCache::new())
        .finish()
}

/// The same schema without extensions, which executes what [`build_schema`]'s checked
/// (see `checked`): no per-field toll of the extensions.
pub fn build_lean_schema(state: Arc<AppState>, config: &Config) -> AppSchema {
    builder()
        .data(state)
        .limit_depth(config.max_query_depth)
        .limit_complexity(config.max_query_complexity)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES)
        .disable_suggestions()
        .finish()
}

/// The full schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
