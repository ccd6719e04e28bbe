//! Values of a batch item as the device sent them. A phone back from an offline shift sends
//! hours of work at once, and one item with a clock that lost its time zone, or a number
//! typed with a comma, must be rejected alone: such fields reach the domain unparsed and are
//! checked here, item by item, with a message that names the form expected.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SubsecRound, Utc};

/// The form an instant must take.
pub const INSTANT_FORM: &str = "RFC 3339 with an offset, e.g. 2026-12-03T08:30:00+08:00";

/// A field's value as sent, before any check.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    Text(String),
    Number(f64),
    /// Anything else, as it reads in a message: `true`, `a list`, a bare name like `HIGH`.
    Other(String),
}

impl Sent {
    /// An instant with its offset (`2026-12-03T08:30:00+08:00`, `2026-12-03T00:30:00Z`),
    /// kept to the microsecond as both databases store it, so that what was stored compares
    /// equal to the same instant sent again.
    pub fn instant(&self) -> Result<DateTime<Utc>, String> {
        let problem = match self {
            Self::Text(text) => {
                let text = text.trim();
                if let Ok(at) = text.parse::<DateTime<FixedOffset>>() {
                    return Ok(at.with_timezone(&Utc).trunc_subsecs(6));
                }
                if without_offset(text) {
                    format!("{} has no offset", shown(text))
                } else if text.parse::<NaiveDate>().is_ok() {
                    format!("{} is a date without a time", shown(text))
                } else {
                    format!("{} is not a timestamp", shown(text))
                }
            }
            Self::Number(n) => format!("{n} is a number, not a timestamp"),
            Self::Other(what) => format!("{what} is not a timestamp"),
        };
        Err(format!("{problem}: expected {INSTANT_FORM}"))
    }

    /// A decimal number, sent as a number or as its text (`36.8`, `"36.8"`); `expected`
    /// completes the message of anything else.
    pub fn number(&self, expected: &str) -> Result<f64, String> {
        match self {
            Self::Number(n) => Ok(*n),
            Self::Text(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| format!("{} is not a number: expected {expected}", shown(text))),
            Self::Other(what) => Err(format!("{what} is not a number: expected {expected}")),
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

/// The sent text in a message: quoted, and cut short (a value may be 4,000 characters).
fn shown(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() > MAX {
        let head: String = text.chars().take(MAX).collect();
        format!("\"{head}…\"")
    } else {
        format!("{text:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Sent {
        Sent::Text(s.to_owned())
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
    fn a_time_without_offset_is_refused_naming_the_form_expected() {
        let message = text("2026-12-03T08:30:00").instant().unwrap_err();
        assert_eq!(
            message,
            "\"2026-12-03T08:30:00\" has no offset: expected RFC 3339 with an offset, \
             e.g. 2026-12-03T08:30:00+08:00"
        );
        assert!(text("2026-12-03 08:30:00.5")
            .instant()
            .unwrap_err()
            .contains("has no offset"));
        assert!(text("2026-12-03")
            .instant()
            .unwrap_err()
            .starts_with("\"2026-12-03\" is a date without a time"));
    }

    #[test]
    fn a_number_or_nonsense_is_not_an_instant() {
        let message = Sent::Number(1_764_750_600_000.0).instant().unwrap_err();
        assert!(
            message.starts_with("1764750600000 is a number, not a timestamp: expected RFC 3339")
        );
        assert!(text("yesterday")
            .instant()
            .unwrap_err()
            .contains("is not a timestamp"));
        assert!(Sent::Other("true".into()).instant().is_err());
    }

    #[test]
    fn a_long_value_is_cut_short_in_the_message() {
        let message = text(&"9".repeat(4000)).instant().unwrap_err();
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn numbers_come_as_numbers_or_as_their_text() {
        assert_eq!(Sent::Number(36.8).number("°C"), Ok(36.8));
        assert_eq!(text(" 36.8 ").number("°C"), Ok(36.8));
        assert_eq!(
            text("36,8").number("°C, e.g. 36.8"),
            Err("\"36,8\" is not a number: expected °C, e.g. 36.8".into())
        );
        assert!(text("NaN").number("°C").is_err());
        assert!(text("inf").number("°C").is_err());
        assert!(Sent::Other("a list".into()).number("°C").is_err());
    }
}
