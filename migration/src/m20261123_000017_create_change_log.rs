//! The change log: one row per record created or changed, in commit order. Live events
//! (subscriptions, on every instance) and the change feed read it forward by id; writers
//! append to it under one transaction-scoped lock on PostgreSQL, so that ids are handed out
//! in the order transactions commit and a reader that has seen id N has seen everything
//! before it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .col(big_pk_auto(ChangeLog::Id))
                    .col(string_len(ChangeLog::EntityType, 40))
                    .col(big_integer(ChangeLog::EntityId))
                    .col(string_len(ChangeLog::Operation, 80))
                    .col(timestamp_with_time_zone(ChangeLog::At))
                    .to_owned(),
            )
            .await?;
        // The change feed filters by type as it reads forward.
        manager
            .create_index(
                Index::create()
                    .name("idx_change_log_entity_type_id")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::EntityType)
                    .col(ChangeLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Id,
    EntityType,
    EntityId,
    Operation,
    At,
}
