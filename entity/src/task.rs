//! Work one agency hands to another about a person.

use sea_orm::entity::prelude::*;

use crate::{Agency, TaskKind, TaskPriority, TaskStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: TaskKind,
    pub person_id: i64,
    pub from_agency: Agency,
    pub from_org_id: i64,
    pub from_path: String,
    pub from_subject: String,
    pub to_agency: Agency,
    pub to_org_id: i64,
    /// Path of the receiving jurisdiction: officers of `to_agency` under it receive the task.
    pub to_path: String,
    pub priority: TaskPriority,
    pub status: TaskStatus,
    pub due_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub outcome_note: Option<String>,
    /// The record whose change opened this task automatically, e.g. `Quarantine` 7.
    pub source_entity_type: Option<String>,
    pub source_entity_id: Option<i64>,
    pub accepted_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
