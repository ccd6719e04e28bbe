//! Medical observation (医学观察), centralized at a site or at home.

use sea_orm::entity::prelude::*;

use crate::{Agency, QuarantineEnd, QuarantineKind, QuarantineReason};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quarantine")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i64,
    pub kind: QuarantineKind,
    /// Name of the centralized site; none for home quarantine.
    pub site: Option<String>,
    pub reason: QuarantineReason,
    pub reason_note: Option<String>,
    /// The contact record that led to this quarantine, if any.
    pub contact_id: Option<i64>,
    pub start_date: Date,
    pub planned_end_date: Date,
    /// True until the quarantine ends; at most one active quarantine per person (a partial
    /// unique index holds it).
    pub is_active: bool,
    pub ended_at: Option<DateTimeUtc>,
    pub end_kind: Option<QuarantineEnd>,
    pub release_notice_no: Option<String>,
    pub end_note: Option<String>,
    /// Living needs noted for civil affairs (supplies, medicine, care).
    pub needs: Option<String>,
    pub ordered_by_org_id: i64,
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
