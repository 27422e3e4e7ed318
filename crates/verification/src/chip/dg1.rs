//! DG1: the machine-readable zone. Vietnamese cards are TD1 (3 lines of 30 characters); the
//! 12-digit personal id is in optional data 1, the document number is its last 9 digits.

use chrono::NaiveDate;
use der::{Any, Tag, TagNumber, Tagged};
use serde::{Deserialize, Serialize};

/// The fields of a TD1 MRZ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mrz {
    pub document_code: String,
    pub issuing_state: String,
    pub document_number: String,
    /// Optional data 1 up to the first filler: the personal id on Vietnamese cards.
    pub optional_data: String,
    pub birth_date: NaiveDate,
    /// `M`, `F` or `<`.
    pub sex: String,
    pub expiry_date: Option<NaiveDate>,
    pub nationality: String,
    /// Transliterated, without diacritics: "NGUYEN VAN AN".
    pub name: String,
}

/// The ICAO 9303 check digit (weights 7, 3, 1; `<` = 0, letters A = 10 … Z = 35).
pub fn check_digit(s: &str) -> u8 {
    let value = |c: u8| match c {
        b'0'..=b'9' => (c - b'0') as u32,
        b'A'..=b'Z' => (c - b'A' + 10) as u32,
        _ => 0,
    };
    let sum: u32 = s.bytes().zip([7u32, 3, 1].iter().cycle()).map(|(c, w)| value(c) * w).sum();
    (sum % 10) as u8 + b'0'
}

fn yymmdd(s: &str, future: bool, today: NaiveDate) -> Option<NaiveDate> {
    use chrono::Datelike;
    let yy: i32 = s.get(0..2)?.parse().ok()?;
    let m: u32 = s.get(2..4)?.parse().ok()?;
    let d: u32 = s.get(4..6)?.parse().ok()?;
    let century = today.year() / 100 * 100;
    // Birth dates are in the past; expiry dates may be up to a century ahead.
    let mut y = century + yy;
    if !future && y > today.year() {
        y -= 100;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Extracts the MRZ text from DG1 (`61 L 5F1F L mrz`).
fn mrz_text(dg1: &[u8]) -> Result<String, String> {
    let outer: Any = super::sig::decode("DG1", dg1)?;
    if outer.tag() != (Tag::Application { constructed: true, number: TagNumber::new(1) }) {
        return Err("DG1 must start with tag 61".into());
    }
    // 5F1F is [APPLICATION 31] in the long tag form, which the DER library does not model.
    let v = outer.value();
    let (tag, rest) = v.split_at_checked(2).ok_or("DG1 too short")?;
    if tag != [0x5F, 0x1F] {
        return Err("DG1 must hold tag 5F1F".into());
    }
    let (&len, rest) = rest.split_first().ok_or("DG1 too short")?;
    let body = match len {
        0..=0x7F => rest.get(..len as usize),
        0x81 => rest.split_first().and_then(|(&l, r)| r.get(..l as usize)),
        _ => None,
    }
    .ok_or("DG1 MRZ length is wrong")?;
    String::from_utf8(body.to_vec()).map_err(|_| "MRZ is not ASCII".into())
}

/// Parses DG1 and checks every check digit.
pub fn parse(dg1: &[u8], today: NaiveDate) -> Result<Mrz, String> {
    let text = mrz_text(dg1)?;
    let mrz: &[u8; 90] = match text.as_bytes().try_into() {
        Ok(mrz) if text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<') => mrz,
        _ => return Err("MRZ must be 90 characters A-Z, 0-9, < (TD1)".into()),
    };
    let (l1, l2, l3) = (&text[0..30], &text[30..60], &text[60..90]);
    let check = |field: &str, digit: u8, what: &str| {
        if check_digit(field) == digit {
            Ok(())
        } else {
            Err(format!("MRZ check digit of the {what} is wrong"))
        }
    };
    // Check digits by their place in the 90 characters (line 2 starts at 30).
    check(&l1[5..14], mrz[14], "document number")?;
    check(&l2[0..6], mrz[30 + 6], "birth date")?;
    check(&l2[8..14], mrz[30 + 14], "expiry date")?;
    let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
    check(&composite, mrz[30 + 29], "whole MRZ")?;
    let clean = |s: &str| s.trim_end_matches('<').replace('<', " ").trim().to_string();
    let name = l3.trim_end_matches('<').replace("<<", " ").replace('<', " ");
    Ok(Mrz {
        document_code: clean(&l1[0..2]),
        issuing_state: clean(&l1[2..5]),
        document_number: clean(&l1[5..14]),
        optional_data: l1[15..30].split('<').next().unwrap_or("").to_string(),
        birth_date: yymmdd(&l2[0..6], false, today).ok_or("MRZ birth date is not a date")?,
        sex: l2[7..8].to_string(),
        expiry_date: yymmdd(&l2[8..14], true, today),
        nationality: clean(&l2[15..18]),
        name: name.split_whitespace().collect::<Vec<_>>().join(" "),
    })
}

/// Builds DG1 for a test card.
pub fn encode(mrz: &Mrz) -> Vec<u8> {
    let pad = |s: &str, n: usize| format!("{s:<<n$}").chars().take(n).collect::<String>();
    let number = pad(&mrz.document_number, 9);
    let l1_tail = pad(&mrz.optional_data, 15);
    let l1 = format!(
        "{}{}{}{}{}",
        pad(&mrz.document_code, 2),
        pad(&mrz.issuing_state, 3),
        number,
        check_digit(&number) as char,
        l1_tail
    );
    let dob = mrz.birth_date.format("%y%m%d").to_string();
    let exp = mrz.expiry_date.map(|d| d.format("%y%m%d").to_string()).unwrap_or_else(|| "<<<<<<".into());
    let l2_head = format!(
        "{dob}{}{}{exp}{}{}{}",
        check_digit(&dob) as char,
        pad(&mrz.sex, 1),
        check_digit(&exp) as char,
        pad(&mrz.nationality, 3),
        pad("", 11)
    );
    let composite = format!("{}{}{}{}", &l1[5..30], &l2_head[0..7], &l2_head[8..15], &l2_head[18..29]);
    let l2 = format!("{l2_head}{}", check_digit(&composite) as char);
    let name =
        mrz.name.split_once(' ').map(|(s, g)| format!("{s}<<{}", g.replace(' ', "<"))).unwrap_or(mrz.name.clone());
    let l3 = pad(&name, 30);
    let text = format!("{l1}{l2}{l3}");
    let mut inner = vec![0x5F, 0x1F, text.len() as u8];
    inner.extend_from_slice(text.as_bytes());
    let mut out = vec![0x61, inner.len() as u8];
    out.extend(inner);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icao_check_digit_examples() {
        // ICAO 9303-3 worked examples.
        assert_eq!(check_digit("D23145890") as char, '7');
        assert_eq!(check_digit("740812") as char, '2');
        assert_eq!(check_digit("120415") as char, '9');
    }

    #[test]
    fn round_trips_and_rejects_bad_check_digits() {
        let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let mrz = Mrz {
            document_code: "ID".into(),
            issuing_state: "VNM".into(),
            document_number: "090001234".into(),
            optional_data: "008090001234".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 3, 15).unwrap(),
            sex: "M".into(),
            expiry_date: NaiveDate::from_ymd_opt(2030, 3, 15),
            nationality: "VNM".into(),
            name: "NGUYEN VAN AN".into(),
        };
        let dg1 = encode(&mrz);
        assert_eq!(parse(&dg1, today).unwrap(), mrz);
        let mut bad = dg1.clone();
        let pos = 5 + 5 + 3; // inside the document number
        bad[pos] = if bad[pos] == b'1' { b'2' } else { b'1' };
        assert!(parse(&bad, today).unwrap_err().contains("check digit"));
        assert!(parse(&[0x61, 0x00], today).is_err());
        assert!(parse(&[], today).is_err());
    }
}
