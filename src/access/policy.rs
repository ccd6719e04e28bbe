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

use entity::{Agency, Role};

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
    /// Shown in part: a document number as its first 6 and last 4 characters.
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
    (Data::HealthChecks,         [RW,     No,     No,     RW,       Agg   ]),
    (Data::CheckpointEntries,    [Read,   RW,     No,     RW,       Agg   ]),
    (Data::Tasks,                [RW,     RW,     RW,     RW,       Read  ]),
    (Data::DailyReports,         [Read,   Read,   Read,   RW,       Read  ]),
    (Data::AuditEvents,          [No,     No,     No,     No,       No    ]),
    (Data::AccessGrants,         [RW,     RW,     No,     No,       No    ]),
];

/// The level a principal of this agency and role gets for a kind of data.
///
/// OPERATORs get their agency's column. AUDITORs read the audit trail and the grants. Every
/// other role (ANALYST, AUDITOR outside the audit data, ADMIN) gets at most pseudonymized
/// rows and aggregates: never a name, number, phone or address.
pub fn access(agency: Agency, role: Role, data: Data) -> Access {
    let operator = operator_access(agency, data);
    match (role, data) {
        (Role::Operator, _) => operator,
        (Role::Auditor, Data::AuditEvents | Data::AccessGrants) => Access::Read,
        (_, Data::AuditEvents | Data::AccessGrants) => Access::None,
        // A pseudonymized row carries no document number at all.
        (_, Data::DocumentNumber) => Access::None,
        (Role::Analyst | Role::Auditor | Role::Admin, _) => operator.min(Access::Pseudonymized),
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

/// What a schema coordinate needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any signed-in principal.
    SignedIn,
    /// At least this access to this kind of data.
    Data(Data, Access),
}

const fn needs(data: Data, access: Access) -> Need {
    Need::Data(data, access)
}

/// Layer 1: every field, argument and input field of the schema's data types, with what it
/// needs. Coordinates are `Type.field`, `Type.field(argument)` or `Input.field`. Types whose
/// every field any signed-in user may see (org units, page info, connections, `Me`) are
/// listed in [`PUBLIC_TYPES`] instead; a test fails when a coordinate is in neither.
#[rustfmt::skip]
pub const SCHEMA: &[(&str, Need)] = &[
    // Queries
    ("Query.me",                              Need::SignedIn),
    ("Query.orgUnit",                         Need::SignedIn),
    ("Query.orgUnits",                        Need::SignedIn),
    ("Query.person",                          needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Query.persons",                         needs(Data::PersonIdentity, Access::Pseudonymized)),
    // Looking up by number is for those who see numbers in full; masked viewers could
    // otherwise test numbers one by one.
    ("Query.personByDocument",                needs(Data::DocumentNumber, Access::Read)),
    ("Query.auditEvents",                     needs(Data::AuditEvents, Access::Read)),
    // Mutations
    ("Mutation.registerPerson",               needs(Data::PersonIdentity, Access::ReadWrite)),
    ("Mutation.updatePerson",                 needs(Data::PersonIdentity, Access::ReadWrite)),
    ("Mutation.setVulnerabilities",           needs(Data::Vulnerability, Access::ReadWrite)),
    // Person
    ("Person.id",                             needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.pseudonymized",                  needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.name",                           needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.sex",                            needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.birthYear",                      needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.residence",                      needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.version",                        needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.createdAt",                      needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.updatedAt",                      needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("Person.birthDate",                      needs(Data::PersonIdentity, Access::Read)),
    ("Person.phone",                          needs(Data::PersonIdentity, Access::Read)),
    ("Person.address",                        needs(Data::PersonIdentity, Access::Read)),
    ("Person.createdByAgency",                needs(Data::PersonIdentity, Access::Read)),
    ("Person.provenance",                     needs(Data::PersonIdentity, Access::Read)),
    ("Person.documentType",                   needs(Data::DocumentNumber, Access::Masked)),
    ("Person.documentNumber",                 needs(Data::DocumentNumber, Access::Masked)),
    ("Person.vulnerabilities",                needs(Data::Vulnerability, Access::Read)),
    ("Person.vulnerabilityNote",              needs(Data::Vulnerability, Access::Read)),
    ("Provenance.agency",                     needs(Data::PersonIdentity, Access::Read)),
    ("Provenance.firstReportedAt",            needs(Data::PersonIdentity, Access::Read)),
    ("Provenance.lastReportedAt",             needs(Data::PersonIdentity, Access::Read)),
    ("Provenance.reportCount",                needs(Data::PersonIdentity, Access::Read)),
    // Filters: filtering on a value one may not see would reveal it.
    ("PersonFilter.orgUnit",                  needs(Data::PersonIdentity, Access::Pseudonymized)),
    ("PersonFilter.namePrefix",               needs(Data::PersonIdentity, Access::Read)),
    ("PersonFilter.phone",                    needs(Data::PersonIdentity, Access::Read)),
    ("PersonFilter.vulnerable",               needs(Data::Vulnerability, Access::Read)),
    ("PersonFilter.vulnerability",            needs(Data::Vulnerability, Access::Read)),
    // Inputs of writes
    ("PersonInput.documentType",              needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonInput.documentNumber",            needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonInput.name",                      needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonInput.sex",                       needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonInput.birthDate",                 needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonInput.phone",                     needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonInput.address",                   needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonInput.residence",                 needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonUpdate.name",                     needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonUpdate.sex",                      needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonUpdate.birthDate",                needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonUpdate.phone",                    needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonUpdate.address",                  needs(Data::PersonIdentity, Access::ReadWrite)),
    ("PersonUpdate.residence",                needs(Data::PersonIdentity, Access::ReadWrite)),
    // Audit
    ("AuditEvent.id",                         needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.at",                         needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.subject",                    needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.agency",                     needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.role",                       needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.actorOrgUnit",               needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.operation",                  needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.entityType",                 needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.entityId",                   needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.reason",                     needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.grantId",                    needs(Data::AuditEvents, Access::Read)),
    ("AuditEvent.requestId",                  needs(Data::AuditEvents, Access::Read)),
    ("AuditEventFilter.subject",              needs(Data::AuditEvents, Access::Read)),
    ("AuditEventFilter.agency",               needs(Data::AuditEvents, Access::Read)),
    ("AuditEventFilter.entityType",           needs(Data::AuditEvents, Access::Read)),
    ("AuditEventFilter.entityId",             needs(Data::AuditEvents, Access::Read)),
    ("AuditEventFilter.requestId",            needs(Data::AuditEvents, Access::Read)),
    ("AuditEventFilter.from",                 needs(Data::AuditEvents, Access::Read)),
    ("AuditEventFilter.to",                   needs(Data::AuditEvents, Access::Read)),
];

/// Types every signed-in principal sees whole: they carry no personal data.
pub const PUBLIC_TYPES: &[&str] = &[
    "Me",
    "DataAccess",
    "OrgUnit",
    "OrgUnitConnection",
    "OrgUnitEdge",
    "PageInfo",
    "PersonConnection",
    "PersonEdge",
    "AuditEventConnection",
    "AuditEventEdge",
];

static SCHEMA_INDEX: LazyLock<HashMap<&'static str, Need>> =
    LazyLock::new(|| SCHEMA.iter().copied().collect());

/// What a schema coordinate needs. An argument (`Type.field(arg)`) needs what its field
/// needs unless declared itself; other undeclared coordinates need only a signed-in user
/// (a test holds that only coordinates of [`PUBLIC_TYPES`] are left undeclared).
pub fn need(coordinate: &str) -> Need {
    if let Some(need) = SCHEMA_INDEX.get(coordinate) {
        return *need;
    }
    match coordinate.split_once('(') {
        Some((field, _argument)) => need(field),
        None => Need::SignedIn,
    }
}

/// Whether a principal of this agency and role may see a schema coordinate.
pub fn may_see(agency: Agency, role: Role, coordinate: &str) -> bool {
    match need(coordinate) {
        Need::SignedIn => true,
        Need::Data(data, required) => access(agency, role, data) >= required,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_kind_has_exactly_one_row() {
        let kinds = [
            Data::PersonIdentity,
            Data::DocumentNumber,
            Data::Vulnerability,
            Data::CaseStatus,
            Data::CaseClinical,
            Data::Contacts,
            Data::Quarantine,
            Data::QuarantineNeeds,
            Data::HealthChecks,
            Data::CheckpointEntries,
            Data::Tasks,
            Data::DailyReports,
            Data::AuditEvents,
            Data::AccessGrants,
        ];
        for kind in kinds {
            assert_eq!(
                OPERATORS.iter().filter(|(d, _)| *d == kind).count(),
                1,
                "{kind:?}"
            );
        }
        assert_eq!(OPERATORS.len(), kinds.len());
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
}
