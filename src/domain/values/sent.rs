//! Values of a batch item as the device sent them. A phone back from an offline shift sends
//! hours of work at once, and one item with a clock that lost its time zone, or a number
//! typed with a comma, must be rejected alone: such fields reach the domain unparsed and are
//! checked here, item by item, with a message that names the form expected.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SubsecRound, Utc};

/// A field's value as sent, before any check.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    Text(String),
    Number(f64),
    /// A bare name, as an enum value is written in a query (`HIGH`).
    Name(String),
    /// Anything else, as it reads in a message: `true`, `a list`.
    Other(String),
}

/// What is wrong with the form of a sent value; the message is worded with the item's
/// other errors (`domain::batch::Problem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wrong {
    /// A local date and time, which says nothing of where on earth it was taken.
    NoOffset,
    DateWithoutTime,
    NumberForTimestamp,
    NotATimestamp,
    NotANumber,
    /// Not one of these names.
    NotOneOf(Vec<&'static str>),
}

/// A sent value of the wrong form: how it reads in a message, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The value as sent: quoted and cut short if it was text.
    pub shown: String,
    pub wrong: Wrong,
}

/// One of a few names (an enum value), or what was sent instead.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice<T> {
    Known(T),
    Unknown {
        sent: Sent,
        /// The names it may take.
        allowed: Vec<&'static str>,
    },
}

impl<T: Copy> Choice<T> {
    pub fn known(&self) -> Result<T, Malformed> {
        match self {
            Self::Known(value) => Ok(*value),
            Self::Unknown { sent, allowed } => {
                Err(sent.malformed(Wrong::NotOneOf(allowed.clone())))
            }
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Choice<U> {
        match self {
            Self::Known(value) => Choice::Known(f(value)),
            Self::Unknown { sent, allowed } => Choice::Unknown { sent, allowed },
        }
    }
}

impl Sent {
    /// An instant with its offset (`2026-12-03T08:30:00+08:00`, `2026-12-03T00:30:00Z`),
    /// kept to the microsecond as both databases store it, so that what was stored compares
    /// equal to the same instant sent again.
    pub fn instant(&self) -> Result<DateTime<Utc>, Malformed> {
        let wrong = match self {
            Self::Text(text) => {
                let text = text.trim();
                if let Ok(at) = text.parse::<DateTime<FixedOffset>>() {
                    return Ok(at.with_timezone(&Utc).trunc_subsecs(6));
                }
                if without_offset(text) {
                    Wrong::NoOffset
                } else if text.parse::<NaiveDate>().is_ok() {
                    Wrong::DateWithoutTime
                } else {
                    Wrong::NotATimestamp
                }
            }
            Self::Number(_) => Wrong::NumberForTimestamp,
            Self::Name(_) | Self::Other(_) => Wrong::NotATimestamp,
        };
        Err(self.malformed(wrong))
    }

    /// A decimal number, sent as a number or as its text (`36.8`, `"36.8"`).
    pub fn number(&self) -> Result<f64, Malformed> {
        match self {
            Self::Number(n) => Ok(*n),
            Self::Text(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| self.malformed(Wrong::NotANumber)),
            Self::Name(_) | Self::Other(_) => Err(self.malformed(Wrong::NotANumber)),
        }
    }

    fn malformed(&self, wrong: Wrong) -> Malformed {
        Malformed {
            shown: self.shown(),
            wrong,
        }
    }

    /// The value as it reads in a message: text quoted and cut short (a value may be 4,000
    /// characters), anything else as it is.
    pub fn shown(&self) -> String {
        const MAX: usize = 40;
        match self {
            Self::Text(text) if text.chars().count() > MAX => {
                let head: String = text.chars().take(MAX).collect();
                format!("\"{head}…\"")
            }
            Self::Text(text) => format!("{text:?}"),
            Self::Number(n) => n.to_string(),
            Self::Name(name) | Self::Other(name) => name.clone(),
        }
    }
}

/// A local date and time, which says nothing of where on earth it was taken.
fn without_offset(text: &str) -> bool {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .any(|form| NaiveDateTime::parse_from_str(text, form).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Sent {
        Sent::Text(s.to_owned())
    }

    fn wrong(result: Result<impl std::fmt::Debug, Malformed>) -> Wrong {
        result.unwrap_err().wrong
    }

    #[test]
    fn an_instant_with_an_offset_is_taken_in_utc() {
        let at = text("2026-12-03T08:30:00+08:00").instant().unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-03T00:30:00+00:00");
        assert_eq!(text("2026-12-03T00:30:00Z").instant(), Ok(at));
    }

    #[test]
    fn an_instant_keeps_microseconds_and_drops_nanoseconds() {
        let at = text("2026-12-03T00:30:00.123456789Z").instant().unwrap();
        assert_eq!(at, text("2026-12-03T00:30:00.123456Z").instant().unwrap());
    }

    #[test]
    fn a_time_without_offset_is_told_apart_from_nonsense() {
        let malformed = text("2026-12-03T08:30:00").instant().unwrap_err();
        assert_eq!(malformed.shown, "\"2026-12-03T08:30:00\"");
        assert_eq!(malformed.wrong, Wrong::NoOffset);
        assert_eq!(
            wrong(text("2026-12-03 08:30:00.5").instant()),
            Wrong::NoOffset
        );
        assert_eq!(wrong(text("2026-12-03").instant()), Wrong::DateWithoutTime);
        assert_eq!(
            wrong(Sent::Number(1_764_750_600_000.0).instant()),
            Wrong::NumberForTimestamp
        );
        assert_eq!(wrong(text("yesterday").instant()), Wrong::NotATimestamp);
        assert_eq!(
            wrong(Sent::Other("true".into()).instant()),
            Wrong::NotATimestamp
        );
    }

    #[test]
    fn a_long_value_is_cut_short_where_it_is_shown() {
        let malformed = text(&"9".repeat(4000)).instant().unwrap_err();
        assert!(malformed.shown.len() < 60, "{}", malformed.shown);
    }

    #[test]
    fn numbers_come_as_numbers_or_as_their_text() {
        assert_eq!(Sent::Number(36.8).number(), Ok(36.8));
        assert_eq!(text(" 36.8 ").number(), Ok(36.8));
        assert_eq!(wrong(text("36,8").number()), Wrong::NotANumber);
        assert!(text("NaN").number().is_err());
        assert!(text("inf").number().is_err());
        assert!(Sent::Other("a list".into()).number().is_err());
        assert!(Sent::Name("HIGH".into()).number().is_err());
    }

    #[test]
    fn a_choice_outside_its_names_says_which_it_may_take() {
        let known: Choice<u8> = Choice::Known(1);
        assert_eq!(known.known(), Ok(1));
        let unknown: Choice<u8> = Choice::Unknown {
            sent: Sent::Name("SIDEWAYS".into()),
            allowed: vec!["INBOUND", "OUTBOUND"],
        };
        let malformed = unknown.known().unwrap_err();
        assert_eq!(malformed.shown, "SIDEWAYS");
        assert_eq!(
            malformed.wrong,
            Wrong::NotOneOf(vec!["INBOUND", "OUTBOUND"])
        );
    }
}
