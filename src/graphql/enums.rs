//! GraphQL enums mirroring the stored ones (the entity crate stays free of GraphQL).

use async_graphql::Enum;

/// An agency sharing the system.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::Agency")]
pub enum Agency {
    /// Health commission, CDC, clinics, designated hospitals (卫健).
    Health,
    /// Public security: stations, highway checkpoints (公安).
    Police,
    /// Civil affairs (民政): vulnerable residents, living supplies.
    CivilAffairs,
    /// Community and village committees, grid workers (社区/村委会).
    Community,
    /// Command headquarters (指挥部): cross-agency overview.
    Command,
}

/// A user's role inside their agency.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::Role")]
pub enum Role {
    /// Works with records in the field.
    Operator,
    /// Sees aggregates and pseudonymized rows only.
    Analyst,
    /// Reads the audit trail of their jurisdiction.
    Auditor,
    /// Administers the agency's use of the system; no personal data.
    Admin,
}

/// Level of an org unit in the jurisdiction tree.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::OrgLevel")]
pub enum OrgLevel {
    /// City (市).
    City,
    /// District or county (区/县).
    District,
    /// Street office or township (街道/乡镇).
    Street,
    /// Community or village (社区/村).
    Community,
    /// Grid (网格), the smallest unit a grid worker covers.
    Grid,
}

/// Kind of identity document.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::DocumentType")]
pub enum DocumentType {
    /// Mainland resident identity card (居民身份证); the number is checked per GB 11643.
    ResidentId,
    /// Passport (护照).
    Passport,
    /// Mainland travel permit for Hong Kong and Macao residents (港澳居民来往内地通行证).
    HkMacaoPermit,
    /// Mainland travel permit for Taiwan residents (台湾居民来往大陆通行证).
    TaiwanPermit,
    /// Foreigner's permanent residence ID card (外国人永久居留身份证).
    ForeignerPermanentResidence,
    /// Any other document.
    Other,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::Sex")]
pub enum Sex {
    Male,
    Female,
    Unknown,
}

/// Why a resident needs looking after (civil affairs).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::domain::vulnerability::Vulnerability")]
pub enum Vulnerability {
    /// Elderly person living alone (独居老人).
    ElderlyLivingAlone,
    /// Person with a disability (残疾人).
    Disabled,
    /// Low-income household (低保/低收入).
    LowIncome,
    /// Chronic illness needing regular medicine (慢性病).
    ChronicIllness,
    /// Pregnant (孕产妇).
    Pregnant,
    /// Other; see the note.
    Other,
}

/// How much of a kind of data a principal gets.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::access::Access")]
pub enum AccessLevel {
    /// Not at all.
    None,
    /// Counts only.
    Aggregates,
    /// Rows without identity.
    Pseudonymized,
    /// Partly shown (document numbers: first 6 and last 4).
    Masked,
    /// In full.
    Read,
    /// In full, and may create and change.
    ReadWrite,
}

/// A kind of data in the access matrix.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::access::Data")]
pub enum DataKind {
    PersonIdentity,
    DocumentNumber,
    Vulnerability,
    CaseStatus,
    CaseClinical,
    Contacts,
    Quarantine,
    QuarantineNeeds,
    HealthChecks,
    CheckpointEntries,
    Tasks,
    DailyReports,
    AuditEvents,
    AccessGrants,
}
