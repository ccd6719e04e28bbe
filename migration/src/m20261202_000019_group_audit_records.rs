//! One audit event per request and kind of record, not per record.
//!
//! A page of 50 cases with their contacts returns some 1,800 records; filed one row each,
//! with an index on the record's id, that was 1,800 random index insertions (and as many
//! full-page images in the WAL after each checkpoint) for one page view, which cost more
//! than the page itself. Now an event names the one record it concerns in `entity_id`, as
//! before, or the several it concerns in `entity_ids`, a JSON array. On PostgreSQL a GIN
//! index over that array answers "who saw this person" as the b-tree over `entity_id` does.
//! The index is written through (`fastupdate = off`): with GIN's pending list, inserts were
//! cheaper on average, but every few hundred case pages one request flushed the list and
//! waited a second for it (p99 of a case page at one client 114 ms, its worst 1,066 ms;
//! written through, 83 and 88 ms). (Since then each day's partition's index keeps the
//! pending list and the server merges it every second, so no request flushes it:
//! `src/partitions.rs`.) SQLite, the embedded default of small deployments, has
//! no index into an array and looks through the events of the auditor's jurisdiction
//! instead.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BY_RECORDS: &str = "idx_audit_event_entity_ids";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE audit_event ADD COLUMN entity_ids jsonb")
                    .await?;
                db.execute_unprepared(&format!(
                    "CREATE INDEX {BY_RECORDS} ON audit_event \
                     USING gin (entity_ids jsonb_path_ops) WITH (fastupdate = off)"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared("ALTER TABLE audit_event ADD COLUMN entity_ids TEXT")
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!("DROP INDEX {BY_RECORDS}"))
                .await?;
        }
        db.execute_unprepared("ALTER TABLE audit_event DROP COLUMN entity_ids")
            .await?;
        Ok(())
    }
}
