//! One uploaded line list (台账) and how far its import has come.

use sea_orm::entity::prelude::*;

use crate::{Agency, Role};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_import")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who uploaded the file; only they may follow it and read its report.
    pub subject: String,
    pub agency: Agency,
    pub role: Role,
    pub actor_path: String,
    pub request_id: String,
    pub file_name: Option<String>,
    /// `CSV` or `XLSX`.
    pub format: String,
    pub file_sha256: String,
    pub dry_run: bool,
    /// `RUNNING`, `DONE` or `FAILED`.
    pub status: String,
    /// How each column of the file was read: `[{"column": header, "field": field}]`.
    pub columns: Json,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub possible_duplicates: i64,
    pub rejected: i64,
    pub error: Option<String>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// When the import last kept a chunk of rows; an old one on a RUNNING import means the
    /// server running it stopped.
    pub heartbeat_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
