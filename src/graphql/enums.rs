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
    QuarantineDetail,
    HealthChecks,
    CheckpointEntries,
    Tasks,
    DailyReports,
    AuditEvents,
    AccessGrants,
    Statistics,
    /// Stand-downs of the response (应急响应终止), which start the retention clocks.
    StandDown,
}

/// Classification of a case (病例分类).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::CaseClassification")]
pub enum CaseClassification {
    /// Suspected case (疑似病例).
    Suspected,
    /// Confirmed case (确诊病例).
    Confirmed,
    /// Asymptomatic infection (无症状感染者).
    Asymptomatic,
    /// Excluded (排除): final, and the case closes.
    Excluded,
}

/// Clinical severity (临床分型).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::CaseSeverity")]
pub enum CaseSeverity {
    /// Mild (轻型).
    Mild,
    /// Moderate (普通型).
    Moderate,
    /// Severe (重型).
    Severe,
    /// Critical (危重型).
    Critical,
}

/// Outcome of a case (转归).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::CaseOutcome")]
pub enum CaseOutcome {
    /// Still under treatment or observation.
    Active,
    /// Recovered (治愈), final.
    Recovered,
    /// Deceased (死亡), final.
    Deceased,
}

/// How a close contact was exposed (接触方式).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::ContactRelation")]
pub enum ContactRelation {
    /// Same household (共同居住).
    Household,
    /// Workplace (同事).
    Work,
    /// Travel: same vehicle, flight or train (同乘).
    Travel,
    /// Social gathering (聚餐/聚会).
    Social,
    /// Medical care (诊疗).
    Medical,
    Other,
}

/// Follow-up state of a close contact.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::ContactStatus")]
pub enum ContactStatus {
    /// Under follow-up until the follow-up end date.
    UnderFollowUp,
    /// Became a case (转为病例).
    Converted,
    /// Follow-up ended.
    Ended,
}

/// Kind of medical observation (医学观察方式).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::QuarantineKind")]
pub enum QuarantineKind {
    /// Centralized, at a named site (集中隔离).
    Centralized,
    /// At home (居家隔离).
    Home,
}

/// Why a person is under observation.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::QuarantineReason")]
pub enum QuarantineReason {
    /// Close contact of a case (密接).
    CloseContact,
    /// Contact of a close contact (次密接).
    SecondaryContact,
    /// Arrived from a risk area (中高风险地区来返).
    RiskAreaArrival,
    /// Found with a fever at screening (发热筛查).
    FeverScreening,
    Other,
}

/// How an observation ended.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::QuarantineEnd")]
pub enum QuarantineEnd {
    /// Released with a release notice (解除医学观察).
    Released,
    /// Transferred to a designated hospital (转运至定点医院).
    TransferredToHospital,
    /// Left without permission (擅自离开/脱管).
    Absconded,
}

/// What an alert is about.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::AlertKind")]
pub enum AlertKind {
    /// A check at 37.3 °C or above, or with a listed respiratory symptom (发热预警).
    Fever,
    /// A case was reported.
    NewCase,
    /// A case changed classification.
    CaseReclassified,
    /// A close contact living in your jurisdiction was traced.
    ContactTraced,
    /// An arrival from a listed risk area passed a checkpoint, heading for your
    /// jurisdiction (中高风险地区来返).
    RiskAreaArrival,
    /// A traveller heading for your jurisdiction had a fever at a checkpoint (卡口发热).
    CheckpointFever,
    /// An observation ended before its planned date, or other than by release.
    QuarantineEndedEarly,
}

/// Kind of sample (样本类型).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::SampleType")]
pub enum SampleType {
    /// Nasopharyngeal swab (鼻咽拭子).
    NasopharyngealSwab,
    /// Oropharyngeal swab (口咽拭子).
    OropharyngealSwab,
    /// Sputum (痰液).
    Sputum,
    /// Blood (血液).
    Blood,
    Other,
}

/// Result of a laboratory test.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::LabResult")]
pub enum LabResult {
    /// Awaiting the result.
    Pending,
    /// Negative (阴性).
    Negative,
    /// Positive (阳性).
    Positive,
}

/// A symptom ticked at a check. COUGH, SORE_THROAT, SHORTNESS_OF_BREATH and
/// LOSS_OF_TASTE_OR_SMELL raise a fever alert even without a fever.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::domain::values::Symptom")]
pub enum Symptom {
    /// Cough (咳嗽).
    Cough,
    /// Sore throat (咽痛).
    SoreThroat,
    /// Shortness of breath (气促).
    ShortnessOfBreath,
    /// Loss of taste or smell (嗅觉味觉减退).
    LossOfTasteOrSmell,
    /// Runny nose (流涕).
    RunnyNose,
    /// Fatigue (乏力).
    Fatigue,
    /// Muscle ache (肌痛).
    MuscleAche,
    /// Diarrhea (腹泻).
    Diarrhea,
}

/// Work one agency asks of another (工作任务类型).
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::TaskKind")]
pub enum TaskKind {
    /// Find where a person is (查找人员): for the police.
    LocatePerson,
    /// Confirm who a person is (核实身份): for the police.
    VerifyIdentity,
    /// Bring someone back under observation, or keep them there (强制隔离): for the police.
    EnforceIsolation,
    /// Deliver living supplies to an isolated household (物资配送): for civil affairs.
    DeliverSupplies,
    /// A medical visit at home (上门诊疗): for health.
    MedicalVisit,
    /// Put a person under medical observation (落实隔离): for the community.
    PlaceUnderObservation,
    /// Take a person to a designated hospital (转运): for health.
    TransferToHospital,
}

/// Where a task stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::TaskStatus")]
pub enum TaskStatus {
    /// Sent, not yet taken up.
    Open,
    /// Taken up by the receiving agency.
    Accepted,
    /// Done (final).
    Done,
    /// Refused by the receiving agency, with a reason (final).
    Rejected,
    /// Withdrawn by the sending agency (final).
    Cancelled,
}

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::TaskPriority")]
pub enum TaskPriority {
    Low,
    Normal,
    High,
    Urgent,
}

/// Which way a traveller passed a checkpoint.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "entity::Direction")]
pub enum Direction {
    /// Entering the city or the compound (进).
    Inbound,
    /// Leaving it (出).
    Outbound,
}
