//! Mainland resident identity card number (居民身份证号码), GB 11643-1999.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// An 18-character resident ID number whose birth date and check digit are valid.
///
/// The only way to get one is [`ResidentId::parse`], so a value of this type is always
/// well-formed; it is stored and compared in its normalized form (upper-case `X`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

/// Why a string is not a resident ID number; the message is safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("must be 18 characters: 17 digits and a check digit (0-9 or X)")]
    Shape,
    #[error("the region code (first 6 digits) is not a valid province code")]
    Region,
    #[error("digits 7 to 14 are not a valid birth date")]
    BirthDate,
    #[error("the check digit does not match")]
    CheckDigit,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl ResidentId {
    /// Parses a resident ID number, tolerating surrounding spaces and a lower-case `x`.
    pub fn parse(raw: &str) -> Result<Self, ResidentIdError> {
        let normalized = raw.trim().to_ascii_uppercase();
        let bytes = normalized.as_bytes();
        if bytes.len() != 18
            || !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(ResidentIdError::Shape);
        }
        // Province codes run from 11 (Beijing) to 82 (Macao); 0x and 9x do not exist.
        let province = u32::from(bytes[0] - b'0') * 10 + u32::from(bytes[1] - b'0');
        if !(11..=82).contains(&province) {
            return Err(ResidentIdError::Region);
        }
        if birth_date_of(&normalized).is_none() {
            return Err(ResidentIdError::BirthDate);
        }
        if check_char(&bytes[..17]) != char::from(bytes[17]) {
            return Err(ResidentIdError::CheckDigit);
        }
        Ok(Self(normalized))
    }

    /// Builds a valid number from a 6-digit region code, a birth date and a 3-digit
    /// sequence (odd for men, even for women), computing the check digit. Used by the demo
    /// and benchmark generators; never yields a number that `parse` would refuse.
    pub fn generate(region: u32, birth: NaiveDate, sequence: u16) -> Option<Self> {
        if !(110_000..=829_999).contains(&region) || sequence > 999 || birth.year() < 1900 {
            return None;
        }
        let body = format!("{region:06}{}{sequence:03}", birth.format("%Y%m%d"));
        let check = check_char(body.as_bytes());
        Self::parse(&format!("{body}{check}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in digits 7 to 14.
    pub fn birth_date(&self) -> NaiveDate {
        // Checked by `parse`; the fallback is unreachable but avoids a panic path.
        birth_date_of(&self.0).unwrap_or_default()
    }

    /// The masked form shown to agencies that may not see the full number:
    /// the first 6 and the last 4 characters, e.g. `110105********123X`.
    pub fn masked(&self) -> String {
        mask_document_number(&self.0)
    }
}

/// Masks any document number to its first 6 and last 4 characters; numbers too short for
/// that keep only their last character visible.
pub fn mask_document_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() > 10 {
        let head: String = chars[..6].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
    } else {
        let tail = chars.last().map(|c| c.to_string()).unwrap_or_default();
        format!("{}{tail}", "*".repeat(chars.len().saturating_sub(1)))
    }
}

fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn birth_date_of(number: &str) -> Option<NaiveDate> {
    let date = NaiveDate::parse_from_str(number.get(6..14)?, "%Y%m%d").ok()?;
    (date.year() >= 1900 && date <= chrono::Utc::now().date_naive()).then_some(date)
}

impl fmt::Debug for ResidentId {
    // Debug output ends up in logs; never print the full number there.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A generated number, not a real person's: region 110105, born 1990-03-07, sequence 123.
    fn sample() -> ResidentId {
        ResidentId::generate(110_105, NaiveDate::from_ymd_opt(1990, 3, 7).unwrap(), 123).unwrap()
    }

    #[test]
    fn a_generated_number_parses_back() {
        let id = sample();
        assert_eq!(ResidentId::parse(id.as_str()), Ok(id.clone()));
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1990, 3, 7).unwrap()
        );
    }

    #[test]
    fn the_check_digit_follows_gb_11643() {
        // Worked example from the standard's annex: 11010519491231002X.
        assert!(ResidentId::parse("11010519491231002X").is_ok());
        assert!(ResidentId::parse("11010519491231002x").is_ok());
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(ResidentIdError::CheckDigit)
        );
    }

    #[test]
    fn wrong_length_or_characters_are_refused() {
        for raw in [
            "",
            "1101051949123100",
            "11010519491231002X1",
            "1101051949123100AX",
            "११०१०५१९४९१२३१००२X",
        ] {
            assert_eq!(ResidentId::parse(raw), Err(ResidentIdError::Shape), "{raw}");
        }
    }

    #[test]
    fn impossible_birth_dates_are_refused() {
        for body in [
            "11010519490231002",
            "11010518991231002",
            "11010530001231002",
        ] {
            let check = check_char(body.as_bytes());
            assert_eq!(
                ResidentId::parse(&format!("{body}{check}")),
                Err(ResidentIdError::BirthDate),
                "{body}"
            );
        }
    }

    #[test]
    fn unknown_province_codes_are_refused() {
        let body = "91010519491231002";
        let check = check_char(body.as_bytes());
        assert_eq!(
            ResidentId::parse(&format!("{body}{check}")),
            Err(ResidentIdError::Region)
        );
    }

    #[test]
    fn masking_keeps_first_six_and_last_four() {
        assert_eq!(
            ResidentId::parse("11010519491231002X").unwrap().masked(),
            "110105********002X"
        );
        assert_eq!(mask_document_number("E1234567"), "*******7");
    }

    #[test]
    fn debug_output_never_shows_the_full_number() {
        assert_eq!(
            format!("{:?}", sample()),
            format!("ResidentId({})", sample().masked())
        );
    }
}
