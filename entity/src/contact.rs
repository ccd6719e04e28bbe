//! A traced exposure: a person who was close to a case.

use sea_orm::entity::prelude::*;

use crate::{Agency, ContactRelation, ContactStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source_case_id: i64,
    pub person_id: i64,
    pub relation: ContactRelation,
    pub last_exposure_date: Date,
    /// Derived: last exposure plus the configured follow-up period.
    pub follow_up_end_date: Date,
    pub status: ContactStatus,
    /// The case this contact became, once converted.
    pub converted_case_id: Option<i64>,
    pub traced_by_org_id: i64,
    /// Copy of the tracing unit's path: officers there keep the contact in reach.
    pub traced_by_path: String,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by_agency: Agency,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id"
    )]
    Person,
    #[sea_orm(
        belongs_to = "super::case::Entity",
        from = "Column::SourceCaseId",
        to = "super::case::Column::Id"
    )]
    SourceCase,
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
