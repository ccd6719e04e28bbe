//! Infection records (suspected, confirmed, asymptomatic, excluded) and their outcome.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{enum_str, enum_str_null, prefix_scanned};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseRecord::Table)
                    .col(big_pk_auto(CaseRecord::Id))
                    .col(big_integer(CaseRecord::PersonId))
                    .col(enum_str(CaseRecord::Classification))
                    .col(enum_str_null(CaseRecord::Severity))
                    .col(date_null(CaseRecord::OnsetDate))
                    .col(timestamp_with_time_zone(CaseRecord::ReportedAt))
                    .col(big_integer(CaseRecord::ReportingOrgId))
                    .col(prefix_scanned(manager, CaseRecord::ReportingPath))
                    .col(string_null(CaseRecord::DesignatedHospital))
                    .col(enum_str(CaseRecord::Outcome))
                    .col(boolean(CaseRecord::IsOpen))
                    .col(timestamp_with_time_zone_null(CaseRecord::ClosedAt))
                    .col(text_null(CaseRecord::Notes))
                    .col(integer(CaseRecord::Version).default(1))
                    .col(timestamp_with_time_zone(CaseRecord::CreatedAt))
                    .col(timestamp_with_time_zone(CaseRecord::UpdatedAt))
                    .col(enum_str(CaseRecord::CreatedByAgency))
                    .col(string(CaseRecord::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_record_person_id")
                            .from(CaseRecord::Table, CaseRecord::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_record_reporting_org_id")
                            .from(CaseRecord::Table, CaseRecord::ReportingOrgId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("idx_case_record_person_id")
                    .table(CaseRecord::Table)
                    .col(CaseRecord::PersonId)
                    .to_owned(),
            )
            .await?;
        // At most one open case per person, even when two agencies report at the same moment;
        // closed and excluded cases are history and may pile up.
        manager
            .create_index(
                Index::create()
                    .name("uq_case_record_person_id_where_open")
                    .table(CaseRecord::Table)
                    .col(CaseRecord::PersonId)
                    .unique()
                    .and_where(Expr::col(CaseRecord::IsOpen).eq(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_case_record_reported_at")
                    .table(CaseRecord::Table)
                    .col(CaseRecord::ReportedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_case_record_classification_outcome")
                    .table(CaseRecord::Table)
                    .col(CaseRecord::Classification)
                    .col(CaseRecord::Outcome)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_case_record_reporting_org_id")
                    .table(CaseRecord::Table)
                    .col(CaseRecord::ReportingOrgId)
                    .to_owned(),
            )
            .await?;
        // A case reported by a unit inside one's jurisdiction is in reach even when the
        // person lives elsewhere (then pseudonymized): a range on this path.
        manager
            .create_index(
                Index::create()
                    .name("idx_case_record_reporting_path_id")
                    .table(CaseRecord::Table)
                    .col(CaseRecord::ReportingPath)
                    .col(CaseRecord::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseRecord::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CaseRecord {
    Table,
    Id,
    PersonId,
    Classification,
    Severity,
    OnsetDate,
    ReportedAt,
    ReportingOrgId,
    ReportingPath,
    DesignatedHospital,
    Outcome,
    IsOpen,
    ClosedAt,
    Notes,
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

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}
