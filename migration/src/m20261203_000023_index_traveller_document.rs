//! Travellers' document numbers, indexed: an agency that sees numbers masked may enter only a
//! few numbers a day that look like one of its residents' (`src/domain/guesses.rs`), and the
//! numbers it entered at checkpoints are found by this index, not by scanning the passages.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_checkpoint_entry_traveller_document";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(CheckpointEntry::Table)
                    .col(CheckpointEntry::TravellerDocument)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(CheckpointEntry::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CheckpointEntry {
    Table,
    TravellerDocument,
}
