//! Finding units by name without diacritics, and converting legacy addresses to 2025 communes.

use kernel::text::fold;
use kernel::{AppError, ErrorCode};
use serde::Deserialize;

use super::data::{AdminUnits, Commune, Province};

/// Unit-type words and their abbreviations, folded; stripped before comparing names.
const PREFIXES: [&str; 14] = [
    "thanh pho ",
    "tp. ",
    "tp ",
    "tinh ",
    "phuong ",
    "p. ",
    "p ",
    "xa ",
    "x. ",
    "thi tran ",
    "tt. ",
    "tt ",
    "dac khu ",
    "quan ",
];

fn strip_prefix(folded: &str) -> &str {
    for p in PREFIXES {
        if let Some(rest) = folded.strip_prefix(p) {
            return rest.trim();
        }
    }
    folded
}

/// How well a candidate's folded names match a folded query: exact on the full name, exact on the
/// name without its unit word, or a prefix of it.
fn score(query: &str, full: &str) -> Option<u8> {
    let bare_q = strip_prefix(query);
    let bare = strip_prefix(full);
    if query == full {
        Some(0)
    } else if bare_q == bare {
        // "p. hong ha" names a ward: prefer units whose type word agrees.
        Some(if same_kind(query, full) { 1 } else { 2 })
    } else if !bare_q.is_empty() && bare.starts_with(bare_q) {
        Some(3)
    } else {
        None
    }
}

fn same_kind(query: &str, full: &str) -> bool {
    let kind = |s: &str| {
        if s.starts_with("p. ") || s.starts_with("p ") || s.starts_with("phuong ") {
            Some("phuong")
        } else if s.starts_with("x. ") || s.starts_with("xa ") {
            Some("xa")
        } else {
            None
        }
    };
    kind(query).is_none() || kind(query) == kind(full)
}

/// A legacy (pre-2025) address: province, optional district and commune names or codes.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyAddress {
    pub province: String,
    pub district: Option<String>,
    pub commune: String,
}

impl AdminUnits {
    /// The legacy (63-province) code, three digits, of the province most of a 2025 commune's
    /// legacy communes belonged to: the place-of-birth part of a personal id issued today.
    pub fn legacy_province_code(&self, commune_2025: &str) -> Option<String> {
        let mut votes: std::collections::BTreeMap<&str, u32> = std::collections::BTreeMap::new();
        for l in &self.legacy {
            if self.to_2025_all(&l.code).iter().any(|c| c.code == commune_2025) {
                *votes.entry(l.province_code.as_str()).or_insert(0) += 1;
            }
        }
        let best = votes.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))?;
        Some(format!("{:0>3}", best.0))
    }

    /// Provinces whose name matches `query` (diacritics and "Tỉnh"/"Thành phố" optional), best first.
    pub fn find_provinces(&self, query: &str) -> Vec<&Province> {
        let q = fold(query);
        let mut hits: Vec<(u8, &Province)> = self
            .provinces
            .iter()
            .filter_map(|p| {
                if p.code == query.trim() {
                    return Some((0, p));
                }
                score(&q, &fold(&p.name)).map(|s| (s, p))
            })
            .collect();
        hits.sort_by_key(|(s, p)| (*s, p.code.clone()));
        hits.into_iter().map(|(_, p)| p).collect()
    }

    /// Communes whose name matches `query`, optionally within one province, best first.
    pub fn find_communes(&self, query: &str, province_code: Option<&str>) -> Vec<&Commune> {
        let q = fold(query);
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, &Commune)> = self
            .communes
            .iter()
            .filter(|c| province_code.map(|p| c.province_code == p).unwrap_or(true))
            .filter_map(|c| {
                if c.code == query.trim() {
                    return Some((0, c));
                }
                score(&q, &c.folded[0]).map(|s| (s, c))
            })
            .collect();
        hits.sort_by_key(|(s, c)| (*s, c.code.clone()));
        hits.into_iter().map(|(_, c)| c).collect()
    }

    /// The 2025 commune for a legacy address given by names (or codes). A commune that was split
    /// goes to the default new commune, the one holding its centre.
    pub fn convert_legacy(&self, addr: &LegacyAddress) -> Result<&Commune, AppError> {
        let unknown = |what: &str| AppError::new(ErrorCode::UnknownCommune, format!("no legacy {what} matches"));
        if let Some(c) = self.legacy_commune(addr.commune.trim()) {
            return self.to_2025(&c.code).ok_or_else(|| unknown("conversion"));
        }
        let p = fold(&addr.province);
        let d = addr.district.as_deref().map(fold);
        let c = fold(&addr.commune);
        let best = self
            .legacy
            .iter()
            .filter(|l| l.province_code == addr.province.trim() || score(&p, &l.folded[0]).is_some())
            .filter(|l| match &d {
                Some(d) => {
                    l.district_code == addr.district.as_deref().unwrap_or("").trim() || score(d, &l.folded[1]).is_some()
                }
                None => true,
            })
            .filter_map(|l| score(&c, &l.folded[2]).filter(|s| *s < 3).map(|s| (s, l)))
            .min_by_key(|(s, l)| (*s, l.code.clone()))
            .ok_or_else(|| unknown("commune"))?;
        self.to_2025(&best.1.code).ok_or_else(|| unknown("conversion"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_province_without_diacritics() {
        let u = AdminUnits::get();
        assert_eq!(u.find_provinces("tuyen quang")[0].code, "08");
        assert_eq!(u.find_provinces("Tỉnh Tuyên Quang")[0].code, "08");
        assert_eq!(u.find_provinces("tp ha noi")[0].code, "01");
        assert!(u.find_provinces("atlantis").is_empty());
    }

    #[test]
    fn finds_ward_by_abbreviation() {
        let u = AdminUnits::get();
        let hits = u.find_communes("P. Hồng Hà", None);
        assert!(!hits.is_empty());
        assert_eq!(hits[0].name, "Phường Hồng Hà");
        let in_tq = u.find_communes("ha giang 1", Some("08"));
        assert_eq!(in_tq[0].name, "Phường Hà Giang 1");
        assert!(u.find_communes("", None).is_empty());
    }

    #[test]
    fn converts_legacy_address() {
        let u = AdminUnits::get();
        // Phường Phúc Xá, Quận Ba Đình, Hà Nội (legacy 00001) → 2025 commune 00097.
        let addr = LegacyAddress {
            province: "Ha Noi".into(),
            district: Some("Quan Ba Dinh".into()),
            commune: "phuong phuc xa".into(),
        };
        assert_eq!(u.convert_legacy(&addr).unwrap().code, "00097");
        let by_code = LegacyAddress { province: "01".into(), district: None, commune: "00001".into() };
        assert_eq!(u.convert_legacy(&by_code).unwrap().code, "00097");
        let bad = LegacyAddress { province: "Ha Noi".into(), district: None, commune: "nowhere".into() };
        assert_eq!(u.convert_legacy(&bad).unwrap_err().code, ErrorCode::UnknownCommune);
    }
}
