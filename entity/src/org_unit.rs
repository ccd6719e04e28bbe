//! A node of the jurisdiction tree: city > district > street > community > grid.

use sea_orm::entity::prelude::*;

use crate::OrgLevel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_unit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stable code used in tokens and URLs, e.g. `DEMO-01-02`.
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub level: OrgLevel,
    pub parent_id: Option<i64>,
    /// Materialized path of ids with a trailing slash, e.g. `/1/4/17/`: a unit lies inside
    /// another exactly when its path starts with the other's path.
    #[sea_orm(unique)]
    pub path: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
}

impl ActiveModelBehavior for ActiveModel {}
