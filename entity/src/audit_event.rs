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
    /// The record read or written, when the event concerns exactly one.
    pub entity_id: Option<i64>,
    /// The records, as a JSON array of ids, when the event concerns several: the records of
    /// one kind that one request read, or that one write wrote. Either this or
    /// `entity_id` or neither, never both; "who saw this person" looks in both.
    pub entity_ids: Option<Json>,
    pub reason: Option<String>,
    pub grant_id: Option<i64>,
    /// Correlates the events of one HTTP request.
    pub request_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
