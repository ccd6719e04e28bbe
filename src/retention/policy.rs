//! The retention policy (数据保存期限): the one place that says how long each kind of record
//! is kept, what starts its clock, what happens to it then, and why.
//!
//! It is data, like the access policy: [`RULES`] and [`HOLDS`]. The purge
//! (`retention::purge`), the `purgeAt` fields (`retention::purge_at`), the settings
//! (`config.rs`, `RETENTION_*`) and the README's table all read it; a test holds the README's
//! table to [`markdown_table`]. Change it here and nowhere else.
//!
//! PIPL art. 47(1): personal information is deleted (or anonymized, art. 73(4)) once the purpose
//! of processing is achieved. For the data an emergency alone justified, that is when the
//! command stands the response down for the jurisdiction; until then nothing here is purged.

/// Kinds of record the policy speaks of (its rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Temperature and symptom checks of people who never became a case or a contact.
    HealthCheck,
    /// Checkpoint passages, where the traveller never became a case or a contact.
    CheckpointEntry,
    /// A person registered only for the emergency: no case, no contact, no vulnerability flag.
    EmergencyPerson,
    /// Cases, their contacts, and everything recorded about those persons.
    CaseRecords,
    /// The communities' confirmed daily figures (no personal data).
    DailyReport,
    /// The audit trail: who did what, when, to which records.
    AuditEvent,
    /// The change log behind the change feed (ids only).
    ChangeLog,
}

/// What starts a kind's clock. Every clock of emergency-only data also waits for the
/// stand-down of the record's jurisdiction: a record is never purged before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The record's own time (a check's `measuredAt`, a passage's `passedAt`, an event's
    /// `at`), or the stand-down if that comes later.
    Recorded,
    /// The stand-down of the jurisdiction.
    StandDown,
    /// Kept: no clock runs here.
    Never,
}

/// What becomes of a record when its time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// The row is deleted (with the alerts it raised).
    Deleted,
    /// Name, document, birth date, phone, address and notes are removed; the row stays, so
    /// that every count built on it stays too.
    Anonymized,
    /// Who, when and which operation stay; the record ids and the stated reason go.
    Unlinked,
    /// Deleted by the change-log pruning (`events::retention`).
    Pruned,
    /// Kept by this server.
    Kept,
}

/// One row of the policy.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub kind: Kind,
    /// The records, as the README names them.
    pub records: &'static str,
    /// Days kept after the clock starts, unless the deployment sets `setting`; `None`: kept.
    pub default_days: Option<u32>,
    /// The environment variable (and flag) that overrides the default.
    pub setting: Option<&'static str>,
    pub start: Start,
    /// Whether the record must wait for the stand-down of its jurisdiction.
    pub after_stand_down: bool,
    pub treatment: Treatment,
    /// Why it is kept that long.
    pub legal_note: &'static str,
}

/// Two 14-day incubation periods: long enough to trace a case found late back through the
/// checks and passages before it.
pub const HEALTH_CHECK_DAYS: u32 = 28;
pub const CHECKPOINT_ENTRY_DAYS: u32 = 28;
/// Time after the stand-down for complaints, corrections and the last reports.
pub const EMERGENCY_PERSON_DAYS: u32 = 30;
/// Three years: PIPL art. 56 keeps records of processing that long.
pub const AUDIT_EVENT_DAYS: u32 = 1095;
/// The change log's window (`CHANGE_LOG_RETENTION_DAYS`, `events::retention`).
pub const CHANGE_LOG_DAYS: u32 = 30;

/// The policy, row by row, in the README's order.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule {
        kind: Kind::HealthCheck,
        records: "health checks of people who never became a case or contact",
        default_days: Some(HEALTH_CHECK_DAYS),
        setting: Some("RETENTION_HEALTH_CHECK_DAYS"),
        start: Start::Recorded,
        after_stand_down: true,
        treatment: Treatment::Deleted,
        legal_note: "PIPL art. 47(1): collected for the emergency only; two incubation periods let a late case be traced back",
    },
    Rule {
        kind: Kind::CheckpointEntry,
        records: "checkpoint passages of people who never became a case or contact",
        default_days: Some(CHECKPOINT_ENTRY_DAYS),
        setting: Some("RETENTION_CHECKPOINT_DAYS"),
        start: Start::Recorded,
        after_stand_down: true,
        treatment: Treatment::Deleted,
        legal_note: "PIPL art. 47(1): collected for the emergency only; waits for the stand-down of the checkpoint's unit and of the destination",
    },
    Rule {
        kind: Kind::EmergencyPerson,
        records: "persons registered only for the emergency (no case, contact or vulnerability flag)",
        default_days: Some(EMERGENCY_PERSON_DAYS),
        setting: Some("RETENTION_PERSON_DAYS"),
        start: Start::StandDown,
        after_stand_down: true,
        treatment: Treatment::Anonymized,
        legal_note: "PIPL art. 47(1) and 73(4): the purpose ends with the response; anonymized, so that the figures built on them stay",
    },
    Rule {
        kind: Kind::CaseRecords,
        records: "cases and their contacts, and what is recorded about those persons",
        default_days: None,
        setting: None,
        start: Start::Never,
        after_stand_down: false,
        treatment: Treatment::Kept,
        legal_note: "Law on the Prevention and Control of Infectious Diseases: kept as the disease-control rules require, archived by the CDC, never purged here",
    },
    Rule {
        kind: Kind::DailyReport,
        records: "confirmed daily reports (figures, no personal data)",
        default_days: None,
        setting: None,
        start: Start::Never,
        after_stand_down: false,
        treatment: Treatment::Kept,
        legal_note: "statistics, not personal information (PIPL art. 4): the record of the response",
    },
    Rule {
        kind: Kind::AuditEvent,
        records: "audit events",
        default_days: Some(AUDIT_EVENT_DAYS),
        setting: Some("RETENTION_AUDIT_DAYS"),
        start: Start::Recorded,
        after_stand_down: false,
        treatment: Treatment::Unlinked,
        legal_note: "PIPL art. 56: records of processing kept at least three years (Cybersecurity Law art. 21: logs at least six months); who did what stays",
    },
    Rule {
        kind: Kind::ChangeLog,
        records: "change log behind the change feed (ids only)",
        default_days: Some(CHANGE_LOG_DAYS),
        setting: Some("CHANGE_LOG_RETENTION_DAYS"),
        start: Start::Recorded,
        after_stand_down: false,
        treatment: Treatment::Pruned,
        legal_note: "a working window for partner systems; an older cursor gets SNAPSHOT_REQUIRED",
    },
];

/// Legal holds: a person under one of these keeps every record (the person, their checks and
/// passages) whatever the clock says, and shows no `purgeAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// An open case of the person.
    OpenCase,
    /// A task about the person still OPEN or ACCEPTED (an enforcement of isolation above all).
    LiveTask,
    /// The person is under medical observation now.
    ActiveObservation,
}

/// The holds, each with why.
#[rustfmt::skip]
pub const HOLDS: &[(Hold, &str, &str)] = &[
    (Hold::OpenCase,          "an open case",                                   "the case is still being handled"),
    (Hold::LiveTask,          "a task about them still open or accepted, an enforcement of isolation above all", "an enforcement or other action is under way and may need the record as evidence"),
    (Hold::ActiveObservation, "medical observation under way",                  "the observation is not over"),
];

/// The rule of a kind.
pub fn rule(kind: Kind) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.kind == kind)
}

fn start_text(rule: &Rule) -> &'static str {
    match (rule.start, rule.after_stand_down) {
        (Start::Recorded, true) => "the check or passage, and not before the stand-down",
        (Start::Recorded, false) => "the event",
        (Start::StandDown, _) => "the stand-down of the person's residence",
        (Start::Never, _) => "—",
    }
}

fn treatment_text(treatment: Treatment) -> &'static str {
    match treatment {
        Treatment::Deleted => "deleted",
        Treatment::Anonymized => "anonymized",
        Treatment::Unlinked => "record ids and reason removed; who, when, what stay",
        Treatment::Pruned => "pruned",
        Treatment::Kept => "kept",
    }
}

/// The policy as the README shows it: one row per rule, with its default, then the holds.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| records | kept for (default) | clock starts at | then | setting | legal note |\n\
         |---|---|---|---|---|---|\n",
    );
    for rule in RULES {
        let days = rule
            .default_days
            .map_or_else(|| "not purged".to_owned(), |d| format!("{d} days"));
        let setting = rule
            .setting
            .map_or_else(|| "—".to_owned(), |s| format!("`{s}`"));
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            rule.records,
            days,
            start_text(rule),
            treatment_text(rule.treatment),
            setting,
            rule.legal_note
        ));
    }
    out.push_str(
        "\nLegal holds: a person under one keeps every record (the person, their checks and \
         passages), whatever the clock says, and shows no `purgeAt`:\n\n",
    );
    for (_, what, why) in HOLDS {
        out.push_str(&format!("- {what}: {why}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_exactly_one_rule() {
        for kind in [
            Kind::HealthCheck,
            Kind::CheckpointEntry,
            Kind::EmergencyPerson,
            Kind::CaseRecords,
            Kind::DailyReport,
            Kind::AuditEvent,
            Kind::ChangeLog,
        ] {
            assert_eq!(
                RULES.iter().filter(|r| r.kind == kind).count(),
                1,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn a_rule_with_a_period_names_its_setting_and_a_kept_rule_has_neither() {
        for rule in RULES {
            assert_eq!(
                rule.default_days.is_some(),
                rule.setting.is_some(),
                "{:?}",
                rule.kind
            );
            assert_eq!(
                rule.treatment == Treatment::Kept,
                rule.default_days.is_none(),
                "{:?}",
                rule.kind
            );
        }
    }

    #[test]
    fn the_audit_trail_is_kept_longest() {
        let audit = rule(Kind::AuditEvent).and_then(|r| r.default_days);
        for rule in RULES {
            if let (Some(days), false) = (rule.default_days, rule.kind == Kind::AuditEvent) {
                assert!(Some(days) < audit, "{:?}", rule.kind);
            }
        }
    }

    #[test]
    fn emergency_only_data_waits_for_the_stand_down() {
        for kind in [
            Kind::HealthCheck,
            Kind::CheckpointEntry,
            Kind::EmergencyPerson,
        ] {
            assert!(rule(kind).is_some_and(|r| r.after_stand_down), "{kind:?}");
        }
    }
}
