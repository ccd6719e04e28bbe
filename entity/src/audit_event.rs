//! Append-only trail of every read of personal data and every write (审计日志).

use sea_orm::entity::prelude::*;

use crate::{Agency, Role};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub subject: String,
    pub agency: Agency,
    pub role: Role,
    /// Jurisdiction path of the acting user; auditors see events under their own path.
    pub actor_path: String,
    /// The GraphQL operation, e.g. `query persons` or `mutation registerPerson`.
    pub operation: String,
    pub entity_type: String,
    /// The record read or written; one event per record, so "who saw this person" is one
    /// indexed look-up. Operations that touch no single record leave it empty.
    pub entity_id: Option<i64>,
    pub reason: Option<String>,
    pub grant_id: Option<i64>,
    /// Correlates the events of one HTTP request.
    pub request_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
