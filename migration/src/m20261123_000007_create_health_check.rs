//! Temperature and symptom checks, usually twice a day under observation.

use sea_orm_migration::{prelude::*, schema::*};

use crate::enum_str;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HealthCheck::Table)
                    .col(big_pk_auto(HealthCheck::Id))
                    .col(big_integer(HealthCheck::PersonId))
                    .col(big_integer_null(HealthCheck::QuarantineId))
                    .col(timestamp_with_time_zone(HealthCheck::MeasuredAt))
                    .col(integer(HealthCheck::TemperatureDecidegrees))
                    .col(integer(HealthCheck::Symptoms).default(0))
                    .col(boolean(HealthCheck::Fever))
                    .col(string(HealthCheck::RecordedBy))
                    .col(enum_str(HealthCheck::RecordedByAgency))
                    .col(string(HealthCheck::IdempotencyKey))
                    .col(timestamp_with_time_zone(HealthCheck::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_health_check_person_id")
                            .from(HealthCheck::Table, HealthCheck::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_health_check_quarantine_id")
                            .from(HealthCheck::Table, HealthCheck::QuarantineId)
                            .to(Quarantine::Table, Quarantine::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // A client resubmitting after a lost response must hit the row it already wrote.
        manager
            .create_index(
                Index::create()
                    .name("uq_health_check_recorded_by_idempotency_key")
                    .table(HealthCheck::Table)
                    .col(HealthCheck::RecordedBy)
                    .col(HealthCheck::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_health_check_person_id_measured_at")
                    .table(HealthCheck::Table)
                    .col(HealthCheck::PersonId)
                    .col(HealthCheck::MeasuredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_health_check_quarantine_id_measured_at")
                    .table(HealthCheck::Table)
                    .col(HealthCheck::QuarantineId)
                    .col(HealthCheck::MeasuredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_health_check_measured_at")
                    .table(HealthCheck::Table)
                    .col(HealthCheck::MeasuredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HealthCheck::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum HealthCheck {
    Table,
    Id,
    PersonId,
    QuarantineId,
    MeasuredAt,
    TemperatureDecidegrees,
    Symptoms,
    Fever,
    RecordedBy,
    RecordedByAgency,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Quarantine {
    Table,
    Id,
}
