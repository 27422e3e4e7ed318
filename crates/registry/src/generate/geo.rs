//! The map the generator draws on: every 2025 commune with the legacy province code of the land
//! it covers (the place code of ids of people born there), how many people live there relative to
//! the others, and how local addresses are written.

use std::collections::HashMap;

use rand::Rng;

use super::ids::{hash_str, mix};
use super::sample::{chance, GenRng, Weighted};
use crate::admin_units::{AdminUnits, CommuneKind};

/// One 2025 commune as the generator uses it.
#[derive(Debug)]
pub(super) struct Place {
    pub code: String,
    /// Code of the 2025 province the commune is in.
    pub province_code: &'static str,
    /// Three-digit legacy province code of most of the commune's land ("002" for Hà Giang).
    pub legacy: String,
    pub kind: CommuneKind,
    /// "Xã Mỹ Lâm, Tỉnh Tuyên Quang": how birth places and hometowns are written.
    pub text: String,
    /// Relative population weight (wards are denser).
    pub weight: f64,
    /// How the commune's province names hamlets and blocks.
    style: Style,
    salt: u64,
}

/// One 2025 province.
#[derive(Debug)]
pub(super) struct ProvinceGeo {
    pub code: String,
    /// How many communes the province has.
    communes: usize,
    lat: f64,
    lon: f64,
    /// Indexes into [`Geo::places`] of the province's communes, by population weight.
    within: Weighted<usize>,
}

/// How hamlets and urban blocks are named in a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Northern uplands: "Thôn Nà Hang", "Bản Sủng Là".
    Upland { ban_share: u8 },
    /// Red River delta and north-central coast: "Thôn Đông", "Xóm 3".
    Delta,
    /// South-central coast and Central Highlands: "Thôn 4", "Thôn Phú Lộc", "Buôn Ea Kmát".
    Central,
    /// The south: "Ấp Tân Lập", "Khu phố 3".
    South,
}

/// All communes, the home province and where migrants come from.
#[derive(Debug)]
pub(super) struct Geo {
    pub places: Vec<Place>,
    home: ProvinceGeo,
    /// The other provinces, nearer and larger ones more likely.
    origins: Weighted<ProvinceGeo>,
}

impl Geo {
    /// The map seen from `province_code`; `None` for an unknown province.
    pub(super) fn new(province_code: &str) -> Option<Geo> {
        let units = AdminUnits::get();
        let legacy = legacy_code_by_commune(units);
        let mut places = Vec::with_capacity(units.communes().len());
        let mut provinces = Vec::with_capacity(units.provinces().len());
        for p in units.provinces() {
            let communes = units.communes_of(&p.code);
            // The few communes without a legacy source take the province's most common code.
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for c in &communes {
                if let Some(l) = legacy.get(c.code.as_str()) {
                    *counts.entry(l.as_str()).or_default() += 1;
                }
            }
            let fallback = counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                .map(|c| c.0.to_string())
                .unwrap_or_else(|| "01".into());
            let start = places.len();
            let style = style_of(&p.code);
            let (mut lat, mut lon, mut n) = (0.0, 0.0, 0.0);
            for c in &communes {
                if let (Some(a), Some(b)) = (c.lat, c.lon) {
                    lat += a;
                    lon += b;
                    n += 1.0;
                }
                let area = c.area_km2.filter(|a| *a > 0.0).unwrap_or(60.0);
                let density = if c.kind.is_urban() { 3.0 } else { 1.0 };
                let code2 = legacy.get(c.code.as_str()).cloned().unwrap_or_else(|| fallback.clone());
                places.push(Place {
                    code: c.code.clone(),
                    province_code: &p.code,
                    legacy: format!("{code2:0>3}"),
                    kind: c.kind,
                    text: format!("{}, {}", c.name, p.name),
                    weight: density * area.sqrt(),
                    style,
                    salt: hash_str(&c.code),
                });
            }
            let within = Weighted::new(places.iter().enumerate().skip(start).map(|(i, c)| (i, c.weight)));
            provinces.push(ProvinceGeo {
                code: p.code.clone(),
                communes: places.len() - start,
                lat: if n > 0.0 { lat / n } else { 16.0 },
                lon: if n > 0.0 { lon / n } else { 106.0 },
                within,
            });
        }
        let (mut home, others): (Vec<ProvinceGeo>, Vec<ProvinceGeo>) =
            provinces.into_iter().partition(|p| p.code == province_code);
        let home = home.pop()?;
        let origins = Weighted::new(others.into_iter().map(|p| {
            // Gravity: bigger provinces and nearer ones send more people.
            let km = ((p.lat - home.lat) * 111.0).hypot((p.lon - home.lon) * 105.0);
            let weight = p.communes as f64 / (1.0 + km / 150.0).powi(2);
            (p, weight)
        }));
        Some(Geo { places, home, origins })
    }

    pub(super) fn home_code(&self) -> &str {
        &self.home.code
    }

    /// The commune at `index`, an index drawn from this map (`None` for any other number).
    pub(super) fn place(&self, index: usize) -> Option<&Place> {
        self.places.get(index)
    }

    /// Whether the commune at `index` is urban (a ward).
    pub(super) fn is_urban(&self, index: usize) -> bool {
        self.place(index).is_some_and(|p| p.kind.is_urban())
    }

    /// A commune of the home province, wards and large communes more likely.
    pub(super) fn home_place(&self, rng: &mut GenRng) -> usize {
        *self.home.within.sample(rng)
    }

    /// A commune of the home province other than `not`.
    pub(super) fn other_home_place(&self, rng: &mut GenRng, not: usize) -> usize {
        for _ in 0..8 {
            let p = self.home_place(rng);
            if p != not {
                return p;
            }
        }
        not
    }

    /// Another province, nearer and larger ones more likely.
    pub(super) fn origin_province(&self, rng: &mut GenRng) -> &ProvinceGeo {
        self.origins.sample(rng)
    }

    /// A commune of `province`.
    pub(super) fn place_in(&self, rng: &mut GenRng, province: &ProvinceGeo) -> usize {
        *province.within.sample(rng)
    }

    /// The two-digit CMND series of the province a place belonged to.
    pub(super) fn cmnd_prefix(&self, place: usize) -> u8 {
        cmnd_prefix(self.place(place).map_or("", |p| p.legacy.as_str()))
    }

    /// A street-and-block or hamlet address inside `place`, written the local way.
    pub(super) fn address(&self, rng: &mut GenRng, place: usize) -> String {
        let Some(p) = self.place(place) else {
            return String::new();
        };
        let style = p.style;
        let house = rng.gen_range(1..=180);
        if p.kind.is_urban() {
            let block = rng.gen_range(1..=(8 + (p.salt % 30) as u32));
            let block_word = if style == Style::South { "Khu phố" } else { "Tổ" };
            let street = pick_by(STREETS, mix(p.salt ^ u64::from(block)));
            return match rng.gen_range(0..10) {
                0..=5 => format!("Số {house}, {block_word} {block}"),
                6..=8 => format!("Số {house}, đường {street}, {block_word} {block}"),
                _ => format!("Số {house}, ngõ {}, đường {street}", rng.gen_range(2..=120)),
            };
        }
        let hamlets = 5 + (p.salt % 12) as u32;
        let h = rng.gen_range(0..hamlets);
        let numbered = p.salt & 3 == 0;
        let pick = |list: &[&'static str]| pick_by(list, mix(p.salt.wrapping_add(u64::from(h))));
        let hamlet = match style {
            Style::Upland { ban_share } => {
                let word = if (mix(p.salt ^ 0xBA) % 100) < u64::from(ban_share) { "Bản" } else { "Thôn" };
                let high = p.legacy == "002" || ban_share >= 50;
                let name = if high && h % 2 == 0 { pick(HIGHLAND_HAMLETS) } else { pick(UPLAND_HAMLETS) };
                format!("{word} {name}")
            }
            Style::Delta if numbered => format!("Xóm {}", h + 1),
            Style::Delta => format!("Thôn {}", pick(DELTA_HAMLETS)),
            Style::Central if numbered => format!("Thôn {}", h + 1),
            Style::Central => format!("Thôn {}", pick(CENTRAL_HAMLETS)),
            Style::South if numbered => format!("Ấp {}", h + 1),
            Style::South => format!("Ấp {}", pick(SOUTH_HAMLETS)),
        };
        if chance(rng, 0.5) {
            hamlet
        } else {
            format!("Số nhà {house}, {hamlet}")
        }
    }
}

/// The entry of a constant list that `hash` selects (`""` for an empty list).
fn pick_by(list: &[&'static str], hash: u64) -> &'static str {
    list.get((hash % list.len().max(1) as u64) as usize).copied().unwrap_or_default()
}

/// For each 2025 commune, the legacy province most of its legacy communes belonged to.
fn legacy_code_by_commune(units: &AdminUnits) -> HashMap<&str, String> {
    let mut votes: HashMap<&str, HashMap<&str, u32>> = HashMap::new();
    for l in &units.legacy {
        for c in units.to_2025_all(&l.code) {
            *votes.entry(c.code.as_str()).or_default().entry(l.province_code.as_str()).or_insert(0) += 1;
        }
    }
    votes
        .into_iter()
        .filter_map(|(commune, v)| {
            let best = v.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))?;
            Some((commune, best.0.to_string()))
        })
        .collect()
}

fn style_of(province_code: &str) -> Style {
    match province_code {
        "11" | "12" | "14" => Style::Upland { ban_share: 80 },
        "04" | "08" | "15" | "19" | "20" => Style::Upland { ban_share: 15 },
        "01" | "22" | "24" | "25" | "31" | "33" | "37" | "38" | "40" | "42" | "44" | "46" => Style::Delta,
        "48" | "51" | "52" | "56" | "66" | "68" => Style::Central,
        _ => Style::South,
    }
}

/// CMND numbers began with a two-digit series per (pre-2008) province or group of provinces.
fn cmnd_prefix(legacy3: &str) -> u8 {
    match legacy3 {
        "001" => 1,
        "079" => 2,
        "031" => 3,
        "011" | "012" => 4,
        "014" => 5,
        "010" | "015" => 6,
        "002" | "008" => 7,
        "004" | "020" => 8,
        "006" | "019" => 9,
        "022" => 10,
        "017" => 11,
        "024" | "027" => 12,
        "025" | "026" => 13,
        "030" | "033" => 14,
        "034" => 15,
        "035" | "036" | "037" => 16,
        "038" => 17,
        "040" | "042" => 18,
        "044" | "045" | "046" => 19,
        "048" | "049" => 20,
        "051" | "052" => 21,
        "054" | "056" => 22,
        "062" | "064" => 23,
        "066" | "067" => 24,
        "068" => 25,
        "058" | "060" => 26,
        "075" | "077" => 27,
        "070" | "074" => 28,
        "072" => 29,
        "080" => 30,
        "082" => 31,
        "083" => 32,
        "084" | "086" => 33,
        "087" => 34,
        "089" => 35,
        "092" | "093" | "094" => 36,
        "091" => 37,
        _ => 38,
    }
}

const STREETS: &[&str] = &[
    "Trần Phú",
    "Lê Lợi",
    "Nguyễn Trãi",
    "Quang Trung",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Trần Hưng Đạo",
    "Phan Đình Phùng",
    "Nguyễn Du",
    "Lê Duẩn",
    "Hùng Vương",
    "Lê Hồng Phong",
    "Nguyễn Văn Cừ",
    "Tôn Đức Thắng",
    "Điện Biên Phủ",
    "Nguyễn Huệ",
    "Bạch Đằng",
    "Kim Đồng",
    "Tân Trào",
    "Chiến Thắng",
    "Phạm Văn Đồng",
    "Trường Chinh",
    "Lý Thái Tổ",
    "Ngô Quyền",
    "Võ Thị Sáu",
    "Nguyễn Thị Minh Khai",
    "Lê Quý Đôn",
    "Chu Văn An",
    "Hoàng Hoa Thám",
    "Minh Khai",
];

const UPLAND_HAMLETS: &[&str] = &[
    "Nà Hang",
    "Nà Khá",
    "Nà Mô",
    "Khuổi Phầy",
    "Bản Pình",
    "Pác Tạ",
    "Nà Tông",
    "Khuôn Hà",
    "Nà Kiếu",
    "Phiêng Lanh",
    "Nà Đon",
    "Bản Chang",
    "Nà Tàng",
    "Pác Hóp",
    "Nặm Đăm",
    "Đồng Tâm",
    "Tân Lập",
    "Làng Mới",
    "Trung Tâm",
    "Cốc Phường",
    "Khuổi Bốc",
    "Nà Coóc",
    "Thác Láng",
    "Bản Lục",
];

const HIGHLAND_HAMLETS: &[&str] = &[
    "Sủng Là",
    "Mã Pì",
    "Lùng Tám",
    "Sà Phìn",
    "Phìn Hồ",
    "Sính Lủng",
    "Tả Lủng",
    "Má Là",
    "Lao Xa",
    "Khó Già",
    "Séo Lủng",
    "Pả Vi",
    "Lũng Táo",
    "Sảng Tủng",
    "Xà Phìn",
    "Lũng Thầu",
];

const DELTA_HAMLETS: &[&str] = &[
    "Đông",
    "Đoài",
    "Thượng",
    "Hạ",
    "Trung",
    "Đồng Tâm",
    "Tân Lập",
    "Đoàn Kết",
    "Phú Thịnh",
    "An Thịnh",
    "Thắng Lợi",
    "Quyết Tiến",
    "Tiến Bộ",
    "Cầu Trắng",
    "Đồng Bầu",
    "Ngọc Long",
    "Phúc Lâm",
];

const CENTRAL_HAMLETS: &[&str] = &[
    "Phú Lộc",
    "An Bình",
    "Tây Sơn",
    "Hòa Bình",
    "Phú Hòa",
    "Mỹ Thạnh",
    "Tân An",
    "Vĩnh Phước",
    "Xuân Lâm",
    "Thạnh Mỹ",
    "Buôn Ea Kmát",
    "Plei Ốp",
    "Làng Kon Klor",
    "Đại An",
    "Phước Sơn",
];

const SOUTH_HAMLETS: &[&str] = &[
    "Tân Lập",
    "Phú Hòa",
    "Bình Thạnh",
    "Long Hòa",
    "Mỹ Phú",
    "Thạnh Lợi",
    "An Bình",
    "Tân Thuận",
    "Phước Lộc",
    "Vĩnh Lợi",
    "Hòa Long",
    "Long Thạnh",
    "Tân Hưng",
    "Bình An",
    "Thới Lai",
    "Sóc Tràm",
];
