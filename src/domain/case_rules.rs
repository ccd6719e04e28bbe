//! The life of a case (病例), as two tables: how its classification may change while it is
//! open, and how it may be closed. Every other rule about cases reads these.
//!
//! ```text
//! SUSPECTED ──> CONFIRMED ──close──> RECOVERED | DECEASED
//!     │  └────> ASYMPTOMATIC ──> CONFIRMED
//!     │              │  └──close──> RECOVERED | DECEASED
//!     └──> EXCLUDED <┘   (final: the case closes)
//! ```

use crate::{i18n::Msg, msg};
use entity::{CaseClassification as Class, CaseOutcome as Outcome};

/// Classifications a case may be reported with.
pub const REPORTABLE: [Class; 3] = [Class::Suspected, Class::Confirmed, Class::Asymptomatic];

/// Allowed reclassifications of an open case (from, to). CONFIRMED never goes back to
/// SUSPECTED or ASYMPTOMATIC; EXCLUDED is final.
pub const RECLASSIFICATIONS: [(Class, Class); 5] = [
    (Class::Suspected, Class::Confirmed),
    (Class::Suspected, Class::Asymptomatic),
    (Class::Suspected, Class::Excluded),
    (Class::Asymptomatic, Class::Confirmed),
    (Class::Asymptomatic, Class::Excluded),
];

/// Allowed closings: an ACTIVE case of these classifications may end with these outcomes.
/// A suspected case is not closed but confirmed or excluded; RECOVERED and DECEASED are final.
pub const CLOSINGS: [(Class, Outcome); 4] = [
    (Class::Confirmed, Outcome::Recovered),
    (Class::Confirmed, Outcome::Deceased),
    (Class::Asymptomatic, Outcome::Recovered),
    (Class::Asymptomatic, Outcome::Deceased),
];

/// Whether a case in this state is open (counts as the person's one open case).
pub fn is_open(classification: Class, outcome: Outcome) -> bool {
    classification != Class::Excluded && outcome == Outcome::Active
}

/// Checks a reclassification; the error names both states.
pub fn check_reclassification(current: Class, outcome: Outcome, next: Class) -> Result<(), Msg> {
    if !is_open(current, outcome) {
        return Err(msg!(
            "case-closed-no-reclassification",
            current = current.as_str(),
            outcome = outcome.as_str(),
            next = next.as_str()
        ));
    }
    if RECLASSIFICATIONS.contains(&(current, next)) {
        Ok(())
    } else {
        Err(msg!(
            "case-reclassification-refused",
            current = current.as_str(),
            next = next.as_str()
        ))
    }
}

/// Checks a closing; the error names both states.
pub fn check_closing(classification: Class, current: Outcome, next: Outcome) -> Result<(), Msg> {
    if current != Outcome::Active {
        return Err(msg!(
            "case-closed-no-outcome-change",
            current = current.as_str(),
            next = next.as_str()
        ));
    }
    if CLOSINGS.contains(&(classification, next)) {
        Ok(())
    } else {
        Err(msg!(
            "case-closing-refused",
            current = current.as_str(),
            next = next.as_str(),
            classification = classification.as_str()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use sea_orm::Iterable;

    /// Written out independently of the tables above, so that a change to them shows here.
    const ALLOWED: [&str; 5] = [
        "SUSPECTED->CONFIRMED",
        "SUSPECTED->ASYMPTOMATIC",
        "SUSPECTED->EXCLUDED",
        "ASYMPTOMATIC->CONFIRMED",
        "ASYMPTOMATIC->EXCLUDED",
    ];

    #[test]
    fn every_reclassification_of_an_open_case_is_allowed_or_refused_as_specified() {
        for from in Class::iter() {
            for to in Class::iter() {
                let expected = ALLOWED.contains(&format!("{from}->{to}").as_str());
                let result = check_reclassification(from, Outcome::Active, to);
                assert_eq!(result.is_ok(), expected, "{from} -> {to}: {result:?}");
                if let Err(message) = result.map_err(|m| m.render(Locale::En)) {
                    assert!(
                        message.contains(from.as_str()) && message.contains(to.as_str()),
                        "{message}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_closed_case_is_never_reclassified() {
        for outcome in [Outcome::Recovered, Outcome::Deceased] {
            for to in Class::iter() {
                assert!(check_reclassification(Class::Confirmed, outcome, to).is_err());
            }
        }
    }

    #[test]
    fn only_active_confirmed_or_asymptomatic_cases_close_to_recovered_or_deceased() {
        for class in Class::iter() {
            for from in Outcome::iter() {
                for to in Outcome::iter() {
                    let expected = from == Outcome::Active
                        && matches!(class, Class::Confirmed | Class::Asymptomatic)
                        && matches!(to, Outcome::Recovered | Outcome::Deceased);
                    let result = check_closing(class, from, to);
                    assert_eq!(
                        result.is_ok(),
                        expected,
                        "{class} {from} -> {to}: {result:?}"
                    );
                    if let Err(message) = result.map_err(|m| m.render(Locale::En)) {
                        assert!(
                            message.contains(from.as_str()) && message.contains(to.as_str()),
                            "{message}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn excluded_and_closed_cases_are_not_open() {
        assert!(is_open(Class::Suspected, Outcome::Active));
        assert!(!is_open(Class::Excluded, Outcome::Active));
        assert!(!is_open(Class::Confirmed, Outcome::Deceased));
    }
}
