//! Traced exposures: a person who was close to a case, and their follow-up period.

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
                    .table(Contact::Table)
                    .col(big_pk_auto(Contact::Id))
                    .col(big_integer(Contact::SourceCaseId))
                    .col(big_integer(Contact::PersonId))
                    .col(enum_str(Contact::Relation))
                    .col(date(Contact::LastExposureDate))
                    .col(date(Contact::FollowUpEndDate))
                    .col(enum_str(Contact::Status))
                    .col(big_integer_null(Contact::ConvertedCaseId))
                    .col(big_integer(Contact::TracedByOrgId))
                    .col(prefix_scanned(manager, Contact::TracedByPath))
                    .col(text_null(Contact::Notes))
                    .col(integer(Contact::Version).default(1))
                    .col(timestamp_with_time_zone(Contact::CreatedAt))
                    .col(timestamp_with_time_zone(Contact::UpdatedAt))
                    .col(enum_str(Contact::CreatedByAgency))
                    .col(string(Contact::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contact_source_case_id")
                            .from(Contact::Table, Contact::SourceCaseId)
                            .to(CaseRecord::Table, CaseRecord::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contact_person_id")
                            .from(Contact::Table, Contact::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contact_converted_case_id")
                            .from(Contact::Table, Contact::ConvertedCaseId)
                            .to(CaseRecord::Table, CaseRecord::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contact_traced_by_org_id")
                            .from(Contact::Table, Contact::TracedByOrgId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // Tracing the same person from the same case twice is a replay, not a new exposure.
        manager
            .create_index(
                Index::create()
                    .name("uq_contact_source_case_id_person_id")
                    .table(Contact::Table)
                    .col(Contact::SourceCaseId)
                    .col(Contact::PersonId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_person_id")
                    .table(Contact::Table)
                    .col(Contact::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_converted_case_id")
                    .table(Contact::Table)
                    .col(Contact::ConvertedCaseId)
                    .to_owned(),
            )
            .await?;
        // The daily sweep ends follow-ups whose period has run out.
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_follow_up_end_date")
                    .table(Contact::Table)
                    .col(Contact::FollowUpEndDate)
                    .to_owned(),
            )
            .await?;
        // Contacts recorded by a unit inside one's jurisdiction stay in its reach.
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_traced_by_path_id")
                    .table(Contact::Table)
                    .col(Contact::TracedByPath)
                    .col(Contact::Id)
                    .to_owned(),
            )
            .await?;
        // A case's contacts in id order: the nested list reads the first N per case.
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_source_case_id_id")
                    .table(Contact::Table)
                    .col(Contact::SourceCaseId)
                    .col(Contact::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Contact::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Contact {
    Table,
    Id,
    SourceCaseId,
    PersonId,
    Relation,
    LastExposureDate,
    FollowUpEndDate,
    Status,
    ConvertedCaseId,
    TracedByOrgId,
    TracedByPath,
    Notes,
    Version,
    CreatedAt,
    UpdatedAt,
    CreatedByAgency,
    CreatedBy,
}

#[derive(DeriveIden)]
enum CaseRecord {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}
