//! Comparing secrets (CSRF tokens, one-time codes, hashes) without leaking, through timing, how
//! many leading bytes matched.

use subtle::ConstantTimeEq;

/// Constant-time equality of two byte strings. The length is not secret: strings of different
/// lengths compare unequal at once.
pub fn ct_eq(a: impl AsRef<[u8]>, b: impl AsRef<[u8]>) -> bool {
    a.as_ref().ct_eq(b.as_ref()).into()
}

#[cfg(test)]
mod tests {
    use super::ct_eq;

    #[test]
    fn equal_only_when_every_byte_matches() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(!ct_eq(b"", b"a"));
        assert!(ct_eq(b"", b""));
    }
}
