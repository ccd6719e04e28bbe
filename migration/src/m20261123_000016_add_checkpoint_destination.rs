//! Where a traveller passing a checkpoint is heading, and the type of an unregistered
//! traveller's document: an arrival's alert and its row belong to the destination's
//! jurisdiction as well as to the checkpoint's.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{enum_str_null, prefix_scanned_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            big_integer_null(CheckpointEntry::DestinationOrgId),
            prefix_scanned_null(manager, CheckpointEntry::DestinationPath),
            enum_str_null(CheckpointEntry::TravellerDocumentType),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(CheckpointEntry::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // The destination's officers list arrivals by range of path, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_checkpoint_entry_destination_path_passed_at")
                    .table(CheckpointEntry::Table)
                    .col(CheckpointEntry::DestinationPath)
                    .col(CheckpointEntry::PassedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_checkpoint_entry_destination_path_passed_at")
                    .table(CheckpointEntry::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            CheckpointEntry::TravellerDocumentType,
            CheckpointEntry::DestinationPath,
            CheckpointEntry::DestinationOrgId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CheckpointEntry::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CheckpointEntry {
    Table,
    DestinationOrgId,
    DestinationPath,
    TravellerDocumentType,
    PassedAt,
}
