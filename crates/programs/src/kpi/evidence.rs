//! Evidence files attached to manual KPI values: at most 5 MiB, and only documents a working
//! group can open safely — PDF, JPEG, PNG, Word and Excel files. The type is read from the file's
//! first bytes, not taken from the name or the browser's claim, and the stored media type is the
//! one detected.

/// Largest evidence file accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// Why a file is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    Empty,
    TooLarge,
    /// Not one of the accepted types, or the content does not match the file name's extension.
    UnsupportedType,
}

impl FileProblem {
    /// (Vietnamese, English) message.
    pub fn message(self) -> (&'static str, &'static str) {
        match self {
            FileProblem::Empty => ("Tệp minh chứng rỗng.", "The evidence file is empty."),
            FileProblem::TooLarge => ("Tệp minh chứng vượt quá 5 MiB.", "The evidence file is larger than 5 MiB."),
            FileProblem::UnsupportedType => (
                "Chỉ nhận tệp PDF, JPEG, PNG, Word (.docx) hoặc Excel (.xlsx) đúng định dạng.",
                "Only genuine PDF, JPEG, PNG, Word (.docx) or Excel (.xlsx) files are accepted.",
            ),
        }
    }
}

/// The media type of an accepted evidence file, detected from its content and checked against
/// its name's extension.
pub fn check(name: &str, data: &[u8]) -> Result<&'static str, FileProblem> {
    if data.is_empty() {
        return Err(FileProblem::Empty);
    }
    if data.len() > MAX_BYTES {
        return Err(FileProblem::TooLarge);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let detected = if data.starts_with(b"%PDF-") {
        Some(("application/pdf", &["pdf"][..]))
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", &["jpg", "jpeg"][..]))
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", &["png"][..]))
    } else if data.starts_with(b"PK\x03\x04") && ext == "docx" {
        Some(("application/vnd.openxmlformats-officedocument.wordprocessingml.document", &["docx"][..]))
    } else if data.starts_with(b"PK\x03\x04") && ext == "xlsx" {
        Some(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &["xlsx"][..]))
    } else {
        None
    };
    match detected {
        Some((media_type, exts)) if exts.contains(&ext.as_str()) => Ok(media_type),
        _ => Err(FileProblem::UnsupportedType),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_matching_documents() {
        assert_eq!(check("bien-ban.pdf", b"%PDF-1.7\n..."), Ok("application/pdf"));
        assert_eq!(check("anh.JPG", &[0xFF, 0xD8, 0xFF, 0xE0, 1]), Ok("image/jpeg"));
        assert_eq!(check("so-lieu.xlsx", b"PK\x03\x04rest").map(|t| t.ends_with("sheet")), Ok(true));
        assert_eq!(check("x.pdf", b""), Err(FileProblem::Empty));
        assert_eq!(check("x.pdf", &vec![b'%'; MAX_BYTES + 1]), Err(FileProblem::TooLarge));
        for (name, data) in [
            ("script.html", &b"<html><script>"[..]),
            ("fake.pdf", &b"<html>"[..]),
            ("real-pdf.exe", &b"%PDF-1.4"[..]),
            ("archive.zip", &b"PK\x03\x04"[..]),
            ("noext", &b"%PDF-1.4"[..]),
        ] {
            assert_eq!(check(name, data), Err(FileProblem::UnsupportedType), "{name}");
        }
    }
}
