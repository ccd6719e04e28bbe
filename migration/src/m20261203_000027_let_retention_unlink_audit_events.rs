//! The audit trail stays append-only, with one exception the retention policy needs: once an
//! event is older than the audit retention (`RETENTION_AUDIT_DAYS`), the purge removes what it
//! pointed to (the record ids and the stated reason) and keeps who did what, when. An UPDATE
//! that does exactly that passes; any other UPDATE, and every DELETE, is still refused with the
//! same message as before.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const MESSAGE: &str = "audit_event is append-only";

/// Every column but the three the purge clears.
const KEPT: [&str; 10] = [
    "id",
    "at",
    "subject",
    "agency",
    "role",
    "actor_path",
    "operation",
    "entity_type",
    "grant_id",
    "request_id",
];

fn unlinking(new: &str, old: &str, same: &str) -> String {
    let cleared =
        format!("{new}.entity_id IS NULL AND {new}.entity_ids IS NULL AND {new}.reason IS NULL");
    let kept: Vec<String> = KEPT
        .iter()
        .map(|c| format!("{new}.{c} {same} {old}.{c}"))
        .collect();
    format!("{cleared} AND {}", kept.join(" AND "))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            // The function is shared by the trigger of every partition.
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       IF TG_OP = 'UPDATE' AND {} THEN RETURN NEW; END IF; \
                       RAISE EXCEPTION '{MESSAGE}'; \
                     END; $$",
                    unlinking("NEW", "OLD", "IS NOT DISTINCT FROM")
                ))
                .await?;
            }
            // One batch, so that no pooled connection sees the table without its trigger.
            DbBackend::Sqlite => {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER audit_event_no_update; \
                     CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
                     WHEN NOT ({}) \
                     BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
                    unlinking("NEW", "OLD", "IS")
                ))
                .await?;
            }
            other => {
                return Err(DbErr::Migration(format!(
                    "the audit trail's triggers exist for PostgreSQL and SQLite only, not {other:?}"
                )))
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$"
                ))
                .await?;
            }
            DbBackend::Sqlite => {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER audit_event_no_update; \
                     CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
                     BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
                ))
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
