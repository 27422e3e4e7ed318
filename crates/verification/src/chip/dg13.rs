//! DG13: the Vietnamese card's own data group. Its real layout is not public, so dancu defines one
//! (documented in docs/VERIFICATION.md): tag `6D` ([APPLICATION 13], constructed) holding
//! context-specific primitive fields `[1]`…`[16]`, each a UTF-8 string, in any order, unknown tags
//! ignored. A chip-reader integration maps the real DG13 onto these fields.

use der::{Any, Decode, Encode, Tag, TagNumber, Tagged};
use serde::{Deserialize, Serialize};

/// The fields of DG13 (all as printed on the card).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dg13 {
    pub personal_id: Option<String>,
    pub full_name: Option<String>,
    /// `dd/mm/yyyy` (or `yyyy` for partial dates).
    pub birth_date: Option<String>,
    /// `Nam` / `Nữ`.
    pub sex: Option<String>,
    pub nationality: Option<String>,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub hometown: Option<String>,
    pub residence: Option<String>,
    pub identifying_features: Option<String>,
    pub issue_date: Option<String>,
    pub expiry_date: Option<String>,
    pub father_name: Option<String>,
    pub mother_name: Option<String>,
    pub spouse_name: Option<String>,
    pub old_id: Option<String>,
}

impl Dg13 {
    fn slots(&mut self) -> [&mut Option<String>; 16] {
        [
            &mut self.personal_id,
            &mut self.full_name,
            &mut self.birth_date,
            &mut self.sex,
            &mut self.nationality,
            &mut self.ethnicity,
            &mut self.religion,
            &mut self.hometown,
            &mut self.residence,
            &mut self.identifying_features,
            &mut self.issue_date,
            &mut self.expiry_date,
            &mut self.father_name,
            &mut self.mother_name,
            &mut self.spouse_name,
            &mut self.old_id,
        ]
    }
}

const DG13_TAG: Tag = Tag::Application { constructed: true, number: TagNumber::N13 };

/// Parses DG13.
pub fn parse(bytes: &[u8]) -> Result<Dg13, String> {
    let outer: Any = super::sig::decode("DG13", bytes)?;
    if outer.tag() != DG13_TAG {
        return Err("DG13 must start with tag 6D".into());
    }
    let mut out = Dg13::default();
    let mut rest = outer.value();
    while !rest.is_empty() {
        let field = Any::from_der_partial(rest).map_err(|e| format!("DG13 field: {e}"))?;
        rest = rest.get(field_len(&field)?..).ok_or("DG13 field runs past the end")?;
        if let Tag::ContextSpecific { constructed: false, number } = field.tag() {
            let index = number.value() as usize;
            if (1..=16).contains(&index) {
                let text =
                    std::str::from_utf8(field.value()).map_err(|_| format!("DG13 field {index} is not UTF-8"))?;
                if let Some(slot) = out.slots().into_iter().nth(index - 1) {
                    *slot = Some(kernel::text::normalize_name(text));
                }
            }
        }
    }
    Ok(out)
}

fn field_len(field: &Any) -> Result<usize, String> {
    field.encoded_len().map_err(|e| e.to_string()).and_then(|l| usize::try_from(l).map_err(|e| e.to_string()))
}

/// Builds DG13 for a test card; fails only for a field too long for DER.
pub fn encode(dg: &Dg13) -> der::Result<Vec<u8>> {
    let mut copy = dg.clone();
    let mut body = Vec::new();
    for (i, slot) in copy.slots().into_iter().enumerate() {
        if let Some(v) = slot {
            let tag = Tag::ContextSpecific { constructed: false, number: TagNumber::new(i as u8 + 1) };
            body.extend(Any::new(tag, v.as_bytes())?.to_der()?);
        }
    }
    Any::new(DG13_TAG, body)?.to_der()
}

/// `Any::from_der` that leaves the rest of the input.
trait FromDerPartial: Sized {
    fn from_der_partial(bytes: &[u8]) -> der::Result<Self>;
}

impl FromDerPartial for Any {
    fn from_der_partial(bytes: &[u8]) -> der::Result<Any> {
        let mut reader = der::SliceReader::new(bytes)?;
        <Any as Decode>::decode(&mut reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ignores_unknown_fields() {
        let dg = Dg13 {
            personal_id: Some("008090001234".into()),
            full_name: Some("Nguyễn Văn An".into()),
            birth_date: Some("15/03/1990".into()),
            sex: Some("Nam".into()),
            residence: Some("Tổ 5, phường Hà Giang 1, Tuyên Quang".into()),
            father_name: Some("Nguyễn Văn Bình".into()),
            ..Dg13::default()
        };
        let bytes = encode(&dg).unwrap();
        assert_eq!(bytes[0], 0x6D);
        assert_eq!(parse(&bytes).unwrap(), dg);
        assert!(parse(&[0x6C, 0x00]).is_err());
        assert!(parse(&[0x6D, 0x05, 0x81, 0x09]).is_err());
        assert!(parse(&[0x6D, 0x02, 0x81, 0x01]).is_err(), "field longer than the data group");
    }
}
