//! Schema of the lianfang database: one migration per table in foreign-key order, one that
//! makes the audit trail append-only, then the columns later features added. Runs on
//! PostgreSQL and SQLite alike.

pub use sea_orm_migration::prelude::*;

use sea_orm_migration::{
    schema::{string, string_len, string_len_null, string_null},
    sea_orm::DbBackend,
};

mod m20261123_000001_create_org_unit;
mod m20261123_000002_create_person;
mod m20261123_000003_create_person_provenance;
mod m20261123_000004_create_case_record;
mod m20261123_000005_create_contact;
mod m20261123_000006_create_quarantine;
mod m20261123_000007_create_health_check;
mod m20261123_000008_create_alert;
mod m20261123_000009_create_lab_test;
mod m20261123_000010_create_checkpoint_entry;
mod m20261123_000011_create_task;
mod m20261123_000012_create_daily_report;
mod m20261123_000013_create_access_grant;
mod m20261123_000014_create_audit_event;
mod m20261123_000015_make_audit_append_only;
mod m20261123_000016_add_checkpoint_destination;
mod m20261123_000017_create_change_log;
mod m20261202_000018_order_change_log_by_transaction;
mod m20261202_000019_group_audit_records;
mod m20261202_000020_index_fevers;
mod m20261203_000021_hold_registrations;
mod m20261203_000022_partition_audit_event;
mod m20261203_000023_index_traveller_document;
mod m20261203_000024_create_change_log_pruned;
mod m20261203_000025_create_person_import;
mod m20261203_000026_create_stand_down;
mod m20261203_000027_let_retention_unlink_audit_events;
mod m20261203_000028_add_import_heartbeat;
mod m20261203_000029_index_alert_entity;
mod m20261203_000030_partition_by_month;
pub mod partitioning;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_org_unit::Migration),
            Box::new(m20261123_000002_create_person::Migration),
            Box::new(m20261123_000003_create_person_provenance::Migration),
            Box::new(m20261123_000004_create_case_record::Migration),
            Box::new(m20261123_000005_create_contact::Migration),
            Box::new(m20261123_000006_create_quarantine::Migration),
            Box::new(m20261123_000007_create_health_check::Migration),
            Box::new(m20261123_000008_create_alert::Migration),
            Box::new(m20261123_000009_create_lab_test::Migration),
            Box::new(m20261123_000010_create_checkpoint_entry::Migration),
            Box::new(m20261123_000011_create_task::Migration),
            Box::new(m20261123_000012_create_daily_report::Migration),
            Box::new(m20261123_000013_create_access_grant::Migration),
            Box::new(m20261123_000014_create_audit_event::Migration),
            Box::new(m20261123_000015_make_audit_append_only::Migration),
            Box::new(m20261123_000016_add_checkpoint_destination::Migration),
            Box::new(m20261123_000017_create_change_log::Migration),
            Box::new(m20261202_000018_order_change_log_by_transaction::Migration),
            Box::new(m20261202_000019_group_audit_records::Migration),
            Box::new(m20261202_000020_index_fevers::Migration),
            Box::new(m20261203_000021_hold_registrations::Migration),
            Box::new(m20261203_000022_partition_audit_event::Migration),
            Box::new(m20261203_000023_index_traveller_document::Migration),
            Box::new(m20261203_000024_create_change_log_pruned::Migration),
            Box::new(m20261203_000025_create_person_import::Migration),
            Box::new(m20261203_000026_create_stand_down::Migration),
            Box::new(m20261203_000027_let_retention_unlink_audit_events::Migration),
            Box::new(m20261203_000028_add_import_heartbeat::Migration),
            Box::new(m20261203_000029_index_alert_entity::Migration),
            Box::new(m20261203_000030_partition_by_month::Migration),
        ]
    }
}

/// Must match `StringLen::N(32)` of the string enums in the entity crate.
const ENUM_LEN: u32 = 32;

/// A column holding one of the entity crate's string enums. No CHECK constraint, so that new
/// values need no migration.
fn enum_str<T: IntoIden>(col: T) -> ColumnDef {
    string_len(col, ENUM_LEN)
}

fn enum_str_null<T: IntoIden>(col: T) -> ColumnDef {
    string_len_null(col, ENUM_LEN)
}

/// A string column that queries match by prefix as a range, `col >= 'p' AND col < 'p-upper'`.
///
/// PostgreSQL compares text by the database locale, under which such a range can miss or
/// include the wrong rows and a plain btree index cannot serve it; byte order ("C") makes
/// both right. SQLite's default BINARY collation already is byte order.
fn prefix_scanned<T: IntoIden>(manager: &SchemaManager, col: T) -> ColumnDef {
    let mut def = string(col);
    if manager.get_database_backend() == DbBackend::Postgres {
        def.extra("COLLATE \"C\"");
    }
    def
}

/// A nullable [`prefix_scanned`] column.
fn prefix_scanned_null<T: IntoIden>(manager: &SchemaManager, col: T) -> ColumnDef {
    let mut def = string_null(col);
    if manager.get_database_backend() == DbBackend::Postgres {
        def.extra("COLLATE \"C\"");
    }
    def
}
