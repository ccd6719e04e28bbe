//! How far the change log has been pruned: a feed cursor before that point can no longer be
//! followed without a gap, and its client is told to take a new snapshot.
//!
//! One row per pruning, naming the position of the last row it removed; the newest is the
//! line. Kept as rows of its own (not read off the log's first row) because the log may be
//! empty, or start later than the line for reasons of its own.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeLogPruned::Table)
                    .col(big_pk_auto(ChangeLogPruned::Id))
                    .col(big_integer(ChangeLogPruned::Tx))
                    .col(big_integer(ChangeLogPruned::LogId))
                    .col(timestamp_with_time_zone(ChangeLogPruned::At))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeLogPruned::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ChangeLogPruned {
    Table,
    Id,
    Tx,
    LogId,
    At,
}
