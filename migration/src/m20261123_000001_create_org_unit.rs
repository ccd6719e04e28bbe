//! The jurisdiction tree (city > district > street > community > grid) with materialized paths.

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
                    .table(OrgUnit::Table)
                    .col(big_pk_auto(OrgUnit::Id))
                    .col(string(OrgUnit::Code))
                    .col(string(OrgUnit::Name))
                    .col(enum_str(OrgUnit::Level))
                    .col(big_integer_null(OrgUnit::ParentId))
                    .col(prefix_scanned(manager, OrgUnit::Path))
                    .col(timestamp_with_time_zone(OrgUnit::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_unit_parent_id")
                            .from(OrgUnit::Table, OrgUnit::ParentId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("uq_org_unit_code")
                    .table(OrgUnit::Table)
                    .col(OrgUnit::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Also serves every "inside this unit" look-up as a prefix range on the path.
        manager
            .create_index(
                Index::create()
                    .name("uq_org_unit_path")
                    .table(OrgUnit::Table)
                    .col(OrgUnit::Path)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_org_unit_parent_id")
                    .table(OrgUnit::Table)
                    .col(OrgUnit::ParentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrgUnit::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
    Code,
    Name,
    Level,
    ParentId,
    Path,
    CreatedAt,
}
