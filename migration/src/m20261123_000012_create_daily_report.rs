//! A community's confirmed figures for one day, frozen as the community saw them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::prefix_scanned;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DailyReport::Table)
                    .col(big_pk_auto(DailyReport::Id))
                    .col(big_integer(DailyReport::OrgId))
                    .col(prefix_scanned(manager, DailyReport::OrgPath))
                    .col(date(DailyReport::ReportDate))
                    .col(json_binary(DailyReport::Figures))
                    .col(text_null(DailyReport::Note))
                    .col(timestamp_with_time_zone(DailyReport::ConfirmedAt))
                    .col(string(DailyReport::ConfirmedBy))
                    .col(integer(DailyReport::Version).default(1))
                    .col(timestamp_with_time_zone(DailyReport::CreatedAt))
                    .col(timestamp_with_time_zone(DailyReport::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_daily_report_org_id")
                            .from(DailyReport::Table, DailyReport::OrgId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // One report per unit and day; confirming again updates it.
        manager
            .create_index(
                Index::create()
                    .name("uq_daily_report_org_id_report_date")
                    .table(DailyReport::Table)
                    .col(DailyReport::OrgId)
                    .col(DailyReport::ReportDate)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_daily_report_org_path_report_date")
                    .table(DailyReport::Table)
                    .col(DailyReport::OrgPath)
                    .col(DailyReport::ReportDate)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DailyReport::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DailyReport {
    Table,
    Id,
    OrgId,
    OrgPath,
    ReportDate,
    Figures,
    Note,
    ConfirmedAt,
    ConfirmedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}
