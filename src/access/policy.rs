//! The access policy (访问控制策略): the one place that says who sees what.
//!
//! It is data, in three layers, transcribed from the matrix in DESIGN.md:
//!
//! 1. **What exists for you** — [`SCHEMA`]: for each GraphQL field, argument or input field
//!    that needs more than being signed in, the kind of data it shows and the least access
//!    it needs. A field a principal may not see is absent from its introspection and
//!    rejected like an unknown field.
//! 2. **Where** — rows are limited to the principal's jurisdiction (its org unit and
//!    everything below), narrowed further per agency by [`person_rows`].
//! 3. **How much** — [`access`] gives the level (full, masked, pseudonymized, aggregates
//!    only); `access::person_view` applies it to each row.
//!
//! Tests walk these tables as a matrix; change them here and nowhere else.

use std::{collections::HashMap, sync::LazyLock};

use entity::{Agency, AlertKind, OrgLevel, Role, TaskKind};

/// Kinds of data the matrix speaks of (its rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Data {
    /// A person's name, sex, birth date, phone, address, and which agencies reported them.
    PersonIdentity,
    /// Identity document type and number.
    DocumentNumber,
    /// Vulnerability flags: elderly living alone, disabled, low income, ... (civil affairs).
    Vulnerability,
    /// A case's classification and outcome.
    CaseStatus,
    /// A case's clinical detail (severity, onset, hospital, notes) and lab tests.
    CaseClinical,
    /// Traced close contacts.
    Contacts,
    /// Medical observation: kind, site, dates, status, release.
    Quarantine,
    /// Living needs of a person under observation (supplies, medicine, care).
    QuarantineNeeds,
    /// Why a person is under observation, the contact it follows, and notes on its end.
    QuarantineDetail,
    /// Temperature and symptom checks.
    HealthChecks,
    /// People and vehicles passing checkpoints.
    CheckpointEntries,
    /// Tasks between agencies (rows: only those sent or received by one's agency).
    Tasks,
    /// Communities' daily reports.
    DailyReports,
    /// The audit trail.
    AuditEvents,
    /// "Break the glass" grants.
    AccessGrants,
    /// Counts and daily series over a unit (no personal data): the analysts' and the
    /// command's picture.
    Statistics,
    /// The stand-down of the response in a jurisdiction (应急响应终止), from which the
    /// retention clock of its emergency-only data runs (`src/retention`).
    StandDown,
}

/// How much of a kind of data a principal gets, from nothing to read/write. Ordered: a
/// requirement is met by any level at or above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Does not exist for the principal.
    None,
    /// Counts only (statistics), never rows.
    Aggregates,
    /// Rows without identity: masked name, no document number, no phone, no address.
    Pseudonymized,
    /// Shown in part: a resident ID number as its region (first 6) and last 2 characters.
    Masked,
    /// Shown in full.
    Read,
    /// Shown in full and may be created and changed.
    ReadWrite,
}

use Access::{
    Aggregates as Agg, Masked, None as No, Pseudonymized as Pseudo, Read, ReadWrite as RW,
};

/// Column order of [`OPERATORS`].
pub const AGENCIES: [Agency; 5] = [
    Agency::Health,
    Agency::Police,
    Agency::CivilAffairs,
    Agency::Community,
    Agency::Command,
];

/// What each agency's OPERATORs get, within their jurisdiction (DESIGN.md's matrix).
#[rustfmt::skip]
pub const OPERATORS: &[(Data, [Access; 5])] = &[
    //                            HEALTH  POLICE  CIVIL   COMMUNITY COMMAND
    (Data::PersonIdentity,       [RW,     RW,     Read,   RW,       Pseudo]),
    (Data::DocumentNumber,       [Read,   Read,   Masked, Masked,   No    ]),
    (Data::Vulnerability,        [Read,   No,     RW,     RW,       Agg   ]),
    (Data::CaseStatus,           [RW,     Read,   Read,   Read,     Agg   ]),
    (Data::CaseClinical,         [RW,     No,     No,     No,       Agg   ]),
    (Data::Contacts,             [RW,     RW,     No,     RW,       Agg   ]),
    (Data::Quarantine,           [RW,     Read,   Read,   RW,       Agg   ]),
    (Data::QuarantineNeeds,      [RW,     No,     Read,   RW,       Agg   ]),
    (Data::QuarantineDetail,     [RW,     No,     No,     RW,       Agg   ]),
    (Data::HealthChecks,         [RW,     No,     No,     RW,       Agg   ]),
    (Data::CheckpointEntries,    [Read,   RW,     No,     RW,       Agg   ]),
    (Data::Tasks,                [RW,     RW,     RW,     RW,       Read  ]),
    (Data::DailyReports,         [Read,   Read,   Read,   RW,       Read  ]),
    (Data::AuditEvents,          [No,     No,     No,     No,       No    ]),
    (Data::AccessGrants,         [RW,     RW,     No,     No,       No    ]),
    (Data::Statistics,           [No,     No,     No,     No,       Read  ]),
    (Data::StandDown,            [Read,   Read,   Read,   Read,     RW    ]),
];

/// The level a principal of this agency and role gets for a kind of data.
///
/// OPERATORs get their agency's column. AUDITORs read the audit trail and the grants. Every
/// other role (ANALYST, AUDITOR outside the audit data, ADMIN) gets at most pseudonymized
/// persons and aggregates of everything else: never a name, number, phone or address, and
/// no rows of records. A pseudonymized row of a case, an observation or a check still
/// carries its grid and its day, and counting such rows gives back every small count the
/// disclosure control hides (`access::disclosure`), so records reach these roles as
/// figures only.
pub fn access(agency: Agency, role: Role, data: Data) -> Access {
    let operator = operator_access(agency, data);
    match (role, data) {
        (Role::Operator, _) => operator,
        (Role::Auditor, Data::AuditEvents | Data::AccessGrants) => Access::Read,
        // Statistics are the analysts' work, whichever agency they belong to.
        (Role::Analyst, Data::Statistics) => Access::Read,
        (_, Data::AuditEvents | Data::AccessGrants) => Access::None,
        // A pseudonymized row carries no document number at all.
        (_, Data::DocumentNumber) => Access::None,
        (Role::Analyst | Role::Auditor | Role::Admin, Data::PersonIdentity) => {
            operator.min(Access::Pseudonymized)
        }
        (Role::Analyst | Role::Auditor | Role::Admin, _) => operator.min(Access::Aggregates),
    }
}

fn operator_access(agency: Agency, data: Data) -> Access {
    let column = AGENCIES
        .iter()
        .position(|a| *a == agency)
        .unwrap_or(usize::MAX);
    OPERATORS
        .iter()
        .find(|(row, _)| *row == data)
        .and_then(|(_, levels)| levels.get(column).copied())
        .unwrap_or(Access::None)
}

/// Which persons inside its jurisdiction an agency reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonRows {
    /// Every resident.
    All,
    /// Only residents with a vulnerability flag or under active medical observation: the
    /// people civil affairs looks after.
    VulnerableOrIsolated,
}

/// Layer 2, narrowed per agency.
pub fn person_rows(agency: Agency) -> PersonRows {
    match agency {
        Agency::CivilAffairs => PersonRows::VulnerableOrIsolated,
        _ => PersonRows::All,
    }
}

/// Whether small counts in statistics are shown to this role as "<N" (SMALL_COUNT_THRESHOLD):
/// analysts, who see every unit's figures, never the persons behind them.
pub fn suppresses_small_counts(role: Role) -> bool {
    role == Role::Analyst
}

/// Whether a live task addressed to the principal's agency opens its subject to the
/// principal beyond its jurisdiction: only to OPERATORs, who act on tasks. Analysts,
/// auditors and admins list no tasks (figures only) and are never widened by one.
pub fn task_widens(role: Role) -> bool {
    role == Role::Operator
}

/// Who may send which task to which agency, and which unit receives it: the receiving
/// agency's unit at this level above the person's residence (their district's police, their
/// street's civil affairs, ...). A task of another kind, to another agency, or to a unit that
/// is not that one (or one below it that still contains the residence) is refused with
/// FORBIDDEN: a task widens its receivers to the person, so it must never reach a unit the
/// route does not name.
#[rustfmt::skip]
pub const TASK_ROUTES: &[(TaskKind, &[Agency], Agency, OrgLevel)] = &[
    // kind                              sent by                                              to                    of the person's
    (TaskKind::LocatePerson,            &[Agency::Health, Agency::Community],                Agency::Police,       OrgLevel::District),
    (TaskKind::VerifyIdentity,          &[Agency::Health, Agency::Community, Agency::CivilAffairs], Agency::Police, OrgLevel::District),
    (TaskKind::EnforceIsolation,        &[Agency::Health, Agency::Community],                Agency::Police,       OrgLevel::District),
    (TaskKind::DeliverSupplies,         &[Agency::Community, Agency::Health],                Agency::CivilAffairs, OrgLevel::Street),
    (TaskKind::MedicalVisit,            &[Agency::Community, Agency::CivilAffairs, Agency::Police], Agency::Health, OrgLevel::District),
    (TaskKind::PlaceUnderObservation,   &[Agency::Health, Agency::Police],                   Agency::Community,    OrgLevel::Community),
    (TaskKind::TransferToHospital,      &[Agency::Community, Agency::Police],                Agency::Health,       OrgLevel::District),
];

/// Whether `from` may send a task of this kind to `to`.
pub fn may_send(kind: TaskKind, from: Agency, to: Agency) -> bool {
    TASK_ROUTES
        .iter()
        .any(|(k, senders, receiver, _)| *k == kind && *receiver == to && senders.contains(&from))
}

/// The level of the person's residence whose unit receives a task of this kind.
pub fn receiving_level(kind: TaskKind) -> Option<OrgLevel> {
    TASK_ROUTES
        .iter()
        .find(|(k, ..)| *k == kind)
        .map(|(.., level)| *level)
}

/// The kind of data an alert speaks of: who may see an alert of each kind (in their
/// jurisdiction) is who may read that data.
pub fn alert_data(kind: AlertKind) -> Data {
    match kind {
        AlertKind::Fever => Data::HealthChecks,
        AlertKind::NewCase | AlertKind::CaseReclassified => Data::CaseStatus,
        AlertKind::ContactTraced => Data::Contacts,
        AlertKind::RiskAreaArrival | AlertKind::CheckpointFever => Data::CheckpointEntries,
        AlertKind::QuarantineEndedEarly => Data::Quarantine,
    }
}

/// What a schema coordinate needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any signed-in principal.
    SignedIn,
    /// At least this access to this kind of data.
    Data(Data, Access),
    /// At least this access to each of these kinds (a person's details met on another
    /// record: the record and the identity).
    All(&'static [(Data, Access)]),
}

const fn needs(data: Data, access: Access) -> Need {
    Need::Data(data, access)
}

const fn needs_all(requirements: &'static [(Data, Access)]) -> Need {
    Need::All(requirements)
}

/// Layer 1: every field, argument and input field of the schema's data types, with what it
/// needs. Coordinates are `Type.field`, `Type.field(argument)`, `Input.field`, or `Type.*`
/// for every field of a type not listed on its own. Types whose every field any signed-in
/// user may see are listed in [`PUBLIC_TYPES`]; connection and edge wrappers follow their
/// list field. A test fails when a coordinate of the schema is in none of these.
#[rustfmt::skip]
pub const SCHEMA: &[(&str, Need)] = &[
    // Who am I, where is what
    ("Query.me",                              Need::SignedIn),
    ("Query.orgUnit",                         Need::SignedIn),
    ("Query.orgUnits",                        Need::SignedIn),

    // Persons
    ("Query.person",                          needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Query.persons",                         needs(Data::PersonIdentity, Access::Pseudonymized)),
    // Looking up by number is for those who see numbers in full; masked viewers could
    // otherwise test numbers one by one.
    ("Query.personByDocument",                needs(Data::DocumentNumber, Access::Read)),
    ("Mutation.registerPerson",               needs(Data::PersonIdentity, Access::ReadWrite)),
    ("Mutation.updatePerson",                 needs(Data::PersonIdentity, Access::ReadWrite)),
    ("Mutation.setVulnerabilities",           needs(Data::Vulnerability, Access::ReadWrite)),
    // Listing by flag shows the flags.
    ("Query.vulnerablePersons",               needs(Data::Vulnerability, Access::Read)),
    ("VulnerablePerson.*",                    needs(Data::Vulnerability, Access::Read)),
    ("VulnerablePerson.quarantine",           needs_all(&[(Data::Vulnerability, Access::Read), (Data::Quarantine, Access::Read)])),
    ("VulnerablePerson.supplyTask",           needs_all(&[(Data::Vulnerability, Access::Read), (Data::Tasks, Access::Read)])),
    ("VulnerablePersonFilter.*",              needs(Data::Vulnerability, Access::Read)),
    // A pseudonymized person: masked name, sex, birth year, residence grid.
    ("Person.*",                              needs(Data::PersonIdentity, Access::Pseudonymized)),
    // The full birth date is digits 7 to 14 of a resident ID number: whoever sees the
    // number masked sees the birth year only, or the mask would undo itself.
    ("Person.birthDate",                      needs_all(&[(Data::PersonIdentity, Access::Read), (Data::DocumentNumber, Access::Read)])),
    ("Person.phone",                          needs(Data::PersonIdentity, Access::Read)),
    ("Person.address",                        needs(Data::PersonIdentity, Access::Read)),
    ("Person.createdByAgency",                needs(Data::PersonIdentity, Access::Read)),
    ("Person.provenance",                     needs(Data::PersonIdentity, Access::Read)),
    ("Person.documentType",                   needs(Data::DocumentNumber, Access::Masked)),
    ("Person.documentNumber",                 needs(Data::DocumentNumber, Access::Masked)),
    ("Person.vulnerabilities",                needs(Data::Vulnerability, Access::Read)),
    ("Person.vulnerabilityNote",              needs(Data::Vulnerability, Access::Read)),
    ("Person.cases",                          needs(Data::CaseStatus, Access::Pseudonymized)),
    ("Person.exposures",                      needs(Data::Contacts, Access::Pseudonymized)),
    ("Person.activeQuarantine",               needs(Data::Quarantine, Access::Pseudonymized)),
    ("Person.quarantines",                    needs(Data::Quarantine, Access::Pseudonymized)),
    ("Person.healthChecks",                   needs(Data::HealthChecks, Access::Pseudonymized)),
    ("Person.labTests",                       needs(Data::CaseClinical, Access::Pseudonymized)),
    // When a person is anonymized says whether they are a case or a contact (null: kept), so
    // it is for those who read both, and the person in full.
    ("Person.purgeAt",                        needs_all(&[(Data::PersonIdentity, Access::Read), (Data::CaseStatus, Access::Read), (Data::Contacts, Access::Read)])),
    ("Provenance.*",                          needs(Data::PersonIdentity, Access::Read)),
    // One record per person: those who keep person records find and merge duplicates;
    // the counts per channel are aggregates.
    ("Query.possibleDuplicates",              needs(Data::PersonIdentity, Access::ReadWrite)),
    ("DuplicatePair.*",                       needs(Data::PersonIdentity, Access::ReadWrite)),
    ("Mutation.mergePersons",                 needs(Data::PersonIdentity, Access::ReadWrite)),
    // Registrations held for verification: whose a number is, is for those who see it.
    ("Query.heldRegistrations",               needs_all(&[(Data::PersonIdentity, Access::ReadWrite), (Data::DocumentNumber, Access::Read)])),
    ("HeldRegistration.*",                    needs_all(&[(Data::PersonIdentity, Access::ReadWrite), (Data::DocumentNumber, Access::Read)])),
    ("Mutation.resolveHeldRegistration",      needs_all(&[(Data::PersonIdentity, Access::ReadWrite), (Data::DocumentNumber, Access::Read)])),
    ("MergeVersions.*",                       needs(Data::PersonIdentity, Access::ReadWrite)),
    ("Query.reconciliation",                  needs(Data::PersonIdentity, Access::Aggregates)),
    ("Reconciliation.*",                      needs(Data::PersonIdentity, Access::Aggregates)),
    ("AgencyCount.*",                         needs(Data::PersonIdentity, Access::Aggregates)),
    ("ChannelCount.*",                        needs(Data::PersonIdentity, Access::Aggregates)),
    // Filtering on a value one may not see would reveal it.
    ("PersonFilter.orgUnit",                  needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("PersonFilter.namePrefix",               needs(Data::PersonIdentity, Access::Read)),
    ("PersonFilter.phone",                    needs(Data::PersonIdentity, Access::Read)),
    ("PersonFilter.vulnerable",               needs(Data::Vulnerability, Access::Read)),
    ("PersonFilter.vulnerability",            needs(Data::Vulnerability, Access::Read)),
    ("PersonInput.*",                         needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonUpdate.*",                        needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonRefInput.*",                      needs(Data::PersonIdentity, Access::ReadWrite)),

    // Cases
    ("Query.case",                            needs(Data::CaseStatus, Access::Pseudonymized)),
    ("Query.cases",                           needs(Data::CaseStatus, Access::Pseudonymized)),
    ("Mutation.reportCase",                   needs(Data::CaseStatus, Access::ReadWrite)),
    ("Mutation.reclassifyCase",               needs(Data::CaseStatus, Access::ReadWrite)),
    ("Mutation.closeCase",                    needs(Data::CaseStatus, Access::ReadWrite)),
    ("Case.*",                                needs(Data::CaseStatus, Access::Pseudonymized)),
    ("Case.severity",                         needs(Data::CaseClinical, Access::Pseudonymized)),
    ("Case.onsetDate",                        needs(Data::CaseClinical, Access::Pseudonymized)),
    ("Case.designatedHospital",               needs(Data::CaseClinical, Access::Pseudonymized)),
    ("Case.notes",                            needs(Data::CaseClinical, Access::Read)),
    ("Case.contacts",                         needs(Data::Contacts, Access::Pseudonymized)),
    ("Case.createdByAgency",                  needs(Data::CaseStatus, Access::Read)),
    ("CaseFilter.*",                          needs(Data::CaseStatus, Access::Pseudonymized)),
    ("ReportCaseInput.*",                     needs(Data::CaseStatus, Access::ReadWrite)),

    // Contacts and transmission chains
    ("Query.contacts",                        needs(Data::Contacts, Access::Pseudonymized)),
    ("Query.transmissionChain",               needs(Data::Contacts, Access::Pseudonymized)),
    ("Mutation.recordContact",                needs(Data::Contacts, Access::ReadWrite)),
    ("Contact.*",                             needs(Data::Contacts, Access::Pseudonymized)),
    ("Contact.notes",                         needs(Data::Contacts, Access::Read)),
    ("ContactFilter.*",                       needs(Data::Contacts, Access::Pseudonymized)),
    ("RecordContactInput.*",                  needs(Data::Contacts, Access::ReadWrite)),
    ("TransmissionChain.*",                   needs(Data::Contacts, Access::Pseudonymized)),
    ("ChainNode.*",                           needs(Data::Contacts, Access::Pseudonymized)),
    ("ChainEdge.*",                           needs(Data::Contacts, Access::Pseudonymized)),

    // Medical observation
    ("Query.quarantine",                      needs(Data::Quarantine, Access::Pseudonymized)),
    ("Query.quarantines",                     needs(Data::Quarantine, Access::Pseudonymized)),
    ("Mutation.startQuarantine",              needs(Data::Quarantine, Access::ReadWrite)),
    ("Mutation.endQuarantine",                needs(Data::Quarantine, Access::ReadWrite)),
    ("Mutation.setQuarantineNeeds",           needs(Data::QuarantineNeeds, Access::ReadWrite)),
    // Police see status and place; civil affairs also the living needs.
    ("Quarantine.*",                          needs(Data::Quarantine, Access::Pseudonymized)),
    ("Quarantine.reason",                     needs(Data::QuarantineDetail, Access::Pseudonymized)),
    ("Quarantine.reasonNote",                 needs(Data::QuarantineDetail, Access::Read)),
    ("Quarantine.endNote",                    needs(Data::QuarantineDetail, Access::Read)),
    ("Quarantine.contact",                    needs(Data::QuarantineDetail, Access::Pseudonymized)),
    ("Quarantine.needs",                      needs(Data::QuarantineNeeds, Access::Read)),
    ("Quarantine.healthChecks",               needs(Data::HealthChecks, Access::Pseudonymized)),
    ("QuarantineFilter.*",                    needs(Data::Quarantine, Access::Pseudonymized)),
    ("StartQuarantineInput.*",                needs(Data::Quarantine, Access::ReadWrite)),
    ("EndQuarantineInput.*",                  needs(Data::Quarantine, Access::ReadWrite)),

    // Health checks
    ("Query.followUpsDue",                    needs(Data::HealthChecks, Access::Read)),
    ("Mutation.recordHealthChecks",           needs(Data::HealthChecks, Access::ReadWrite)),
    ("HealthCheck.*",                         needs(Data::HealthChecks, Access::Pseudonymized)),
    ("HealthCheck.recordedBy",                needs(Data::HealthChecks, Access::Read)),
    ("HealthCheckInput.*",                    needs(Data::HealthChecks, Access::ReadWrite)),
    ("HealthCheckResult.*",                   needs(Data::HealthChecks, Access::ReadWrite)),
    ("FollowUp.*",                            needs(Data::HealthChecks, Access::Read)),

    // Checkpoints: the entry is in reach at the checkpoint and at the traveller's destination.
    ("Query.checkpointEntries",               needs(Data::CheckpointEntries, Access::Pseudonymized)),
    ("Mutation.recordCheckpointEntries",      needs(Data::CheckpointEntries, Access::ReadWrite)),
    ("CheckpointEntry.*",                     needs(Data::CheckpointEntries, Access::Pseudonymized)),
    ("CheckpointEntry.traveller",             needs_all(&[(Data::CheckpointEntries, Access::Read), (Data::PersonIdentity, Access::Read)])),
    ("CheckpointEntry.vehiclePlate",          needs(Data::CheckpointEntries, Access::Read)),
    ("CheckpointEntry.recordedBy",            needs(Data::CheckpointEntries, Access::Read)),
    // A document held by someone of another name: for those who see numbers in full.
    ("CheckpointEntry.identityConflict",      needs_all(&[(Data::CheckpointEntries, Access::Read), (Data::DocumentNumber, Access::Read)])),
    ("CheckpointEntryFilter.identityConflict", needs_all(&[(Data::CheckpointEntries, Access::Read), (Data::DocumentNumber, Access::Read)])),
    // An unregistered traveller is shown like a person: identity, then the document.
    ("Traveller.*",                           needs_all(&[(Data::CheckpointEntries, Access::Read), (Data::PersonIdentity, Access::Read)])),
    ("Traveller.documentType",                needs_all(&[(Data::CheckpointEntries, Access::Read), (Data::DocumentNumber, Access::Masked)])),
    ("Traveller.documentNumber",              needs_all(&[(Data::CheckpointEntries, Access::Read), (Data::DocumentNumber, Access::Masked)])),
    ("CheckpointEntryFilter.*",               needs(Data::CheckpointEntries, Access::Pseudonymized)),
    ("CheckpointEntryInput.*",                needs(Data::CheckpointEntries, Access::ReadWrite)),
    ("TravellerDetails.*",                    needs(Data::CheckpointEntries, Access::ReadWrite)),
    ("CheckpointEntryResult.*",               needs(Data::CheckpointEntries, Access::ReadWrite)),

    // Laboratory tests
    ("Mutation.recordLabTest",                needs(Data::CaseClinical, Access::ReadWrite)),
    ("Mutation.setLabResult",                 needs(Data::CaseClinical, Access::ReadWrite)),
    ("LabTest.*",                             needs(Data::CaseClinical, Access::Pseudonymized)),
    ("LabTestPayload.*",                      needs(Data::CaseClinical, Access::ReadWrite)),
    ("RecordLabTestInput.*",                  needs(Data::CaseClinical, Access::ReadWrite)),

    // Alerts: rows are filtered further per kind (see `alert_data`).
    ("Query.alerts",                          needs(Data::CaseStatus, Access::Read)),
    ("Alert.*",                               needs(Data::CaseStatus, Access::Read)),
    ("AlertFilter.*",                         needs(Data::CaseStatus, Access::Read)),
    ("Subscription.alerts",                   needs(Data::CaseStatus, Access::Read)),

    // Tasks between agencies: rows are those one's agency sent or receives (`scope`).
    ("Query.task",                            needs(Data::Tasks, Access::Pseudonymized)),
    ("Query.tasks",                           needs(Data::Tasks, Access::Pseudonymized)),
    ("Subscription.taskUpdates",              needs(Data::Tasks, Access::Pseudonymized)),
    ("Mutation.createTask",                   needs(Data::Tasks, Access::ReadWrite)),
    ("Mutation.acceptTask",                   needs(Data::Tasks, Access::ReadWrite)),
    ("Mutation.completeTask",                 needs(Data::Tasks, Access::ReadWrite)),
    ("Mutation.rejectTask",                   needs(Data::Tasks, Access::ReadWrite)),
    ("Mutation.cancelTask",                   needs(Data::Tasks, Access::ReadWrite)),
    ("Task.*",                                needs(Data::Tasks, Access::Pseudonymized)),
    ("Task.note",                             needs(Data::Tasks, Access::Read)),
    ("Task.outcomeNote",                      needs(Data::Tasks, Access::Read)),
    ("TaskSource.*",                          needs(Data::Tasks, Access::Pseudonymized)),
    ("TaskFilter.*",                          needs(Data::Tasks, Access::Pseudonymized)),
    ("CreateTaskInput.*",                     needs(Data::Tasks, Access::ReadWrite)),

    // Break the glass: operators of health and police take grants; auditors read them.
    ("Mutation.requestAccess",                needs(Data::AccessGrants, Access::ReadWrite)),
    ("AccessGranted.*",                       needs(Data::AccessGrants, Access::ReadWrite)),
    ("Query.accessGrants",                    needs(Data::AuditEvents, Access::Read)),
    ("AccessGrant.*",                         needs(Data::AuditEvents, Access::Read)),
    ("AccessGrantFilter.*",                   needs(Data::AuditEvents, Access::Read)),

    // Daily reports: the figures are counts, seen by all who read reports (analysts too);
    // who confirmed, and the note, by those who read them in full; confirmed by the
    // community's own operators.
    ("Query.dailyReport",                     needs(Data::DailyReports, Access::Aggregates)),
    ("Query.dailyReportStatus",               needs(Data::DailyReports, Access::Aggregates)),
    ("Mutation.confirmDailyReport",           needs(Data::DailyReports, Access::ReadWrite)),
    ("DailyReport.*",                         needs(Data::DailyReports, Access::Aggregates)),
    ("DailyReport.confirmation",              needs(Data::DailyReports, Access::Read)),
    ("DailyReportConfirmation.*",             needs(Data::DailyReports, Access::Read)),
    ("DailyFigures.*",                        needs(Data::DailyReports, Access::Aggregates)),
    ("CaseCounts.*",                          needs(Data::DailyReports, Access::Aggregates)),
    ("DailyReportStatus.*",                   needs(Data::DailyReports, Access::Aggregates)),
    ("UnitReportStatus.*",                    needs(Data::DailyReports, Access::Aggregates)),

    // Statistics: counts only, for analysts of every agency and the command.
    ("Query.statistics",                      needs(Data::Statistics, Access::Read)),
    ("Query.dailySeries",                     needs(Data::Statistics, Access::Read)),
    ("Statistics.*",                          needs(Data::Statistics, Access::Read)),
    ("UnitStatistics.*",                      needs(Data::Statistics, Access::Read)),
    ("StatisticsFigures.*",                   needs(Data::Statistics, Access::Read)),
    ("DailySeries.*",                         needs(Data::Statistics, Access::Read)),
    ("UnitSeries.*",                          needs(Data::Statistics, Access::Read)),

    // The change feed: each kind of record only for those who read it, as its own query
    // needs (`domain::changes::ChangeType::needs`; a test holds the two together).
    ("Query.changes",                         Need::SignedIn),
    ("Query.snapshot",                        Need::SignedIn),
    ("Change.*",                              Need::SignedIn),
    ("Change.person",                         needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Change.case",                           needs(Data::CaseStatus, Access::Pseudonymized)),
    ("Change.contact",                        needs(Data::Contacts, Access::Pseudonymized)),
    ("Change.quarantine",                     needs(Data::Quarantine, Access::Pseudonymized)),
    ("Change.healthCheck",                    needs(Data::HealthChecks, Access::Pseudonymized)),
    ("Change.labTest",                        needs(Data::CaseClinical, Access::Pseudonymized)),
    ("Change.checkpointEntry",                needs(Data::CheckpointEntries, Access::Pseudonymized)),
    ("Change.task",                           needs(Data::Tasks, Access::Pseudonymized)),
    ("Change.alert",                          needs(Data::CaseStatus, Access::Read)),

    // Retention: the command declares the response over in its jurisdiction; operators read
    // the declarations (each record they read shows its own `purgeAt`).
    ("Query.standDowns",                      needs(Data::StandDown, Access::Read)),
    ("StandDown.*",                           needs(Data::StandDown, Access::Read)),
    ("Mutation.standDown",                    needs(Data::StandDown, Access::ReadWrite)),

    // Audit
    ("Query.auditEvents",                     needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.*",                          needs(Data::AuditEvents, Access::Read)),
    ("AuditEventFilter.*",                    needs(Data::AuditEvents, Access::Read)),
];

/// Types every signed-in principal sees whole: they carry no personal data.
pub const PUBLIC_TYPES: &[&str] = &["Me", "DataAccess", "OrgUnit", "PageInfo", "ItemError"];

/// Connection and edge wrappers of lists: what they show is decided by the list field and
/// the node type.
pub fn is_wrapper(type_name: &str) -> bool {
    type_name.ends_with("Connection") || type_name.ends_with("Edge") && type_name != "ChainEdge"
}

static SCHEMA_INDEX: LazyLock<HashMap<&'static str, Need>> =
    LazyLock::new(|| SCHEMA.iter().copied().collect());

/// What a schema coordinate needs: its own entry, else its type's `Type.*` entry. An
/// argument (`Type.field(arg)`) needs what its field needs unless declared itself. Other
/// coordinates need only a signed-in user (a test holds that only public types and list
/// wrappers are left undeclared).
pub fn need(coordinate: &str) -> Need {
    if let Some(need) = SCHEMA_INDEX.get(coordinate) {
        return *need;
    }
    if let Some((field, _argument)) = coordinate.split_once('(') {
        return need(field);
    }
    match coordinate.split_once('.') {
        Some((type_name, _)) => SCHEMA_INDEX
            .get(format!("{type_name}.*").as_str())
            .copied()
            .unwrap_or(Need::SignedIn),
        None => Need::SignedIn,
    }
}

/// Whether a principal of this agency and role may see a schema coordinate.
pub fn may_see(agency: Agency, role: Role, coordinate: &str) -> bool {
    match need(coordinate) {
        Need::SignedIn => true,
        Need::Data(data, required) => access(agency, role, data) >= required,
        Need::All(requirements) => requirements
            .iter()
            .all(|(data, required)| access(agency, role, *data) >= *required),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive, so a new kind of data does not compile until it is placed here.
    fn position(data: Data) -> usize {
        match data {
            Data::PersonIdentity => 0,
            Data::DocumentNumber => 1,
            Data::Vulnerability => 2,
            Data::CaseStatus => 3,
            Data::CaseClinical => 4,
            Data::Contacts => 5,
            Data::Quarantine => 6,
            Data::QuarantineNeeds => 7,
            Data::QuarantineDetail => 8,
            Data::HealthChecks => 9,
            Data::CheckpointEntries => 10,
            Data::Tasks => 11,
            Data::DailyReports => 12,
            Data::AuditEvents => 13,
            Data::AccessGrants => 14,
            Data::Statistics => 15,
            Data::StandDown => 16,
        }
    }

    #[test]
    fn every_data_kind_has_exactly_one_row_in_the_matrix() {
        let mut seen = [0; 17];
        for (data, _) in OPERATORS {
            seen[position(*data)] += 1;
        }
        assert_eq!(
            seen, [1; 17],
            "each kind of data once, in DESIGN.md's order"
        );
        for (i, (data, _)) in OPERATORS.iter().enumerate() {
            assert_eq!(position(*data), i);
        }
    }

    #[test]
    fn community_and_civil_affairs_see_masked_document_numbers() {
        assert_eq!(
            access(Agency::Community, Role::Operator, Data::DocumentNumber),
            Access::Masked
        );
        assert_eq!(
            access(Agency::CivilAffairs, Role::Operator, Data::DocumentNumber),
            Access::Masked
        );
        assert_eq!(
            access(Agency::Health, Role::Operator, Data::DocumentNumber),
            Access::Read
        );
        assert_eq!(
            access(Agency::Command, Role::Operator, Data::DocumentNumber),
            Access::None
        );
    }

    #[test]
    fn no_role_but_operator_ever_gets_identity_in_full() {
        for agency in AGENCIES {
            for role in [Role::Analyst, Role::Auditor, Role::Admin] {
                assert!(access(agency, role, Data::PersonIdentity) <= Access::Pseudonymized);
                assert_eq!(access(agency, role, Data::DocumentNumber), Access::None);
            }
        }
    }

    #[test]
    fn only_auditors_read_the_audit_trail() {
        for agency in AGENCIES {
            for role in [Role::Operator, Role::Analyst, Role::Admin] {
                assert_eq!(access(agency, role, Data::AuditEvents), Access::None);
            }
            assert_eq!(
                access(agency, Role::Auditor, Data::AuditEvents),
                Access::Read
            );
        }
    }

    #[test]
    fn police_never_see_vulnerability_flags_or_clinical_detail() {
        assert_eq!(
            access(Agency::Police, Role::Operator, Data::Vulnerability),
            Access::None
        );
        assert_eq!(
            access(Agency::Police, Role::Operator, Data::CaseClinical),
            Access::None
        );
        assert!(!may_see(
            Agency::Police,
            Role::Operator,
            "Person.vulnerabilities"
        ));
        assert!(!may_see(
            Agency::Police,
            Role::Operator,
            "PersonFilter.vulnerable"
        ));
    }

    #[test]
    fn declared_coordinates_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (coordinate, _) in SCHEMA {
            assert!(seen.insert(coordinate), "{coordinate} declared twice");
        }
    }

    /// The README's matrix for operators says what `OPERATORS` declares, row by row: a reader
    /// who trusts the README about who sees what is not misled. (Rows about one field, the
    /// birth date, held registrations and the audit trail, are other rules', tested apart.)
    #[test]
    fn the_readme_matrix_is_the_declared_one() {
        const README: &str = include_str!("../../README.md");
        let rows: [(&str, Data); 14] = [
            ("person name, sex, birth year", Data::PersonIdentity),
            ("document number", Data::DocumentNumber),
            ("vulnerability flags", Data::Vulnerability),
            ("case classification and outcome", Data::CaseStatus),
            ("case clinical detail", Data::CaseClinical),
            ("contacts", Data::Contacts),
            ("quarantine (kind", Data::Quarantine),
            ("quarantine living needs", Data::QuarantineNeeds),
            ("quarantine reason", Data::QuarantineDetail),
            ("health checks", Data::HealthChecks),
            ("checkpoint entries", Data::CheckpointEntries),
            ("tasks", Data::Tasks),
            ("daily reports", Data::DailyReports),
            ("stand-down of the response", Data::StandDown),
        ];
        // How the README words a level.
        let level = |cell: &str| -> Option<Access> {
            let cell = cell.trim();
            Some(match cell {
                c if c.starts_with("read/write")
                    || c.starts_with("declare (read/write)")
                    || c == "confirm own"
                    || c == "sending and receiving agency"
                    || c == "same" =>
                {
                    Access::ReadWrite
                }
                c if c.starts_with("read") || c == "full" => Access::Read,
                "masked" => Access::Masked,
                "pseudonymized" => Access::Pseudonymized,
                "aggregates" => Access::Aggregates,
                "none" => Access::None,
                _ => return None,
            })
        };
        let table: Vec<Vec<&str>> = README
            .lines()
            .skip_while(|line| !line.starts_with("| data | HEALTH | POLICE | CIVIL_AFFAIRS"))
            .take_while(|line| line.starts_with('|'))
            .map(|line| line.trim_matches('|').split(" | ").collect())
            .collect();
        assert!(table.len() > rows.len(), "the README's matrix is there");
        for (label, data) in rows {
            let row = table
                .iter()
                .find(|cells| cells[0].trim().starts_with(label))
                .unwrap_or_else(|| panic!("the README's matrix has no row {label:?}"));
            let declared = OPERATORS
                .iter()
                .find(|(d, _)| *d == data)
                .map(|(_, levels)| levels)
                .unwrap_or_else(|| panic!("{data:?} is declared"));
            for (column, agency) in AGENCIES.iter().enumerate() {
                let cell = row[column + 1];
                assert_eq!(
                    level(cell),
                    Some(declared[column]),
                    "README row {label:?}, {agency:?}: {cell:?}"
                );
            }
        }
    }
}
