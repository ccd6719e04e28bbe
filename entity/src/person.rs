//! One record per human, shared by every agency.

use sea_orm::entity::prelude::*;

use crate::{Agency, DocumentType, Sex};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub document_type: Option<DocumentType>,
    /// Normalized document number (upper case, no spaces); unique per document type.
    pub document_number: Option<String>,
    pub name: String,
    pub sex: Sex,
    pub birth_date: Option<Date>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// The grid the person lives in.
    pub residence_org_id: i64,
    /// Copy of the residence grid's materialized path, so that jurisdiction scope is one
    /// indexed range scan on this table.
    pub residence_path: String,
    /// Bit set of vulnerability flags (civil affairs), 0 when none.
    pub vulnerabilities: i32,
    pub vulnerability_note: Option<String>,
    /// Set when this record was merged into another; merged records are never listed.
    pub merged_into_id: Option<i64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by_agency: Agency,
    /// A registration held for verification: the verified person whose document number
    /// this record carries, registered by an agency that sees numbers masked while that
    /// person lives outside its jurisdiction. Unique numbers hold among records where this
    /// is empty; an agency that sees numbers in full confirms or clears the claim.
    pub held_for_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::org_unit::Entity",
        from = "Column::ResidenceOrgId",
        to = "super::org_unit::Column::Id"
    )]
    Residence,
    #[sea_orm(has_many = "super::person_provenance::Entity")]
    Provenance,
}

impl Related<super::org_unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Residence.def()
    }
}

impl Related<super::person_provenance::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Provenance.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
