//! Things that need an agency's attention (a fever, a new case, a traced contact), by jurisdiction.

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
                    .table(Alert::Table)
                    .col(big_pk_auto(Alert::Id))
                    .col(enum_str(Alert::Kind))
                    .col(big_integer_null(Alert::PersonId))
                    .col(prefix_scanned(manager, Alert::OrgPath))
                    .col(string(Alert::EntityType))
                    .col(big_integer(Alert::EntityId))
                    .col(text(Alert::Message))
                    .col(timestamp_with_time_zone(Alert::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_person_id")
                            .from(Alert::Table, Alert::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // An agency's feed: a path prefix range, paged by id.
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_org_path_id")
                    .table(Alert::Table)
                    .col(Alert::OrgPath)
                    .col(Alert::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_kind_created_at")
                    .table(Alert::Table)
                    .col(Alert::Kind)
                    .col(Alert::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_person_id")
                    .table(Alert::Table)
                    .col(Alert::PersonId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alert::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Alert {
    Table,
    Id,
    Kind,
    PersonId,
    OrgPath,
    EntityType,
    EntityId,
    Message,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}
