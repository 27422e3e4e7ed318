//! Parsing the embedded CSV files into indexed tables.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const COMMUNES_2025: &str = include_str!("../../../../data/admin-units/communes-2025.csv");
const COMMUNES_LEGACY: &str = include_str!("../../../../data/admin-units/communes-legacy-2024.csv");
const CONVERSION: &str = include_str!("../../../../data/admin-units/commune-conversion-2025.csv");

/// Kind of a 2025 commune-level unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommuneKind {
    /// Phường (urban ward).
    Ward,
    /// Xã (rural commune).
    Commune,
    /// Đặc khu (special zone, islands).
    SpecialZone,
}

impl CommuneKind {
    fn parse(s: &str) -> CommuneKind {
        match s {
            "Phường" => CommuneKind::Ward,
            "Đặc khu" => CommuneKind::SpecialZone,
            _ => CommuneKind::Commune,
        }
    }

    /// The Vietnamese word ("Phường", "Xã", "Đặc khu").
    pub fn label_vi(self) -> &'static str {
        match self {
            CommuneKind::Ward => "Phường",
            CommuneKind::Commune => "Xã",
            CommuneKind::SpecialZone => "Đặc khu",
        }
    }

    /// True for urban units (phường), used for urban/rural breakdowns.
    pub fn is_urban(self) -> bool {
        self == CommuneKind::Ward
    }
}

/// A 2025 province or centrally-run city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Province {
    pub code: String,
    /// Full name ("Tỉnh Tuyên Quang").
    pub name: String,
    /// Short name ("Tuyên Quang").
    pub short_name: String,
}

/// A 2025 commune-level unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commune {
    pub code: String,
    pub province_code: String,
    /// Full name ("Phường Hà Giang 1").
    pub name: String,
    pub short_name: String,
    pub kind: CommuneKind,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Area in km²; missing for a few units in the source catalogue.
    pub area_km2: Option<f64>,
    /// Folded full and short names, for diacritic-free search.
    #[serde(skip)]
    pub(crate) folded: [String; 2],
}

/// A commune of the legacy (before 1 July 2025) three-level system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyCommune {
    pub code: String,
    pub province_code: String,
    pub province_name: String,
    pub district_code: String,
    pub district_name: String,
    pub name: String,
    /// Folded province, district and commune names.
    #[serde(skip)]
    pub(crate) folded: [String; 3],
}

/// All administrative units, indexed.
#[derive(Debug)]
pub struct AdminUnits {
    pub(crate) provinces: Vec<Province>,
    pub(crate) communes: Vec<Commune>,
    pub(crate) legacy: Vec<LegacyCommune>,
    pub(crate) commune_by_code: HashMap<String, usize>,
    pub(crate) legacy_by_code: HashMap<String, usize>,
    /// legacy commune code → (2025 commune code, is default)
    pub(crate) conversion: HashMap<String, Vec<(String, bool)>>,
}

#[derive(Deserialize)]
struct Row2025 {
    province_code: String,
    province_name: String,
    province_short: String,
    commune_code: String,
    commune_name: String,
    commune_short: String,
    commune_type: String,
    lat: Option<f64>,
    lon: Option<f64>,
    area_km2: Option<f64>,
}

#[derive(Deserialize)]
struct RowLegacy {
    province_code: String,
    province_name: String,
    district_code: String,
    district_name: String,
    commune_code: String,
    commune_name: String,
}

#[derive(Deserialize)]
struct RowConversion {
    legacy_commune_code: String,
    commune_code_2025: String,
    is_default: u8,
}

/// The rows of an embedded CSV file. Every row is well-formed (`every_embedded_row_parses`), so
/// none is skipped.
fn rows<T: for<'de> Deserialize<'de>>(text: &'static str) -> Vec<T> {
    csv::Reader::from_reader(text.as_bytes()).into_deserialize().filter_map(Result::ok).collect()
}

impl AdminUnits {
    /// The embedded data set, parsed on first use.
    pub fn get() -> &'static AdminUnits {
        static UNITS: OnceLock<AdminUnits> = OnceLock::new();
        UNITS.get_or_init(AdminUnits::parse)
    }

    fn parse() -> AdminUnits {
        let mut provinces: Vec<Province> = Vec::new();
        let mut communes = Vec::new();
        for r in rows::<Row2025>(COMMUNES_2025) {
            if provinces.last().map(|p| p.code != r.province_code).unwrap_or(true) {
                provinces.push(Province {
                    code: r.province_code.clone(),
                    name: r.province_name,
                    short_name: r.province_short,
                });
            }
            communes.push(Commune {
                code: r.commune_code,
                province_code: r.province_code,
                folded: [kernel::text::fold(&r.commune_name), kernel::text::fold(&r.commune_short)],
                name: r.commune_name,
                short_name: r.commune_short,
                kind: CommuneKind::parse(&r.commune_type),
                lat: r.lat,
                lon: r.lon,
                area_km2: r.area_km2,
            });
        }
        provinces.dedup_by(|a, b| a.code == b.code);
        let legacy: Vec<LegacyCommune> = rows::<RowLegacy>(COMMUNES_LEGACY)
            .into_iter()
            .map(|r| LegacyCommune {
                folded: [
                    kernel::text::fold(&r.province_name),
                    kernel::text::fold(&r.district_name),
                    kernel::text::fold(&r.commune_name),
                ],
                code: r.commune_code,
                province_code: r.province_code,
                province_name: r.province_name,
                district_code: r.district_code,
                district_name: r.district_name,
                name: r.commune_name,
            })
            .collect();
        let mut conversion: HashMap<String, Vec<(String, bool)>> = HashMap::new();
        for r in rows::<RowConversion>(CONVERSION) {
            conversion.entry(r.legacy_commune_code).or_default().push((r.commune_code_2025, r.is_default == 1));
        }
        let commune_by_code = communes.iter().enumerate().map(|(i, c)| (c.code.clone(), i)).collect();
        let legacy_by_code = legacy.iter().enumerate().map(|(i, c)| (c.code.clone(), i)).collect();
        AdminUnits { provinces, communes, legacy, commune_by_code, legacy_by_code, conversion }
    }

    /// The 34 provinces, by code.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    /// Every 2025 commune.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    pub fn province(&self, code: &str) -> Option<&Province> {
        self.provinces.iter().find(|p| p.code == code)
    }

    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_by_code.get(code).and_then(|&i| self.communes.get(i))
    }

    /// Whether `code` is a commune of the catalogue; an unknown one is logged with what was left
    /// out because of it (figures from other modules are only counted for known communes).
    pub fn counts_commune(&self, code: &str, left_out: &str) -> bool {
        let known = self.commune(code).is_some();
        if !known {
            tracing::warn!(commune = code, "commune not in the catalogue; {left_out} not counted");
        }
        known
    }

    /// The communes of a 2025 province, in catalogue order.
    pub fn communes_of(&self, province_code: &str) -> Vec<&Commune> {
        self.communes.iter().filter(|c| c.province_code == province_code).collect()
    }

    pub fn legacy_commune(&self, code: &str) -> Option<&LegacyCommune> {
        self.legacy_by_code.get(code).and_then(|&i| self.legacy.get(i))
    }

    /// Legacy (63-province) codes of the provinces merged into a 2025 province; personal ids of
    /// people born there start with one of these (zero-padded to three digits).
    pub fn legacy_province_codes_of(&self, province_code: &str) -> Vec<String> {
        let mut codes: Vec<String> = self
            .legacy
            .iter()
            .filter(|l| {
                self.to_2025(&l.code)
                    .and_then(|c| self.commune(&c.code))
                    .map(|c| c.province_code == province_code)
                    .unwrap_or(false)
            })
            .map(|l| l.province_code.clone())
            .collect();
        codes.sort();
        codes.dedup();
        codes
    }

    /// The 2025 commune a legacy commune became (the default one where it was split).
    pub fn to_2025(&self, legacy_code: &str) -> Option<&Commune> {
        let targets = self.conversion.get(legacy_code)?;
        let (code, _) = targets.iter().find(|(_, d)| *d).or_else(|| targets.first())?;
        self.commune(code)
    }

    /// Every 2025 commune a legacy commune contributed to (several when it was split).
    pub fn to_2025_all(&self, legacy_code: &str) -> Vec<&Commune> {
        self.conversion
            .get(legacy_code)
            .map(|t| t.iter().filter_map(|(c, _)| self.commune(c)).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_catalogue() {
        let u = AdminUnits::get();
        assert_eq!(u.provinces().len(), 34);
        assert_eq!(u.communes().len(), 3_321);
        assert_eq!(u.legacy.len(), 10_040);
        let tq = u.province("08").unwrap();
        assert_eq!(tq.short_name, "Tuyên Quang");
        assert_eq!(u.communes_of("08").len(), 124);
    }

    #[test]
    fn every_embedded_row_parses() {
        fn all_parse<T: for<'de> Deserialize<'de>>(text: &str) {
            for (i, r) in csv::Reader::from_reader(text.as_bytes()).into_deserialize::<T>().enumerate() {
                assert!(r.is_ok(), "row {} of an embedded CSV: {:?}", i + 2, r.err());
            }
        }
        all_parse::<Row2025>(COMMUNES_2025);
        all_parse::<RowLegacy>(COMMUNES_LEGACY);
        all_parse::<RowConversion>(CONVERSION);
    }

    #[test]
    fn merged_province_keeps_legacy_codes() {
        // Tuyên Quang (2025) = Hà Giang (02) + Tuyên Quang (08).
        assert_eq!(AdminUnits::get().legacy_province_codes_of("08"), vec!["02", "08"]);
    }

    #[test]
    fn split_commune_converts_to_default() {
        let u = AdminUnits::get();
        let split = u.conversion.iter().find(|(_, t)| t.len() > 1).expect("some commune was split");
        let default = split.1.iter().find(|(_, d)| *d).unwrap();
        assert_eq!(u.to_2025(split.0).unwrap().code, default.0);
        assert_eq!(u.to_2025_all(split.0).len(), split.1.len());
    }
}
