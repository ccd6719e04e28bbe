//! Something that needs an agency's attention: a fever, a new case, a traced contact.

use sea_orm::entity::prelude::*;

use crate::AlertKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: AlertKind,
    pub person_id: Option<i64>,
    /// Materialized path of the jurisdiction the alert belongs to (the person's residence
    /// or the checkpoint's unit): who may see it.
    pub org_path: String,
    /// The record that raised the alert, e.g. `HealthCheck` 42.
    pub entity_type: String,
    pub entity_id: i64,
    pub message: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
