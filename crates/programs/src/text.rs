//! Free text typed by people (goals, comments, report summaries): NFC, trimmed, line breaks kept.

use unicode_normalization::UnicodeNormalization;

/// NFC-normalized and trimmed.
pub(crate) fn nfc(s: &str) -> String {
    s.nfc().collect::<String>().trim().to_string()
}

/// Text that must not be empty after trimming, limited to `max` characters.
pub(crate) fn required(s: &str, what: &str, max: usize) -> Result<String, kernel::AppError> {
    let t = nfc(s);
    if t.is_empty() {
        return Err(kernel::AppError::invalid(format!("{what} is required")));
    }
    limited(t, what, max)
}

/// Text limited to `max` characters (may be empty).
pub(crate) fn limited(t: String, what: &str, max: usize) -> Result<String, kernel::AppError> {
    if t.chars().count() > max {
        return Err(kernel::AppError::invalid(format!("{what} is longer than {max} characters")));
    }
    Ok(t)
}
