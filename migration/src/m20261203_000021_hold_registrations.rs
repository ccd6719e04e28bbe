//! Registrations held for verification: a document number submitted by an agency that sees
//! numbers masked, when it belongs to a person outside that agency's jurisdiction, makes a
//! record of its own (`held_for_id` names the person it claims to be) instead of reaching
//! into the other jurisdiction; an agency that sees numbers in full confirms or clears it.
//! So the number's uniqueness holds among verified records only. Checkpoint entries whose
//! document belongs to someone of another name are flagged for the same agencies.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UNIQUE: &str = "uq_person_document_type_document_number";
const HELD: &str = "idx_person_held_for_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Person::Table)
                    .add_column(big_integer_null(Person::HeldForId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CheckpointEntry::Table)
                    .add_column(boolean(CheckpointEntry::IdentityConflict).default(false))
                    .to_owned(),
            )
            .await?;
        // One batch on one connection: SQLite may run separate statements of a migration
        // on two pooled connections, and the second would still see the old index.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "DROP INDEX {UNIQUE}; CREATE UNIQUE INDEX {UNIQUE} ON person \
                 (document_type, document_number) WHERE held_for_id IS NULL"
            ))
            .await?;
        // The verifiers list held records by where they were registered.
        manager
            .create_index(
                Index::create()
                    .name(HELD)
                    .table(Person::Table)
                    .col(Person::ResidencePath)
                    .col(Person::Id)
                    .and_where(Expr::col(Person::HeldForId).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(HELD).table(Person::Table).to_owned())
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "DROP INDEX {UNIQUE}; CREATE UNIQUE INDEX {UNIQUE} ON person \
                 (document_type, document_number)"
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CheckpointEntry::Table)
                    .drop_column(CheckpointEntry::IdentityConflict)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Person::Table)
                    .drop_column(Person::HeldForId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Person {
    Table,
    HeldForId,
    ResidencePath,
    Id,
}

#[derive(DeriveIden)]
enum CheckpointEntry {
    Table,
    IdentityConflict,
}
