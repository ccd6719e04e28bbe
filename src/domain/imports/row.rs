//! One row of a line list, read into the fields of a registration, or refused naming the
//! column and the reason, with the same validated types a single registration uses.

use chrono::NaiveDate;
use entity::{DocumentType, Sex};

use super::columns::{fold_width, Columns, Field};
use crate::{
    domain::values::{parse_birth_date, BoundedText, Document, PersonName, Phone},
    i18n::Msg,
};

/// Why a row was refused: the column (its header in the file) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub column: String,
    /// Rendered in the reader's language when the report is read.
    pub reason: Msg,
}

impl Rejection {
    pub fn new(columns: &Columns, field: Field, reason: Msg) -> Self {
        Self {
            column: columns.header_of(field),
            reason,
        }
    }
}

/// A row's fields, validated; the grid is resolved against the org tree afterwards.
#[derive(Debug, Clone)]
pub struct Draft {
    pub document: Option<Document>,
    pub name: PersonName,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<Phone>,
    pub address: Option<BoundedText>,
    /// The grid's code or name, as written.
    pub grid: Option<String>,
}

/// Reads one row. Cells are folded from full-width forms and trimmed first; an empty cell
/// is an absent value.
pub fn read(columns: &Columns, cells: &[String]) -> Result<Draft, Rejection> {
    let cell = |field: Field| -> Option<String> {
        let text = fold_width(cells.get(columns.position(field)?)?);
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    };
    let reject = |field: Field, reason: Msg| Rejection::new(columns, field, reason);

    let name = PersonName::parse(&cell(Field::Name).unwrap_or_default())
        .map_err(|m| reject(Field::Name, m))?;
    let kind = match cell(Field::DocumentType) {
        None => DocumentType::ResidentId,
        Some(text) => document_type(&text)
            .ok_or_else(|| reject(Field::DocumentType, crate::msg!("import-bad-document-type")))?,
    };
    let document = cell(Field::Document)
        .map(|number| Document::parse(kind, &number).map_err(|m| reject(Field::Document, m)))
        .transpose()?;
    let sex = cell(Field::Sex)
        .map(|text| sex(&text).ok_or_else(|| reject(Field::Sex, crate::msg!("import-bad-sex"))))
        .transpose()?;
    let birth_date = cell(Field::BirthDate)
        .map(|text| {
            date(&text)
                .ok_or_else(|| crate::msg!("import-bad-birth-date"))
                .and_then(parse_birth_date)
                .map_err(|m| reject(Field::BirthDate, m))
        })
        .transpose()?;
    let phone = cell(Field::Phone)
        .map(|text| Phone::parse(&text).map_err(|m| reject(Field::Phone, m)))
        .transpose()?;
    let address = cell(Field::Address)
        .map(|text| BoundedText::parse(&text, 200).map_err(|m| reject(Field::Address, m)))
        .transpose()?;
    if let Some(from) = cell(Field::From) {
        BoundedText::parse(&from, 100).map_err(|m| reject(Field::From, m))?;
    }
    if let Some(text) = cell(Field::Arrival) {
        date(&text)
            .ok_or_else(|| reject(Field::Arrival, crate::msg!("import-bad-arrival-date")))?;
    }
    Ok(Draft {
        document,
        name,
        sex,
        birth_date,
        phone,
        address,
        grid: cell(Field::Grid),
    })
}

fn document_type(text: &str) -> Option<DocumentType> {
    let t = text.to_ascii_uppercase();
    Some(match t.as_str() {
        "身份证" | "居民身份证" | "RESIDENT_ID" | "RESIDENTID" | "ID" | "ID CARD" => {
            DocumentType::ResidentId
        }
        "护照" | "PASSPORT" => DocumentType::Passport,
        "港澳通行证" | "港澳居民来往内地通行证" | "HK_MACAO_PERMIT" => {
            DocumentType::HkMacaoPermit
        }
        "台胞证" | "台湾居民来往大陆通行证" | "TAIWAN_PERMIT" => {
            DocumentType::TaiwanPermit
        }
        "永久居留证" | "外国人永久居留身份证" | "FOREIGNER_PERMANENT_RESIDENCE" => {
            DocumentType::ForeignerPermanentResidence
        }
        "其他" | "OTHER" => DocumentType::Other,
        _ => return None,
    })
}

fn sex(text: &str) -> Option<Sex> {
    match text.to_ascii_lowercase().as_str() {
        "男" | "m" | "male" | "男性" => Some(Sex::Male),
        "女" | "f" | "female" | "女性" => Some(Sex::Female),
        _ => None,
    }
}

/// A date as spreadsheets hold it: `2026-11-28`, `2026/11/28`, `2026.11.28`,
/// `2026年11月28日`, `20261128`, with or without a time after it. A date without a year
/// (`11月28日`, `11-28`) is not accepted: a list kept across a new year would be misread.
pub fn date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let day = text.split([' ', 'T']).next().unwrap_or(text);
    if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(day, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = day
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    if year.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::imports::columns::Mapping;

    fn columns(headers: &[&str]) -> Columns {
        Columns::from_headers(
            headers.iter().map(|h| (*h).to_owned()).collect(),
            &Mapping::default(),
        )
        .unwrap()
    }

    fn cells(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn dates_are_read_in_the_usual_spreadsheet_forms() {
        let expected = NaiveDate::from_ymd_opt(2026, 11, 28);
        for text in [
            "2026-11-28",
            "2026/11/28",
            "2026.11.28",
            "2026年11月28日",
            "20261128",
            "2026-11-28 08:30:00",
        ] {
            assert_eq!(date(text), expected, "{text}");
        }
        assert_eq!(date("11月28日"), None);
        assert_eq!(date("2026-02-30"), None);
    }

    #[test]
    fn a_full_width_resident_id_is_read_as_its_ascii_form() {
        let c = columns(&["姓名", "身份证号"]);
        let draft = read(
            &c,
            &cells(&["王芳", "１１０１０５１９４９１２３１００２Ｘ"]),
        )
        .unwrap();
        assert_eq!(
            draft.document.map(|d| d.number().to_owned()),
            Some("11010519491231002X".to_owned())
        );
    }

    #[test]
    fn a_bad_check_digit_names_the_column_and_the_reason() {
        let c = columns(&["姓名", "身份证号码"]);
        let rejection = read(&c, &cells(&["王芳", "110105194912310021"])).unwrap_err();
        assert_eq!(rejection.column, "身份证号码");
        assert_eq!(
            rejection.reason.render(crate::i18n::Locale::En),
            "the check digit does not match"
        );
    }

    #[test]
    fn a_row_without_a_name_is_refused_at_the_name_column() {
        let c = columns(&["Name", "Phone"]);
        let rejection = read(&c, &cells(&["", "13900000000"])).unwrap_err();
        assert_eq!(rejection.column, "Name");
    }
}
