//! Which agency's channel reported a person and when: one row per person and agency.

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
                    .table(PersonProvenance::Table)
                    .col(big_pk_auto(PersonProvenance::Id))
                    .col(big_integer(PersonProvenance::PersonId))
                    .col(enum_str(PersonProvenance::Agency))
                    .col(timestamp_with_time_zone(PersonProvenance::FirstReportedAt))
                    .col(timestamp_with_time_zone(PersonProvenance::LastReportedAt))
                    .col(string(PersonProvenance::LastReportedBy))
                    .col(integer(PersonProvenance::ReportCount).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_provenance_person_id")
                            .from(PersonProvenance::Table, PersonProvenance::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // A repeated report by the same agency bumps its row instead of adding one.
        manager
            .create_index(
                Index::create()
                    .name("uq_person_provenance_person_id_agency")
                    .table(PersonProvenance::Table)
                    .col(PersonProvenance::PersonId)
                    .col(PersonProvenance::Agency)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_provenance_agency")
                    .table(PersonProvenance::Table)
                    .col(PersonProvenance::Agency)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersonProvenance::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PersonProvenance {
    Table,
    Id,
    PersonId,
    Agency,
    FirstReportedAt,
    LastReportedAt,
    LastReportedBy,
    ReportCount,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}
