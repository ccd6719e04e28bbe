//! One temperature and symptom check (体温监测), usually twice a day under quarantine.

use sea_orm::entity::prelude::*;

use crate::Agency;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "health_check")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i64,
    pub quarantine_id: Option<i64>,
    pub measured_at: DateTimeUtc,
    /// Temperature in tenths of a degree Celsius (368 = 36.8 °C), so it is exact.
    pub temperature_decidegrees: i32,
    /// Bit set of reported symptoms, 0 when none.
    pub symptoms: i32,
    /// Raised when the temperature is 37.3 °C or above or a listed symptom is present.
    pub fever: bool,
    pub recorded_by: String,
    pub recorded_by_agency: Agency,
    /// Client-generated key; unique per recording subject, so a resubmission is a replay.
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
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
