//! Medical observation orders (centralized or at home), from start to release.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{enum_str, enum_str_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Quarantine::Table)
                    .col(big_pk_auto(Quarantine::Id))
                    .col(big_integer(Quarantine::PersonId))
                    .col(enum_str(Quarantine::Kind))
                    .col(string_null(Quarantine::Site))
                    .col(enum_str(Quarantine::Reason))
                    .col(text_null(Quarantine::ReasonNote))
                    .col(big_integer_null(Quarantine::ContactId))
                    .col(date(Quarantine::StartDate))
                    .col(date(Quarantine::PlannedEndDate))
                    .col(boolean(Quarantine::IsActive))
                    .col(timestamp_with_time_zone_null(Quarantine::EndedAt))
                    .col(enum_str_null(Quarantine::EndKind))
                    .col(string_null(Quarantine::ReleaseNoticeNo))
                    .col(text_null(Quarantine::EndNote))
                    .col(text_null(Quarantine::Needs))
                    .col(big_integer(Quarantine::OrderedByOrgId))
                    .col(integer(Quarantine::Version).default(1))
                    .col(timestamp_with_time_zone(Quarantine::CreatedAt))
                    .col(timestamp_with_time_zone(Quarantine::UpdatedAt))
                    .col(enum_str(Quarantine::CreatedByAgency))
                    .col(string(Quarantine::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quarantine_person_id")
                            .from(Quarantine::Table, Quarantine::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quarantine_contact_id")
                            .from(Quarantine::Table, Quarantine::ContactId)
                            .to(Contact::Table, Contact::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quarantine_ordered_by_org_id")
                            .from(Quarantine::Table, Quarantine::OrderedByOrgId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("idx_quarantine_person_id")
                    .table(Quarantine::Table)
                    .col(Quarantine::PersonId)
                    .to_owned(),
            )
            .await?;
        // A person is in at most one observation at a time, whichever agency orders it.
        manager
            .create_index(
                Index::create()
                    .name("uq_quarantine_person_id_where_active")
                    .table(Quarantine::Table)
                    .col(Quarantine::PersonId)
                    .unique()
                    .and_where(Expr::col(Quarantine::IsActive).eq(true))
                    .to_owned(),
            )
            .await?;
        // Lists of observations due to end.
        manager
            .create_index(
                Index::create()
                    .name("idx_quarantine_is_active_planned_end_date")
                    .table(Quarantine::Table)
                    .col(Quarantine::IsActive)
                    .col(Quarantine::PlannedEndDate)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_quarantine_contact_id")
                    .table(Quarantine::Table)
                    .col(Quarantine::ContactId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Quarantine::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Quarantine {
    Table,
    Id,
    PersonId,
    Kind,
    Site,
    Reason,
    ReasonNote,
    ContactId,
    StartDate,
    PlannedEndDate,
    IsActive,
    EndedAt,
    EndKind,
    ReleaseNoticeNo,
    EndNote,
    Needs,
    OrderedByOrgId,
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
enum Contact {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}
