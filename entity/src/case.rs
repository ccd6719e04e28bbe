//! A person's infection record.

use sea_orm::entity::prelude::*;

use crate::{Agency, CaseClassification, CaseOutcome, CaseSeverity};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_record")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i64,
    pub classification: CaseClassification,
    pub severity: Option<CaseSeverity>,
    pub onset_date: Option<Date>,
    pub reported_at: DateTimeUtc,
    pub reporting_org_id: i64,
    /// Copy of the reporting unit's path: officers there keep the case in reach.
    pub reporting_path: String,
    pub designated_hospital: Option<String>,
    pub outcome: CaseOutcome,
    /// True while the case is neither excluded nor closed; at most one open case per person
    /// (a partial unique index holds it).
    pub is_open: bool,
    pub closed_at: Option<DateTimeUtc>,
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
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
