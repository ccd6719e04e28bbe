//! One record per human, shared by every agency, scoped by a copy of the residence grid's path.

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
                    .table(Person::Table)
                    .col(big_pk_auto(Person::Id))
                    .col(enum_str_null(Person::DocumentType))
                    .col(string_null(Person::DocumentNumber))
                    // Byte order, so that a name prefix search is an index range scan.
                    .col(prefix_scanned(manager, Person::Name))
                    .col(enum_str(Person::Sex))
                    .col(date_null(Person::BirthDate))
                    .col(string_null(Person::Phone))
                    .col(text_null(Person::Address))
                    .col(big_integer(Person::ResidenceOrgId))
                    .col(prefix_scanned(manager, Person::ResidencePath))
                    .col(integer(Person::Vulnerabilities).default(0))
                    .col(text_null(Person::VulnerabilityNote))
                    .col(big_integer_null(Person::MergedIntoId))
                    .col(integer(Person::Version).default(1))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .col(timestamp_with_time_zone(Person::UpdatedAt))
                    .col(enum_str(Person::CreatedByAgency))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_residence_org_id")
                            .from(Person::Table, Person::ResidenceOrgId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_merged_into_id")
                            .from(Person::Table, Person::MergedIntoId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // Persons without a document (both columns NULL) do not collide: NULLs are distinct.
        manager
            .create_index(
                Index::create()
                    .name("uq_person_document_type_document_number")
                    .table(Person::Table)
                    .col(Person::DocumentType)
                    .col(Person::DocumentNumber)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Jurisdiction scope is a path prefix range; the id makes keyset pagination inside it
        // an index walk.
        manager
            .create_index(
                Index::create()
                    .name("idx_person_residence_path_id")
                    .table(Person::Table)
                    .col(Person::ResidencePath)
                    .col(Person::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_name")
                    .table(Person::Table)
                    .col(Person::Name)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_phone")
                    .table(Person::Table)
                    .col(Person::Phone)
                    .to_owned(),
            )
            .await?;
        // Duplicate detection for people registered without a document.
        manager
            .create_index(
                Index::create()
                    .name("idx_person_name_birth_date")
                    .table(Person::Table)
                    .col(Person::Name)
                    .col(Person::BirthDate)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_merged_into_id")
                    .table(Person::Table)
                    .col(Person::MergedIntoId)
                    .to_owned(),
            )
            .await?;
        // Civil affairs lists the vulnerable few of a jurisdiction; the rest need no entry.
        manager
            .create_index(
                Index::create()
                    .name("idx_person_residence_path_where_vulnerable")
                    .table(Person::Table)
                    .col(Person::ResidencePath)
                    .and_where(Expr::col(Person::Vulnerabilities).ne(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Person::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    DocumentType,
    DocumentNumber,
    Name,
    Sex,
    BirthDate,
    Phone,
    Address,
    ResidenceOrgId,
    ResidencePath,
    Vulnerabilities,
    VulnerabilityNote,
    MergedIntoId,
    Version,
    CreatedAt,
    UpdatedAt,
    CreatedByAgency,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}
