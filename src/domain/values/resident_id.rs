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

impl ResidentIdError {
    /// The message in the reader's language.
    pub fn msg(&self) -> crate::i18n::Msg {
        match self {
            Self::Shape => crate::msg!("resident-id-shape"),
            Self::Region => crate::msg!("resident-id-region"),
            Self::BirthDate => crate::msg!("resident-id-birth-date"),
            Self::CheckDigit => crate::msg!("resident-id-check-digit"),
        }
    }
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
    /// the first 6 and the last 2 characters, e.g. `110105**********2X`.
    pub fn masked(&self) -> String {
        mask_document_number(&self.0)
    }
}

/// Characters of a resident ID number a mask leaves visible: the region (6) and the last 2
/// (the end of the sequence, whose parity is the sex, and the check digit).
const MASK_HEAD: usize = 6;
const MASK_TAIL: usize = 2;

/// Masks a document number so that it cannot be rebuilt from what else a masked viewer
/// sees. An 18-character resident ID keeps its region and last 2 characters: the hidden ten
/// are the birth date (of which a masked viewer sees only the year) and two digits of the
/// sequence, so about 365 × 100 / 11 ≈ 3,300 numbers fit what is shown. Any other number
/// keeps only its last 2 characters (its head is often a type letter and serial block).
pub fn mask_document_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let head = if chars.len() == 18 { MASK_HEAD } else { 0 };
    let tail = MASK_TAIL.min(chars.len() / 3);
    let hidden = chars.len().saturating_sub(head + tail);
    let start: String = chars[..head.min(chars.len())].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}{}{end}", "*".repeat(hidden))
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
    fn masking_keeps_the_region_and_the_last_two_characters() {
        assert_eq!(
            ResidentId::parse("11010519491231002X").unwrap().masked(),
            "110105**********2X"
        );
        assert_eq!(mask_document_number("E12345678"), "*******78");
        assert_eq!(mask_document_number("AB"), "**");
        assert_eq!(mask_document_number(""), "");
    }

    /// What a masked viewer sees of a resident: the masked number, the birth year and the
    /// sex. Every 18-character number that fits all three is a candidate for the real one.
    fn candidates(masked: &str, birth_year: i32) -> usize {
        let head = &masked[..6];
        let tail = &masked[16..];
        let mut n = 0;
        let mut day = NaiveDate::from_ymd_opt(birth_year, 1, 1).unwrap();
        while day.year() == birth_year {
            for middle in 0..100 {
                let candidate = format!("{head}{}{middle:02}{tail}", day.format("%Y%m%d"));
                if ResidentId::parse(&candidate).is_ok_and(|id| id.masked() == masked) {
                    n += 1;
                }
            }
            day = day.succ_opt().unwrap();
        }
        n
    }

    #[test]
    fn a_masked_number_with_the_birth_year_leaves_thousands_of_candidates() {
        for (year, sequence) in [(1949, 2), (1990, 123), (2000, 998), (2020, 1)] {
            let id = ResidentId::generate(
                339_901,
                NaiveDate::from_ymd_opt(year, 7, 1).unwrap(),
                sequence,
            )
            .unwrap();
            let n = candidates(&id.masked(), year);
            assert!(n >= 2_500, "{year}: only {n} candidates");
        }
    }

    #[test]
    fn debug_output_never_shows_the_full_number() {
        assert_eq!(
            format!("{:?}", sample()),
            format!("ResidentId({})", sample().masked())
        );
    }
}
