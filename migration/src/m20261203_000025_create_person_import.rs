//! Imports of line lists (台账导入): one row per uploaded file, and one report row per row of
//! the file, so that a caller can follow a long import and page through what happened to
//! each of its rows.

use sea_orm_migration::{prelude::*, schema::*};

use crate::enum_str;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersonImport::Table)
                    .col(big_pk_auto(PersonImport::Id))
                    .col(string(PersonImport::Subject))
                    .col(enum_str(PersonImport::Agency))
                    .col(enum_str(PersonImport::Role))
                    .col(string(PersonImport::ActorPath))
                    .col(string(PersonImport::RequestId))
                    .col(string_null(PersonImport::FileName))
                    .col(enum_str(PersonImport::Format))
                    .col(string(PersonImport::FileSha256))
                    .col(boolean(PersonImport::DryRun))
                    .col(enum_str(PersonImport::Status))
                    .col(json(PersonImport::Columns))
                    .col(big_integer(PersonImport::TotalRows))
                    .col(big_integer(PersonImport::ProcessedRows))
                    .col(big_integer(PersonImport::Created))
                    .col(big_integer(PersonImport::Updated))
                    .col(big_integer(PersonImport::Unchanged))
                    .col(big_integer(PersonImport::PossibleDuplicates))
                    .col(big_integer(PersonImport::Rejected))
                    .col(text_null(PersonImport::Error))
                    .col(timestamp_with_time_zone(PersonImport::StartedAt))
                    .col(timestamp_with_time_zone_null(PersonImport::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_import_subject_id")
                    .table(PersonImport::Table)
                    .col(PersonImport::Subject)
                    .col(PersonImport::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PersonImportRow::Table)
                    .col(big_pk_auto(PersonImportRow::Id))
                    .col(big_integer(PersonImportRow::ImportId))
                    .col(big_integer(PersonImportRow::RowNumber))
                    .col(enum_str(PersonImportRow::Outcome))
                    .col(big_integer_null(PersonImportRow::PersonId))
                    .col(string_null(PersonImportRow::ColumnName))
                    .col(text_null(PersonImportRow::Reason))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_import_row_import_id")
                            .from(PersonImportRow::Table, PersonImportRow::ImportId)
                            .to(PersonImport::Table, PersonImport::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The report is paged by row number within one import.
        manager
            .create_index(
                Index::create()
                    .name("uq_person_import_row_import_id_row_number")
                    .table(PersonImportRow::Table)
                    .col(PersonImportRow::ImportId)
                    .col(PersonImportRow::RowNumber)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersonImportRow::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PersonImport::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PersonImport {
    Table,
    Id,
    Subject,
    Agency,
    Role,
    ActorPath,
    RequestId,
    FileName,
    Format,
    FileSha256,
    DryRun,
    Status,
    Columns,
    TotalRows,
    ProcessedRows,
    Created,
    Updated,
    Unchanged,
    PossibleDuplicates,
    Rejected,
    Error,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum PersonImportRow {
    Table,
    Id,
    ImportId,
    RowNumber,
    Outcome,
    PersonId,
    ColumnName,
    Reason,
}
