//! Work one agency hands to another about a person, from open to done.

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
                    .table(Task::Table)
                    .col(big_pk_auto(Task::Id))
                    .col(enum_str(Task::Kind))
                    .col(big_integer(Task::PersonId))
                    .col(enum_str(Task::FromAgency))
                    .col(big_integer(Task::FromOrgId))
                    .col(prefix_scanned(manager, Task::FromPath))
                    .col(string(Task::FromSubject))
                    .col(enum_str(Task::ToAgency))
                    .col(big_integer(Task::ToOrgId))
                    .col(prefix_scanned(manager, Task::ToPath))
                    .col(enum_str(Task::Priority))
                    .col(enum_str(Task::Status))
                    .col(timestamp_with_time_zone_null(Task::DueAt))
                    .col(text_null(Task::Note))
                    .col(text_null(Task::OutcomeNote))
                    .col(string_null(Task::SourceEntityType))
                    .col(big_integer_null(Task::SourceEntityId))
                    .col(timestamp_with_time_zone_null(Task::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Task::ClosedAt))
                    .col(integer(Task::Version).default(1))
                    .col(timestamp_with_time_zone(Task::CreatedAt))
                    .col(timestamp_with_time_zone(Task::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_person_id")
                            .from(Task::Table, Task::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_from_org_id")
                            .from(Task::Table, Task::FromOrgId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_task_to_org_id")
                            .from(Task::Table, Task::ToOrgId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // Inbox: tasks for my agency under my jurisdiction, by status. The agency goes first
        // because it is an equality; the path is a range.
        manager
            .create_index(
                Index::create()
                    .name("idx_task_to_agency_to_path_status")
                    .table(Task::Table)
                    .col(Task::ToAgency)
                    .col(Task::ToPath)
                    .col(Task::Status)
                    .to_owned(),
            )
            .await?;
        // Outbox: tasks my agency sent from under my jurisdiction.
        manager
            .create_index(
                Index::create()
                    .name("idx_task_from_agency_from_path_status")
                    .table(Task::Table)
                    .col(Task::FromAgency)
                    .col(Task::FromPath)
                    .col(Task::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_task_person_id")
                    .table(Task::Table)
                    .col(Task::PersonId)
                    .to_owned(),
            )
            .await?;
        // Overdue sweeps.
        manager
            .create_index(
                Index::create()
                    .name("idx_task_status_due_at")
                    .table(Task::Table)
                    .col(Task::Status)
                    .col(Task::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Task::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Task {
    Table,
    Id,
    Kind,
    PersonId,
    FromAgency,
    FromOrgId,
    FromPath,
    FromSubject,
    ToAgency,
    ToOrgId,
    ToPath,
    Priority,
    Status,
    DueAt,
    Note,
    OutcomeNote,
    SourceEntityType,
    SourceEntityId,
    AcceptedAt,
    ClosedAt,
    Version,
    CreatedAt,
    UpdatedAt,
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
