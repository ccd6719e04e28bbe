//! Reading a line list row by row, from a file on disk: CSV through the `csv` crate
//! (UTF-8, with or without a byte-order mark, or GB18030 as Excel saves it on Chinese
//! Windows), XLSX through `calamine`'s cell reader. Both stream: a row is handed on and
//! dropped before the next is read, so memory does not grow with the file.

use std::{fs::File, io::BufReader, path::Path};

use calamine::{DataRef, Reader, Xlsx};

use crate::error::{AppError, AppResult};

/// The kinds of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// XLSX files are ZIP archives (`PK\x03\x04`); anything else is read as CSV. The old
    /// binary XLS (`D0 CF 11 E0`) is refused with a hint.
    pub fn sniff(head: &[u8]) -> AppResult<Self> {
        if head.starts_with(b"PK\x03\x04") {
            Ok(Self::Xlsx)
        } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            Err(AppError::bad_input("file", crate::msg!("import-old-xls")))
        } else {
            Ok(Self::Csv)
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Xlsx => "XLSX",
        }
    }
}

/// What the reader hands on: a row's number as the spreadsheet shows it (the first row is
/// 1) and its cells as text. Returning `false` stops the reading.
pub type Visit<'a> = dyn FnMut(u64, Vec<String>) -> AppResult<bool> + 'a;

/// Reads every row of the file (its first sheet, for a workbook) in order, blank rows
/// skipped.
pub fn for_each_row(path: &Path, format: Format, visit: &mut Visit<'_>) -> AppResult<()> {
    match format {
        Format::Csv => csv_rows(path, visit),
        Format::Xlsx => xlsx_rows(path, visit),
    }
}

fn unreadable(format: Format, err: impl std::fmt::Display) -> AppError {
    AppError::bad_input(
        "file",
        crate::msg!(
            "import-unreadable-file",
            format = format.name(),
            detail = err.to_string()
        ),
    )
}

fn csv_rows(path: &Path, visit: &mut Visit<'_>) -> AppResult<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| unreadable(Format::Csv, e))?;
    let mut record = csv::ByteRecord::new();
    let mut number = 0;
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| unreadable(Format::Csv, e))?;
        if !more {
            return Ok(());
        }
        number += 1;
        let mut cells: Vec<String> = record.iter().map(decode).collect();
        if number == 1 {
            if let Some(first) = cells.first_mut() {
                *first = first.trim_start_matches('\u{feff}').to_owned();
            }
        }
        if is_blank(&cells) {
            continue;
        }
        if !visit(number, cells)? {
            return Ok(());
        }
    }
}

/// A CSV field as text: UTF-8, or else GB18030 (a superset of GBK and GB2312).
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

fn xlsx_rows(path: &Path, visit: &mut Visit<'_>) -> AppResult<()> {
    let file = File::open(path).map_err(|e| unreadable(Format::Xlsx, e))?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(BufReader::new(file)).map_err(|e| unreadable(Format::Xlsx, e))?;
    let Some(sheet) = workbook.sheet_names().into_iter().next() else {
        return Err(unreadable(Format::Xlsx, "the workbook has no sheet"));
    };
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| unreadable(Format::Xlsx, e))?;
    let mut current: Option<(u32, Vec<String>)> = None;
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(Format::Xlsx, e))? {
        let (row, column) = cell.get_position();
        let text = cell_text(cell.get_value());
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            if let Some((r, values)) = current.take() {
                if !is_blank(&values) && !visit(u64::from(r) + 1, values)? {
                    return Ok(());
                }
            }
        }
        let (_, values) = current.get_or_insert_with(|| (row, Vec::new()));
        let column = column as usize;
        if column > MAX_COLUMNS {
            continue;
        }
        if values.len() <= column {
            values.resize(column + 1, String::new());
        }
        values[column] = text;
    }
    if let Some((r, values)) = current {
        if !is_blank(&values) {
            visit(u64::from(r) + 1, values)?;
        }
    }
    Ok(())
}

/// Columns past this are not read: no line list is that wide, and a stray cell far to the
/// right must not make every row that long.
const MAX_COLUMNS: usize = 256;

/// A cell as the text it shows: whole numbers without `.0` (phones typed as numbers), dates
/// as `YYYY-MM-DD`.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d
            .as_datetime()
            .map(|t| t.date().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_bytes_are_read_as_chinese() {
        // "张三" in GBK.
        assert_eq!(decode(&[0xD5, 0xC5, 0xC8, 0xFD]), "张三");
        assert_eq!(decode("李四".as_bytes()), "李四");
    }

    #[test]
    fn workbooks_are_told_from_text_by_their_first_bytes() {
        assert_eq!(Format::sniff(b"PK\x03\x04rest").ok(), Some(Format::Xlsx));
        assert_eq!(
            Format::sniff("姓名,手机".as_bytes()).ok(),
            Some(Format::Csv)
        );
        assert!(Format::sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0]).is_err());
    }
}
