//! Which column of a line list holds what: headers recognised in Chinese and English, and
//! the caller's mapping over them.

use std::collections::BTreeMap;

use crate::error::{AppError, AppResult};

/// What a column of a line list can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Name,
    DocumentType,
    Document,
    Sex,
    BirthDate,
    Phone,
    Address,
    Grid,
    /// Where a returnee came from (来自): checked, kept out of the person's record.
    From,
    /// When a returnee arrived (返回日期): checked, kept out of the person's record.
    Arrival,
    /// Read past: the caller said so, or the header is not one we know.
    Ignore,
}

impl Field {
    /// The name a caller uses in a mapping, and the report shows.
    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::DocumentType => "documentType",
            Self::Document => "document",
            Self::Sex => "sex",
            Self::BirthDate => "birthDate",
            Self::Phone => "phone",
            Self::Address => "address",
            Self::Grid => "grid",
            Self::From => "from",
            Self::Arrival => "arrival",
            Self::Ignore => "ignore",
        }
    }

    const ALL: [Field; 11] = [
        Self::Name,
        Self::DocumentType,
        Self::Document,
        Self::Sex,
        Self::BirthDate,
        Self::Phone,
        Self::Address,
        Self::Grid,
        Self::From,
        Self::Arrival,
        Self::Ignore,
    ];

    fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.key().eq_ignore_ascii_case(key))
    }

    /// The field a header names, when it is one of the usual ones.
    fn recognise(header: &str) -> Option<Self> {
        let h = comparable(header);
        let field = match h.as_str() {
            "姓名" | "名字" | "人员姓名" | "name" | "fullname" | "名称" => Self::Name,
            "证件类型" | "documenttype" | "doctype" | "idtype" => Self::DocumentType,
            "身份证号" | "身份证号码" | "身份证" | "公民身份号码" | "证件号码" | "证件号"
            | "document" | "documentnumber" | "idnumber" | "idno" | "idcard" => Self::Document,
            "性别" | "sex" | "gender" => Self::Sex,
            "出生日期" | "生日" | "出生年月日" | "birthdate" | "dateofbirth" | "dob"
            | "birthday" => Self::BirthDate,
            "手机" | "手机号" | "手机号码" | "联系电话" | "电话" | "联系方式" | "phone"
            | "mobile" | "tel" | "telephone" | "phonenumber" => Self::Phone,
            "住址" | "地址" | "现住址" | "居住地址" | "家庭住址" | "详细地址" | "address" => {
                Self::Address
            }
            "网格" | "所属网格" | "网格编码" | "网格名称" | "grid" | "gridcode" => {
                Self::Grid
            }
            "来自" | "来源地" | "从何地来" | "出发地" | "来自何地" | "from" | "origin"
            | "comingfrom" => Self::From,
            "返回日期" | "返乡日期" | "到达日期" | "抵达日期" | "返回时间" | "抵达时间"
            | "arrival" | "arrivaldate" | "arrivedon" | "dateofarrival" => Self::Arrival,
            _ => return None,
        };
        Some(field)
    }
}

/// A header or cell as compared: full-width forms folded to ASCII, spaces, underscores,
/// asterisks (required-field marks) and bracketed notes dropped, lower case.
fn comparable(header: &str) -> String {
    let folded = fold_width(header);
    let without_note = match folded.find(['(', '（']) {
        Some(start) if start > 0 => &folded[..start],
        _ => folded.as_str(),
    };
    without_note
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '*' | ':' | '：' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Full-width ASCII forms (ＡＢＣ１２３, the ideographic space) as plain ASCII, as
/// spreadsheets typed with a Chinese input method often hold them.
pub fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match u32::from(c) {
            0x3000 => ' ',
            code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// How the columns of one file are read.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Header of each column, in file order.
    pub headers: Vec<String>,
    /// The field of each column, in file order.
    pub fields: Vec<Field>,
}

impl Columns {
    /// Reads the header row: each header the caller's `mapping` names takes the field it
    /// gives, every other one the field its header is recognised as (or none). A name
    /// column is required, and no field may come from two columns.
    pub fn from_headers(headers: Vec<String>, mapping: &Mapping) -> AppResult<Self> {
        let headers: Vec<String> = headers
            .iter()
            .map(|h| fold_width(h).trim().to_owned())
            .collect();
        let mut fields = Vec::with_capacity(headers.len());
        let mut taken: BTreeMap<Field, &str> = BTreeMap::new();
        for header in &headers {
            let field = mapping
                .0
                .get(&comparable(header))
                .copied()
                .or_else(|| Field::recognise(header))
                .unwrap_or(Field::Ignore);
            if field != Field::Ignore {
                if let Some(first) = taken.insert(field, header) {
                    return Err(AppError::bad_input(
                        "mapping",
                        crate::msg!(
                            "import-columns-both-hold",
                            first = first,
                            header = header.as_str(),
                            field = field.key()
                        ),
                    ));
                }
            }
            fields.push(field);
        }
        for header in mapping.0.keys() {
            if !headers.iter().any(|h| comparable(h) == *header) {
                return Err(AppError::bad_input(
                    "mapping",
                    crate::msg!("import-no-such-column", header = header.as_str()),
                ));
            }
        }
        if !taken.contains_key(&Field::Name) {
            return Err(AppError::bad_input(
                "file",
                crate::msg!(
                    "import-no-name-column",
                    example = r#"mapping={"<header>": "name"}"#
                ),
            ));
        }
        Ok(Self { headers, fields })
    }

    /// The column holding `field`, if any.
    pub fn position(&self, field: Field) -> Option<usize> {
        self.fields.iter().position(|f| *f == field)
    }

    /// The header of the column holding `field`, or the field's own name.
    pub fn header_of(&self, field: Field) -> String {
        self.position(field)
            .and_then(|i| self.headers.get(i))
            .cloned()
            .unwrap_or_else(|| field.key().to_owned())
    }

    /// `[{"column": header, "field": field}]`, for the import's status.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.headers
                .iter()
                .zip(&self.fields)
                .map(
                    |(header, field)| serde_json::json!({ "column": header, "field": field.key() }),
                )
                .collect(),
        )
    }
}

/// The caller's mapping of headers to fields, overriding the recognised ones.
#[derive(Debug, Clone, Default)]
pub struct Mapping(BTreeMap<String, Field>);

impl Mapping {
    /// Parses `{"<header>": "<field>", ...}`; fields are `name`, `document`,
    /// `documentType`, `sex`, `birthDate`, `phone`, `address`, `grid`, `from`, `arrival`
    /// and `ignore`.
    pub fn parse(raw: &str) -> AppResult<Self> {
        let object: BTreeMap<String, String> = serde_json::from_str(raw).map_err(|_| {
            AppError::bad_input(
                "mapping",
                crate::msg!(
                    "import-mapping-not-object",
                    example = r#"{"联系人": "name"}"#
                ),
            )
        })?;
        let mut mapping = BTreeMap::new();
        for (header, key) in object {
            let field = Field::from_key(key.trim()).ok_or_else(|| {
                AppError::bad_input(
                    "mapping",
                    crate::msg!(
                        "import-not-a-field",
                        key = key.as_str(),
                        fields = Field::ALL.map(Field::key).join(", ")
                    ),
                )
            })?;
            mapping.insert(comparable(&header), field);
        }
        Ok(Self(mapping))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(headers: &[&str], mapping: &str) -> AppResult<Columns> {
        let mapping = if mapping.is_empty() {
            Mapping::default()
        } else {
            Mapping::parse(mapping)?
        };
        Columns::from_headers(headers.iter().map(|h| (*h).to_owned()).collect(), &mapping)
    }

    #[test]
    fn chinese_and_english_headers_are_recognised_with_their_decorations() {
        let c = columns(
            &[
                "序号",
                "姓名*",
                "身份证号码（18位）",
                "Phone",
                "ＧＲＩＤ",
                "来自",
                "Arrival Date",
            ],
            "",
        )
        .unwrap();
        assert_eq!(
            c.fields,
            [
                Field::Ignore,
                Field::Name,
                Field::Document,
                Field::Phone,
                Field::Grid,
                Field::From,
                Field::Arrival
            ]
        );
    }

    #[test]
    fn the_callers_mapping_overrides_the_recognised_header() {
        let c = columns(
            &["联系人", "电话", "备用电话"],
            r#"{"联系人": "name", "电话": "ignore", "备用电话": "phone"}"#,
        )
        .unwrap();
        assert_eq!(c.fields, [Field::Name, Field::Ignore, Field::Phone]);
    }

    #[test]
    fn a_list_without_a_name_column_is_refused() {
        assert!(columns(&["身份证号", "手机"], "").is_err());
    }

    #[test]
    fn two_columns_of_one_field_are_refused() {
        assert!(columns(&["姓名", "手机", "联系电话"], "").is_err());
    }

    #[test]
    fn full_width_forms_fold_to_ascii() {
        assert_eq!(fold_width("１１０１０５　ＡＢｘ"), "110105 ABx");
    }
}
