//! Vietnamese text: NFC normalization for storage and diacritic-free folding for search.
//!
//! Names are stored exactly as written (NFC). Search compares *folded* keys: lower case, diacritics
//! removed, `đ` → `d`, runs of white space collapsed, so "NGUYEN van  an" finds "Nguyễn Văn An".

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// NFC-normalizes and trims, collapsing inner white space to single spaces.
pub fn normalize_name(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The search key of a text: lower case, no diacritics, single spaces.
pub fn fold(s: &str) -> String {
    let lower: String = s.chars().flat_map(char::to_lowercase).collect();
    let mut out = String::with_capacity(lower.len());
    let mut space = false;
    for c in lower.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' => 'd',
            _ => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// True when the text is already in NFC form.
pub fn is_nfc(s: &str) -> bool {
    unicode_normalization::is_nfc(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Nguyễn Văn  Đạt"), "nguyen van dat");
        assert_eq!(fold("  P. Hồng Hà "), "p. hong ha");
        assert_eq!(fold("Tuyên Quang"), "tuyen quang");
    }

    #[test]
    fn normalizes_decomposed_input() {
        let decomposed = "Nguye\u{0302}\u{0303}n"; // e + circumflex + tilde
        let n = normalize_name(decomposed);
        assert!(is_nfc(&n));
        assert_eq!(n, "Nguyễn");
    }

    proptest::proptest! {
        #[test]
        fn fold_is_idempotent(s in "[ a-zA-ZàáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđĐÀÁẠẢÃÂẦẤƯỨ.-]{0,40}") {
            let once = fold(&s);
            proptest::prop_assert_eq!(fold(&once), once.clone());
        }
    }
}
