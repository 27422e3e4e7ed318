//! The organization's own lists that a purpose checks against: an exam centre's candidates for one
//! exam, a coach operator's tickets for one trip. The organization uploads each list as CSV; an
//! upload replaces the list as a whole, and a file with any bad line changes nothing.

use db::sqlx;
use db::Db;
use kernel::{AppError, PersonalId};

use crate::caller::Caller;
use crate::purpose::{ListCheck, PURPOSES};

/// Rows one upload may carry.
pub const MAX_ROWS: usize = 20_000;
/// Longest list code (exam or trip code) and label (seat, ticket number).
const MAX_CODE: usize = 64;
const MAX_LABEL: usize = 100;

/// One person on a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub personal_id: String,
    /// Seat, registration or ticket number, shown with a positive check.
    pub label: String,
}

/// A refused line of an upload (1-based, counting the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub vi: String,
    pub en: String,
}

/// The list kinds: `exam` (candidates) and `ticket` (passengers), each tied to the purpose whose
/// check reads it.
pub fn kind_purpose(kind: &str) -> Option<&'static str> {
    PURPOSES.iter().find(|p| p.list.kind() == Some(kind) && p.list != ListCheck::None).map(|p| p.code)
}

/// Parses an uploaded list: a header `personal_id,label` (the label column is optional), then one
/// person per line. Every bad line is reported with its number; duplicates are bad lines too.
pub fn parse(bytes: &[u8]) -> Result<Vec<Entry>, Vec<LineError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let mut errors = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => {
            push_error(
                &mut errors,
                1,
                "Không đọc được dòng tiêu đề (cần UTF-8).".into(),
                "The header line cannot be read (UTF-8 needed).".into(),
            );
            return Err(errors);
        }
    };
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(id_col) = column("personal_id") else {
        push_error(
            &mut errors,
            1,
            "Thiếu cột personal_id ở dòng tiêu đề.".into(),
            "The header line has no personal_id column.".into(),
        );
        return Err(errors);
    };
    let label_col = column("label");
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        if i >= MAX_ROWS {
            push_error(
                &mut errors,
                line,
                format!("Tối đa {MAX_ROWS} dòng mỗi lần tải lên."),
                format!("At most {MAX_ROWS} lines per upload."),
            );
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                push_error(&mut errors, line, "Dòng không đọc được.".into(), "The line cannot be read.".into());
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let id = record.get(id_col).unwrap_or_default();
        let label = label_col.and_then(|c| record.get(c)).unwrap_or_default().to_string();
        match PersonalId::parse(id) {
            Err(_) => push_error(
                &mut errors,
                line,
                format!("Số định danh “{id}” không hợp lệ (cần đúng 12 chữ số)."),
                format!("Personal id “{id}” is not valid (12 digits needed)."),
            ),
            Ok(_) if !seen.insert(id.to_string()) => push_error(
                &mut errors,
                line,
                format!("Số định danh {id} đã có ở dòng trước."),
                format!("Personal id {id} appears on an earlier line."),
            ),
            Ok(_) if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) => push_error(
                &mut errors,
                line,
                "Nhãn (số ghế, số báo danh) quá dài hoặc có ký tự điều khiển.".into(),
                "The label (seat, candidate number) is too long or has control characters.".into(),
            ),
            Ok(_) => entries.push(Entry { personal_id: id.to_string(), label }),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

fn push_error(errors: &mut Vec<LineError>, line: u64, vi: String, en: String) {
    errors.push(LineError { line, vi, en });
}

/// The refusal of a file with bad lines: every line named in both languages.
pub fn refusal(errors: &[LineError]) -> AppError {
    let vi: Vec<String> = errors.iter().map(|e| format!("Dòng {}: {}", e.line, e.vi)).collect();
    let en: Vec<String> = errors.iter().map(|e| format!("Line {}: {}", e.line, e.en)).collect();
    AppError::invalid(en.join("; ")).with_message(vi.join(" "), en.join(" "))
}

/// Checks the list code (exam or trip code).
fn check_code(code: &str) -> Result<String, AppError> {
    let code = code.trim();
    if code.is_empty()
        || code.chars().count() > MAX_CODE
        || !code.chars().all(|c| c.is_alphanumeric() || "-_./".contains(c))
    {
        return Err(AppError::invalid("list_code: 1 to 64 letters, digits and - _ . /").with_message(
            "Mã kỳ thi hoặc mã chuyến là bắt buộc, gồm chữ, số và - _ . / (tối đa 64 ký tự).",
            "The exam or trip code is required: letters, digits and - _ . / (at most 64 characters).",
        ));
    }
    Ok(code.to_string())
}

/// Replaces the caller's list `kind`/`code` with `entries`, in one transaction; the organization
/// must hold the purpose that reads this kind of list. Returns how many entries the list holds.
pub async fn replace(db: &Db, caller: &Caller, kind: &str, code: &str, entries: &[Entry]) -> Result<usize, AppError> {
    let purpose = kind_purpose(kind).ok_or_else(|| {
        AppError::invalid(format!("unknown list kind {kind:?}: exam or ticket"))
            .with_message("Loại danh sách không hợp lệ.", "Unknown kind of list.")
    })?;
    caller.purpose(purpose)?;
    let code = check_code(code)?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM verifier_lists WHERE org_id = $1 AND kind = $2 AND list_code = $3")
        .bind(&caller.org_id)
        .bind(kind)
        .bind(&code)
        .execute(&mut *tx)
        .await?;
    for e in entries {
        sqlx::query(
            "INSERT INTO verifier_lists (org_id, kind, list_code, personal_id, label) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&caller.org_id)
        .bind(kind)
        .bind(&code)
        .bind(&e.personal_id)
        .bind(&e.label)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_and_all_reported() {
        let ok = parse("\u{feff}personal_id,label\n001090012345,Ghế 12\n\n001090012346,\n".as_bytes()).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0], Entry { personal_id: "001090012345".into(), label: "Ghế 12".into() });
        let bad = parse(b"personal_id,label\n001090012345,A\n12345,B\n001090012345,C\n").unwrap_err();
        assert_eq!(bad.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
        assert!(bad[0].vi.contains("12345") && bad[1].en.contains("earlier line"));
        assert_eq!(parse(b"id,label\n001090012345,A\n").unwrap_err()[0].line, 1);
        assert!(refusal(&bad).message().0.starts_with("Dòng 3:"));
    }

    #[test]
    fn kinds_follow_the_purposes_that_read_them() {
        assert_eq!(kind_purpose("exam"), Some("exam_candidate"));
        assert_eq!(kind_purpose("ticket"), Some("coach_passenger"));
        assert_eq!(kind_purpose("hotel"), None);
    }
}
