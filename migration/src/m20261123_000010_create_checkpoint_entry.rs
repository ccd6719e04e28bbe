//! Passages of people and vehicles through checkpoints (highway exits, stations, compound gates).

use sea_orm_migration::{prelude::*, schema::*};

use crate::{enum_str, prefix_scanned};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CheckpointEntry::Table)
                    .col(big_pk_auto(CheckpointEntry::Id))
                    .col(string(CheckpointEntry::CheckpointName))
                    .col(big_integer(CheckpointEntry::OrgId))
                    .col(prefix_scanned(manager, CheckpointEntry::OrgPath))
                    .col(enum_str(CheckpointEntry::Direction))
                    .col(timestamp_with_time_zone(CheckpointEntry::PassedAt))
                    .col(big_integer_null(CheckpointEntry::PersonId))
                    .col(string_null(CheckpointEntry::TravellerName))
                    .col(string_null(CheckpointEntry::TravellerDocument))
                    .col(string_null(CheckpointEntry::TravellerPhone))
                    .col(string_null(CheckpointEntry::VehiclePlate))
                    .col(string_null(CheckpointEntry::FromPlace))
                    .col(boolean(CheckpointEntry::FromRiskArea).default(false))
                    .col(integer_null(CheckpointEntry::TemperatureDecidegrees))
                    .col(string(CheckpointEntry::RecordedBy))
                    .col(enum_str(CheckpointEntry::RecordedByAgency))
                    .col(string(CheckpointEntry::IdempotencyKey))
                    .col(timestamp_with_time_zone(CheckpointEntry::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_checkpoint_entry_org_id")
                            .from(CheckpointEntry::Table, CheckpointEntry::OrgId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_checkpoint_entry_person_id")
                            .from(CheckpointEntry::Table, CheckpointEntry::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // Checkpoint devices retry over bad links; a retry must not count a second passage.
        manager
            .create_index(
                Index::create()
                    .name("uq_checkpoint_entry_recorded_by_idempotency_key")
                    .table(CheckpointEntry::Table)
                    .col(CheckpointEntry::RecordedBy)
                    .col(CheckpointEntry::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_checkpoint_entry_org_path_passed_at")
                    .table(CheckpointEntry::Table)
                    .col(CheckpointEntry::OrgPath)
                    .col(CheckpointEntry::PassedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_checkpoint_entry_person_id")
                    .table(CheckpointEntry::Table)
                    .col(CheckpointEntry::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_checkpoint_entry_passed_at")
                    .table(CheckpointEntry::Table)
                    .col(CheckpointEntry::PassedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CheckpointEntry::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CheckpointEntry {
    Table,
    Id,
    CheckpointName,
    OrgId,
    OrgPath,
    Direction,
    PassedAt,
    PersonId,
    TravellerName,
    TravellerDocument,
    TravellerPhone,
    VehiclePlate,
    FromPlace,
    FromRiskArea,
    TemperatureDecidegrees,
    RecordedBy,
    RecordedByAgency,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}
