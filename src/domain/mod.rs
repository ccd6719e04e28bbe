//! The domain layer: rules, scope, masking and audit for each kind of record. Resolvers
//! call one function here; everything that decides lives here or in `access`.

pub mod alerts;
pub mod audit_events;
pub mod batch;
pub mod case_rules;
pub mod cases;
pub mod chain;
pub mod changes;
pub mod checkpoints;
pub mod clock;
pub mod coalesce;
pub mod contacts;
pub mod daily_reports;
pub mod duplicates;
pub mod grants;
pub mod guesses;
pub mod health_checks;
pub mod held;
pub mod imports;
pub mod lab_tests;
pub mod merge;
pub mod nested;
pub mod org_units;
pub mod pagination;
pub mod persons;
pub mod quarantines;
pub mod snapshot;
pub mod statistics;
pub mod task_rules;
pub mod tasks;
pub mod values;
pub mod versioning;
pub mod vulnerability;
pub mod vulnerable_persons;
