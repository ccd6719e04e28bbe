//! An import's heartbeat: the moment its last chunk of rows was kept. An import runs in the
//! server process that received it; when that process stops (a crash, a deploy, `kill -9`)
//! the import's row would say RUNNING for ever. Any server that sees a RUNNING import whose
//! heartbeat is old marks it FAILED, and the caller uploads the file again (rows already
//! kept are not written twice). Several servers may share one database, so a server cannot
//! simply fail every RUNNING import when it starts: one of them may be another's.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PersonImport::Table)
                    .add_column(timestamp_with_time_zone_null(PersonImport::HeartbeatAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PersonImport::Table)
                    .drop_column(PersonImport::HeartbeatAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum PersonImport {
    Table,
    HeartbeatAt,
}
