//! What an import did with one row of its file.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_import_row")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub import_id: i64,
    /// The row as the spreadsheet numbers it: the header is row 1.
    pub row_number: i64,
    /// `CREATED`, `UPDATED`, `UNCHANGED`, `POSSIBLE_DUPLICATE` or `REJECTED`.
    pub outcome: String,
    pub person_id: Option<i64>,
    /// The header of the column a rejection is about.
    pub column_name: Option<String>,
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
