//! One pruning of the change log: the position of the last row it removed. A feed cursor
//! before the newest such position is too old to follow.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log_pruned")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `change_log.tx` of the last row removed.
    pub tx: i64,
    /// `change_log.id` of the last row removed.
    pub log_id: i64,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
