//! Stand-downs (应急响应终止): the command agency declares the response over for its
//! jurisdiction, and from then on the retention clock of that jurisdiction's emergency-only
//! data runs (`src/retention`). One row per unit; a unit is stood down when it or a unit above
//! it has a row.

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
                    .table(StandDown::Table)
                    .col(big_pk_auto(StandDown::Id))
                    .col(big_integer(StandDown::OrgId))
                    .col(prefix_scanned(manager, StandDown::OrgPath))
                    .col(timestamp_with_time_zone(StandDown::DeclaredAt))
                    .col(string(StandDown::DeclaredBy))
                    .col(enum_str(StandDown::DeclaredByAgency))
                    .col(string_null(StandDown::Note))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stand_down_org_id")
                            .from(StandDown::Table, StandDown::OrgId)
                            .to(OrgUnit::Table, OrgUnit::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Declaring twice is answered with the first declaration; the purge and `purgeAt`
        // read the table by path.
        manager
            .create_index(
                Index::create()
                    .name("uq_stand_down_org_path")
                    .table(StandDown::Table)
                    .col(StandDown::OrgPath)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StandDown::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StandDown {
    Table,
    Id,
    OrgId,
    OrgPath,
    DeclaredAt,
    DeclaredBy,
    DeclaredByAgency,
    Note,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}
