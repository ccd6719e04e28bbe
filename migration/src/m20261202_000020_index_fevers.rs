//! Fevers by time: the statistics count a unit's fevers day by day, and fevers are under one
//! check in a hundred, so a partial index holds them alone and spares a scan of every
//! check of the period.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_health_check_measured_at_where_fever";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(HealthCheck::Table)
                    .col(HealthCheck::MeasuredAt)
                    .and_where(Expr::col(HealthCheck::Fever).eq(true))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(HealthCheck::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum HealthCheck {
    Table,
    MeasuredAt,
    Fever,
}
