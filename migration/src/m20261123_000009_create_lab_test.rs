//! Laboratory tests of samples taken from a person, pending until the result comes back.

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
                    .table(LabTest::Table)
                    .col(big_pk_auto(LabTest::Id))
                    .col(big_integer(LabTest::PersonId))
                    .col(date(LabTest::SampleDate))
                    .col(enum_str(LabTest::SampleType))
                    .col(enum_str(LabTest::Result))
                    .col(timestamp_with_time_zone_null(LabTest::ResultAt))
                    .col(string(LabTest::Laboratory))
                    .col(integer(LabTest::Version).default(1))
                    .col(timestamp_with_time_zone(LabTest::CreatedAt))
                    .col(timestamp_with_time_zone(LabTest::UpdatedAt))
                    .col(enum_str(LabTest::CreatedByAgency))
                    .col(string(LabTest::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_lab_test_person_id")
                            .from(LabTest::Table, LabTest::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("idx_lab_test_person_id_sample_date")
                    .table(LabTest::Table)
                    .col(LabTest::PersonId)
                    .col(LabTest::SampleDate)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LabTest::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LabTest {
    Table,
    Id,
    PersonId,
    SampleDate,
    SampleType,
    Result,
    ResultAt,
    Laboratory,
    Version,
    CreatedAt,
    UpdatedAt,
    CreatedByAgency,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}
