//! A person or vehicle passing a checkpoint (highway exit, station, compound gate).

use sea_orm::entity::prelude::*;

use crate::{Agency, Direction, DocumentType};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "checkpoint_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub checkpoint_name: String,
    pub org_id: i64,
    /// Copy of the checkpoint unit's path, for scope.
    pub org_path: String,
    pub direction: Direction,
    pub passed_at: DateTimeUtc,
    /// The registered person, when identified.
    pub person_id: Option<i64>,
    /// Details of a traveller not (yet) registered as a person.
    pub traveller_name: Option<String>,
    pub traveller_document_type: Option<DocumentType>,
    pub traveller_document: Option<String>,
    pub traveller_phone: Option<String>,
    pub vehicle_plate: Option<String>,
    pub from_place: Option<String>,
    /// The unit the traveller is heading to, as given at the checkpoint.
    pub destination_org_id: Option<i64>,
    /// Where the traveller was heading as recorded: the residence of a person named by id,
    /// else the destination given, else the checkpoint's unit. Scope and alerts follow it
    /// (and the home of a person linked by document, through `person_id`).
    pub destination_path: Option<String>,
    pub from_risk_area: bool,
    pub temperature_decidegrees: Option<i32>,
    pub recorded_by: String,
    pub recorded_by_agency: Agency,
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
    /// The traveller's document is registered to a person of another name: for an agency
    /// that sees numbers in full to resolve (the recorder is not told).
    pub identity_conflict: bool,
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
