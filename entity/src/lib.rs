//! SeaORM entities: one file per table, and the enums stored in them.
//!
//! This crate knows nothing of GraphQL or of the access policy; it is the shape of the
//! rows, so that the migration crate, the server and the benchmarks agree on it.

pub mod enums;

pub mod access_grant;
pub mod alert;
pub mod audit_event;
pub mod case;
pub mod change_log;
pub mod change_log_pruned;
pub mod checkpoint_entry;
pub mod contact;
pub mod daily_report;
pub mod health_check;
pub mod lab_test;
pub mod org_unit;
pub mod person;
pub mod person_import;
pub mod person_import_row;
pub mod person_provenance;
pub mod quarantine;
pub mod stand_down;
pub mod task;

pub use enums::*;
