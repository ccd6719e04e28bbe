//! One record created or changed, in commit order: what live events and the change feed
//! read forward.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `Alert`, `Task`, `Person`, ... as on the audit trail.
    pub entity_type: String,
    pub entity_id: i64,
    /// The mutation that made the change, or `alert` for a raised alert.
    pub operation: String,
    pub at: DateTimeUtc,
    /// The transaction that wrote the row (PostgreSQL's 64-bit id; 0 on SQLite): rows are
    /// read in `(tx, id)` order, the order of their commits.
    pub tx: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
