//! Which agency's channel reported a person, and when: one row per person and agency.

use sea_orm::entity::prelude::*;

use crate::Agency;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_provenance")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i64,
    pub agency: Agency,
    pub first_reported_at: DateTimeUtc,
    pub last_reported_at: DateTimeUtc,
    /// Subject (user id) of the last report.
    pub last_reported_by: String,
    pub report_count: i32,
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
