//! Enumerations stored as short strings, so that later values can be added without a
//! migration and rows stay readable in a SQL console.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a string-backed active enum with the given variants and stored values.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        pub enum $name {
            $(
                #[sea_orm(string_value = $value)]
                #[serde(rename = $value)]
                $variant,
            )+
        }

        impl $name {
            /// The value as stored and as written in tokens and logs.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($value => Ok(Self::$variant),)+
                    _ => Err(UnknownValue { kind: stringify!($name), value: s.chars().take(40).collect() }),
                }
            }
        }
    };
}

/// A stored or submitted string that names no variant of the enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} {:?}", self.kind, self.value)
    }
}

impl std::error::Error for UnknownValue {}

string_enum!(
    /// The agencies that share the system.
    Agency {
        Health = "HEALTH",
        Police = "POLICE",
        CivilAffairs = "CIVIL_AFFAIRS",
        Community = "COMMUNITY",
        Command = "COMMAND",
    }
);

string_enum!(
    /// A user's role inside their agency.
    Role {
        Operator = "OPERATOR",
        Analyst = "ANALYST",
        Auditor = "AUDITOR",
        Admin = "ADMIN",
    }
);

string_enum!(
    /// Levels of the jurisdiction tree, from the city down to the grid.
    OrgLevel {
        City = "CITY",
        District = "DISTRICT",
        Street = "STREET",
        Community = "COMMUNITY",
        Grid = "GRID",
    }
);

string_enum!(
    /// Kinds of identity document.
    DocumentType {
        ResidentId = "RESIDENT_ID",
        Passport = "PASSPORT",
        HkMacaoPermit = "HK_MACAO_PERMIT",
        TaiwanPermit = "TAIWAN_PERMIT",
        ForeignerPermanentResidence = "FOREIGNER_PERMANENT_RESIDENCE",
        Other = "OTHER",
    }
);

string_enum!(
    Sex {
        Male = "MALE",
        Female = "FEMALE",
        Unknown = "UNKNOWN",
    }
);

string_enum!(
    CaseClassification {
        Suspected = "SUSPECTED",
        Confirmed = "CONFIRMED",
        Asymptomatic = "ASYMPTOMATIC",
        Excluded = "EXCLUDED",
    }
);

string_enum!(
    CaseSeverity {
        Mild = "MILD",
        Moderate = "MODERATE",
        Severe = "SEVERE",
        Critical = "CRITICAL",
    }
);

string_enum!(
    CaseOutcome {
        Active = "ACTIVE",
        Recovered = "RECOVERED",
        Deceased = "DECEASED",
    }
);

string_enum!(
    ContactRelation {
        Household = "HOUSEHOLD",
        Work = "WORK",
        Travel = "TRAVEL",
        Social = "SOCIAL",
        Medical = "MEDICAL",
        Other = "OTHER",
    }
);

string_enum!(
    ContactStatus {
        UnderFollowUp = "UNDER_FOLLOW_UP",
        Converted = "CONVERTED",
        Ended = "ENDED",
    }
);

string_enum!(
    QuarantineKind {
        Centralized = "CENTRALIZED",
        Home = "HOME",
    }
);

string_enum!(
    QuarantineReason {
        CloseContact = "CLOSE_CONTACT",
        SecondaryContact = "SECONDARY_CONTACT",
        RiskAreaArrival = "RISK_AREA_ARRIVAL",
        FeverScreening = "FEVER_SCREENING",
        Other = "OTHER",
    }
);

string_enum!(
    QuarantineEnd {
        Released = "RELEASED",
        TransferredToHospital = "TRANSFERRED_TO_HOSPITAL",
        Absconded = "ABSCONDED",
    }
);

string_enum!(
    AlertKind {
        Fever = "FEVER",
        NewCase = "NEW_CASE",
        CaseReclassified = "CASE_RECLASSIFIED",
        ContactTraced = "CONTACT_TRACED",
        RiskAreaArrival = "RISK_AREA_ARRIVAL",
        CheckpointFever = "CHECKPOINT_FEVER",
        QuarantineEndedEarly = "QUARANTINE_ENDED_EARLY",
    }
);

string_enum!(
    SampleType {
        NasopharyngealSwab = "NASOPHARYNGEAL_SWAB",
        OropharyngealSwab = "OROPHARYNGEAL_SWAB",
        Sputum = "SPUTUM",
        Blood = "BLOOD",
        Other = "OTHER",
    }
);

string_enum!(
    LabResult {
        Pending = "PENDING",
        Negative = "NEGATIVE",
        Positive = "POSITIVE",
    }
);

string_enum!(
    Direction {
        Inbound = "INBOUND",
        Outbound = "OUTBOUND",
    }
);

string_enum!(
    TaskKind {
        LocatePerson = "LOCATE_PERSON",
        VerifyIdentity = "VERIFY_IDENTITY",
        EnforceIsolation = "ENFORCE_ISOLATION",
        DeliverSupplies = "DELIVER_SUPPLIES",
        MedicalVisit = "MEDICAL_VISIT",
        PlaceUnderObservation = "PLACE_UNDER_OBSERVATION",
        TransferToHospital = "TRANSFER_TO_HOSPITAL",
    }
);

string_enum!(
    TaskStatus {
        Open = "OPEN",
        Accepted = "ACCEPTED",
        Done = "DONE",
        Rejected = "REJECTED",
        Cancelled = "CANCELLED",
    }
);

string_enum!(
    TaskPriority {
        Low = "LOW",
        Normal = "NORMAL",
        High = "HIGH",
        Urgent = "URGENT",
    }
);
