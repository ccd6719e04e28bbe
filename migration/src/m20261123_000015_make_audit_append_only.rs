//! Makes audit_event append-only in the database itself, so that not even the server can rewrite history.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Both backends fail with this message, so the server and the tests can recognize it.
const MESSAGE: &str = "audit_event is append-only";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION audit_event_append_only() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$"
                ))
                .await?;
                // Row-level, like SQLite's triggers, so both backends treat an UPDATE or
                // DELETE that matches no row the same way. TRUNCATE is left to privileges:
                // it is an administrator's act, not something the server issues.
                db.execute_unprepared(
                    "CREATE TRIGGER audit_event_append_only \
                     BEFORE UPDATE OR DELETE ON audit_event \
                     FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
                )
                .await?;
            }
            DbBackend::Sqlite => {
                for (name, event) in [
                    ("audit_event_no_update", "UPDATE"),
                    ("audit_event_no_delete", "DELETE"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} BEFORE {event} ON audit_event \
                         BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
                    ))
                    .await?;
                }
            }
            other => return Err(unsupported(other)),
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER audit_event_append_only ON audit_event")
                    .await?;
                db.execute_unprepared("DROP FUNCTION audit_event_append_only()")
                    .await?;
            }
            DbBackend::Sqlite => {
                db.execute_unprepared("DROP TRIGGER audit_event_no_update")
                    .await?;
                db.execute_unprepared("DROP TRIGGER audit_event_no_delete")
                    .await?;
            }
            other => return Err(unsupported(other)),
        }
        Ok(())
    }
}

fn unsupported(backend: DbBackend) -> DbErr {
    DbErr::Migration(format!(
        "append-only audit_event is implemented for PostgreSQL and SQLite only, not {backend:?}"
    ))
}
