//! Writing rows as CSV or XLSX, a page at a time, in memory bounded by a page.

use std::io::Write;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::query::Cell;
use crate::error::{AppError, AppResult};

/// The two formats a ledger comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
}

impl FileKind {
    pub fn parse(extension: &str) -> Option<Self> {
        match extension {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The byte-order mark that makes Excel read a CSV file as UTF-8 (else Chinese is garbled).
pub const UTF8_BOM: &[u8] = "\u{feff}".as_bytes();

/// CSV lines for a batch of rows (the header is a row like the others).
pub fn csv_rows(rows: &[Vec<Cell>]) -> AppResult<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row.iter().map(csv_field))
            .map_err(AppError::internal)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::internal(e.to_string()))
}

/// A text cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`) gets the
/// leading apostrophe that spreadsheets read as "this is text": a name or an address typed
/// by anyone must never run as a formula on the machine that opens the ledger.
fn csv_field(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Number(n) => n.to_string(),
        Cell::Text(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
            format!("'{text}")
        }
        Cell::Text(text) => text.clone(),
    }
}

/// An XLSX workbook of one sheet in rust_xlsxwriter's constant-memory mode: each row goes
/// to a temporary file as soon as the next one starts, strings are written inline (no
/// shared-string table grows with the sheet), so memory holds one row whatever the length;
/// `finish` then zips the sheet straight into the writer it is given.
pub struct XlsxSheet {
    workbook: Workbook,
    next_row: u32,
    header: Format,
}

impl XlsxSheet {
    pub fn new(title: &str) -> AppResult<Self> {
        let mut workbook = Workbook::new();
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        sheet.set_name(title).map_err(xlsx_error)?;
        Ok(Self {
            workbook,
            next_row: 0,
            header: Format::new().set_bold(),
        })
    }

    fn sheet(&mut self) -> AppResult<&mut Worksheet> {
        self.workbook.worksheet_from_index(0).map_err(xlsx_error)
    }

    pub fn header(&mut self, headers: &[&str]) -> AppResult<()> {
        let format = self.header.clone();
        let row = self.next_row;
        let sheet = self.sheet()?;
        for (column, header) in (0u16..).zip(headers) {
            sheet
                .write_string_with_format(row, column, *header, &format)
                .map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        self.next_row += 1;
        Ok(())
    }

    pub fn rows(&mut self, rows: &[Vec<Cell>]) -> AppResult<()> {
        for row in rows {
            let index = self.next_row;
            let sheet = self.sheet()?;
            for (column, cell) in (0u16..).zip(row) {
                match cell {
                    Cell::Empty => {}
                    // Typed as a string: nothing in a text cell is ever a formula.
                    Cell::Text(text) => {
                        sheet
                            .write_string(index, column, text)
                            .map_err(xlsx_error)?;
                    }
                    Cell::Number(n) => match n.as_f64() {
                        Some(value) => {
                            sheet
                                .write_number(index, column, value)
                                .map_err(xlsx_error)?;
                        }
                        None => {
                            sheet
                                .write_string(index, column, n.to_string())
                                .map_err(xlsx_error)?;
                        }
                    },
                }
            }
            self.next_row = self
                .next_row
                .checked_add(1)
                .ok_or_else(|| AppError::LimitExceeded(crate::msg!("export-too-many-rows")))?;
        }
        Ok(())
    }

    /// Zips the workbook into `out` as it goes (no seeking: a stream will do).
    pub fn finish(mut self, out: impl Write + Send) -> AppResult<()> {
        self.workbook.save_to_writer(out).map_err(xlsx_error)
    }
}

fn xlsx_error(error: XlsxError) -> AppError {
    AppError::internal(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_looks_like_a_formula_stays_text_in_csv() {
        let rows = vec![vec![
            Cell::Text("=HYPERLINK(\"x\")".into()),
            Cell::Text("张三".into()),
            Cell::Number(serde_json::Number::from(3)),
            Cell::Empty,
        ]];
        let csv = String::from_utf8(csv_rows(&rows).unwrap_or_default()).unwrap_or_default();
        assert_eq!(csv, "\"'=HYPERLINK(\"\"x\"\")\",张三,3,\r\n");
    }
}
