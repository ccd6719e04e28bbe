//! Alerts by the record that raised them: the retention purge deletes, with each batch of
//! health checks, passages or lab tests it deletes, the alerts those records raised, and
//! finds them by this index rather than by reading every alert of the city each batch.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_alert_entity_type_entity_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Alert::Table)
                    .col(Alert::EntityType)
                    .col(Alert::EntityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Alert::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Alert {
    Table,
    EntityType,
    EntityId,
}
