//! The command agency's declaration that the response is over for a unit and everything below
//! it (应急响应终止): the retention clock of that jurisdiction's emergency-only data runs from it.

use sea_orm::entity::prelude::*;

use crate::Agency;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stand_down")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    /// Copy of the unit's materialized path: the subtree the declaration covers.
    pub org_path: String,
    pub declared_at: DateTimeUtc,
    /// The subject of the command operator who declared it.
    pub declared_by: String,
    pub declared_by_agency: Agency,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
