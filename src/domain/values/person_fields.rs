//! Validated fields of a person: name, phone, document, address, birth date.
//!
//! Each `parse` names the problem in words a field worker can act on; the GraphQL layer
//! adds the input field's name.

use chrono::{NaiveDate, Utc};
use entity::DocumentType;

use super::resident_id::{mask_document_number, ResidentId};
use crate::{i18n::Msg, msg};

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_output_of_personal_values_reveals_nothing_usable() {
        let phone = Phone::parse("13912345678").unwrap();
        assert_eq!(format!("{phone:?}"), "Phone(…78)");
        let name = PersonName::parse("欧阳娜娜").unwrap();
        assert_eq!(format!("{name:?}"), "PersonName(欧***)");
    }
}

/// A person's name as written on their document: 1 to 50 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, Msg> {
        let name = raw.trim();
        let length = name.chars().count();
        if length == 0 {
            return Err(msg!("must-not-be-empty"));
        }
        if length > 50 {
            return Err(msg!("must-be-at-most-chars", max = 50));
        }
        if name.chars().any(char::is_control) {
            return Err(msg!("must-not-contain-control-characters"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The pseudonymized form of a name: its first character, then one `*` per other character
/// (`张伟` → `张*`, `欧阳娜娜` → `欧***`).
pub fn pseudonymize_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// A mainland phone number: an 11-digit mobile (`1[3-9]` + 9 digits) or a landline with
/// area code (`0` + 2-3 digits, then 7-8 digits). Stored without spaces, dashes or `+86`.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Msg> {
        let digits: String = raw
            .trim()
            .trim_start_matches("+86")
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        let mobile = digits.len() == 11
            && digits.starts_with('1')
            && matches!(digits.as_bytes()[1], b'3'..=b'9');
        let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
        if all_digits && (mobile || landline) {
            Ok(Self(digits))
        } else {
            Err(msg!("expected-phone"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A free-text field with a length bound (addresses, notes).
#[derive(Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, Msg> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(msg!("must-not-be-empty"));
        }
        if text.chars().count() > max_chars {
            return Err(msg!("must-be-at-most-chars", max = max_chars));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(msg!("must-not-contain-control-characters"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An identity document: its type and a number valid for that type.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    kind: DocumentType,
    number: String,
    resident_id: Option<ResidentId>,
}

impl Document {
    /// Resident ID numbers are checked per GB 11643; other documents must be 5 to 20
    /// letters and digits.
    pub fn parse(kind: DocumentType, raw: &str) -> Result<Self, Msg> {
        if kind == DocumentType::ResidentId {
            let id = ResidentId::parse(raw).map_err(|e| e.msg())?;
            return Ok(Self {
                kind,
                number: id.as_str().to_owned(),
                resident_id: Some(id),
            });
        }
        let number: String = raw.trim().to_ascii_uppercase();
        let ok =
            (5..=20).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok {
            return Err(msg!("expected-document-number"));
        }
        Ok(Self {
            kind,
            number,
            resident_id: None,
        })
    }

    pub fn kind(&self) -> DocumentType {
        self.kind
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn resident_id(&self) -> Option<&ResidentId> {
        self.resident_id.as_ref()
    }
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Document({}, {})",
            self.kind,
            mask_document_number(&self.number)
        )
    }
}

/// A birth date: not before 1900 and not in the future.
pub fn parse_birth_date(date: NaiveDate) -> Result<NaiveDate, Msg> {
    if date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default() {
        return Err(msg!("birth-date-too-early"));
    }
    if date > Utc::now().date_naive() {
        return Err(msg!("must-not-be-in-the-future"));
    }
    Ok(date)
}

impl std::fmt::Debug for PersonName {
    // Names are personal data: keep them out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PersonName({})", pseudonymize_name(&self.0))
    }
}

impl std::fmt::Debug for Phone {
    // Only the last two digits: enough to tell numbers apart in a log, not to call anyone.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        write!(f, "Phone(…{tail})")
    }
}

impl std::fmt::Debug for BoundedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BoundedText({} chars)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  李娜 ").unwrap().as_str(), "李娜");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"张".repeat(51)).is_err());
        assert!(PersonName::parse("李\u{0}娜").is_err());
    }

    #[test]
    fn pseudonymized_names_keep_only_the_first_character() {
        assert_eq!(pseudonymize_name("张伟"), "张*");
        assert_eq!(pseudonymize_name("欧阳娜娜"), "欧***");
        assert_eq!(pseudonymize_name(""), "");
    }

    #[test]
    fn mobile_and_landline_numbers_are_accepted_and_normalized() {
        assert_eq!(
            Phone::parse("+86 138-0013-8000").unwrap().as_str(),
            "13800138000"
        );
        assert_eq!(
            Phone::parse("010-62345678").unwrap().as_str(),
            "01062345678"
        );
        for bad in ["12800138000", "1380013800", "phone", "", "138001380001"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resident_id_documents_are_checked_other_documents_are_shaped() {
        assert!(Document::parse(DocumentType::ResidentId, "11010519491231002X").is_ok());
        assert!(Document::parse(DocumentType::ResidentId, "110105194912310021").is_err());
        assert_eq!(
            Document::parse(DocumentType::Passport, " e1234567 ")
                .unwrap()
                .number(),
            "E1234567"
        );
        assert!(Document::parse(DocumentType::Passport, "E12-4567").is_err());
    }

    #[test]
    fn birth_dates_in_the_future_are_refused() {
        let tomorrow = Utc::now().date_naive() + chrono::Days::new(1);
        assert!(parse_birth_date(tomorrow).is_err());
        assert!(parse_birth_date(NaiveDate::from_ymd_opt(1899, 12, 31).unwrap()).is_err());
    }
}
