//! One community's figures for one day, computed from the records and confirmed by it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_report")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub report_date: Date,
    /// The figures as computed when confirmed (JSON object), so the confirmed numbers stay
    /// what the community saw.
    pub figures: Json,
    pub note: Option<String>,
    pub confirmed_at: DateTimeUtc,
    pub confirmed_by: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
