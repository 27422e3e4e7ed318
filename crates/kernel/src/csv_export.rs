//! CSV files made to be opened in a spreadsheet: UTF-8 with a byte-order mark (so Excel reads the
//! Vietnamese letters), and every cell that a spreadsheet would evaluate as a formula neutralised.
//!
//! A guest who registers under the name `=HYPERLINK("http://…")` must not become a live link in
//! the police officer's Excel. Following OWASP's advice on CSV injection, a cell that starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with an apostrophe, which
//! spreadsheets show as text and do not evaluate.

use std::borrow::Cow;

use crate::error::AppError;

/// Builds one CSV document in memory.
pub struct CsvExport {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for CsvExport {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvExport {
    pub fn new() -> CsvExport {
        CsvExport { writer: csv::Writer::from_writer(Vec::new()) }
    }

    /// Appends one record; every cell is neutralised.
    #[track_caller]
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), AppError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.writer
            .write_record(cells.into_iter().map(|c| neutralise(c.as_ref()).into_owned()))
            .map_err(|e| AppError::internal_from("csv", e))
    }

    /// The document with its byte-order mark.
    #[track_caller]
    pub fn finish(self) -> Result<String, AppError> {
        let bytes = self.writer.into_inner().map_err(|e| AppError::internal_from("csv", e.into_error()))?;
        let text = String::from_utf8(bytes).map_err(|e| AppError::internal_from("csv", e))?;
        Ok(format!("\u{feff}{text}"))
    }
}

/// The cell as a spreadsheet should show it: formulas become text.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        assert_eq!(neutralise("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        for lead in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(lead).starts_with('\''), "{lead:?}");
        }
        assert_eq!(neutralise("Nguyễn Văn A"), "Nguyễn Văn A");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn document_has_bom_and_quoted_cells() {
        let mut c = CsvExport::new();
        c.row(["Họ và tên", "Ghi chú"]).unwrap();
        c.row(["=1+1", "a,b"]).unwrap();
        let text = c.finish().unwrap();
        assert_eq!(text, "\u{feff}Họ và tên,Ghi chú\n'=1+1,\"a,b\"\n");
    }
}
