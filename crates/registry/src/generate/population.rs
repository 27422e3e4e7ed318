//! Who lives where: ethnic and religious mixes by province, the ages of household heads and
//! fertility by cohort. The figures are rounded from the 2019 Population and Housing Census and
//! provincial statistical yearbooks; they aim at plausible dashboards, not at official numbers.

use std::collections::HashMap;

use super::geo::Geo;
use super::sample::{GenRng, Weighted};

/// Ethnic-group codes used in the tables (see `kernel::vocab::ETHNIC_GROUPS`).
pub(super) mod ethnic {
    pub(crate) const KINH: &str = "01";
    pub(crate) const TAY: &str = "02";
    pub(crate) const THAI: &str = "03";
    pub(crate) const HOA: &str = "04";
    pub(crate) const KHMER: &str = "05";
    pub(crate) const MUONG: &str = "06";
    pub(crate) const NUNG: &str = "07";
    pub(crate) const HMONG: &str = "08";
    pub(crate) const DAO: &str = "09";
    pub(crate) const CHAM: &str = "17";
}

type Mix = &'static [(&'static str, f64)];

/// Tuyên Quang wards (urban centres of both former provinces).
const TQ_WARD: Mix = &[
    ("01", 62.0),
    ("02", 20.0),
    ("09", 4.0),
    ("08", 4.0),
    ("15", 3.0),
    ("07", 3.0),
    ("25", 1.0),
    ("04", 1.0),
    ("06", 1.0),
    ("03", 1.0),
];
/// Rural communes of former Hà Giang: the karst plateau is H'Mông country.
const TQ_HA_GIANG: Mix = &[
    ("08", 29.0),
    ("02", 24.0),
    ("09", 14.0),
    ("01", 15.0),
    ("07", 4.0),
    ("25", 2.0),
    ("38", 2.0),
    ("46", 1.0),
    ("43", 1.0),
    ("49", 1.0),
    ("47", 1.0),
    ("40", 1.0),
];
/// Rural communes of former Tuyên Quang.
const TQ_TUYEN_QUANG: Mix = &[
    ("01", 42.0),
    ("02", 28.0),
    ("09", 11.0),
    ("15", 12.0),
    ("08", 2.0),
    ("07", 1.5),
    ("18", 2.0),
    ("06", 1.0),
    ("03", 1.0),
    ("25", 1.0),
];
const GENERIC: Mix =
    &[("01", 97.0), ("02", 0.6), ("06", 0.5), ("04", 0.5), ("07", 0.4), ("03", 0.4), ("05", 0.3), ("08", 0.3)];

fn province_mix(code: &str) -> Mix {
    match code {
        "04" => &[("02", 41.0), ("07", 31.0), ("08", 11.0), ("09", 10.0), ("01", 6.0), ("04", 0.5), ("40", 0.5)],
        "20" => &[("07", 42.0), ("02", 35.0), ("01", 16.0), ("09", 4.0), ("04", 1.0), ("08", 1.0), ("18", 1.0)],
        "11" => {
            &[("08", 35.0), ("03", 34.0), ("01", 18.0), ("29", 3.0), ("07", 1.0), ("09", 1.0), ("35", 1.0), ("37", 0.5)]
        }
        "12" => &[
            ("03", 33.0),
            ("08", 25.0),
            ("09", 14.0),
            ("01", 14.0),
            ("35", 5.0),
            ("25", 4.0),
            ("41", 2.0),
            ("42", 1.5),
        ],
        "14" => {
            &[("03", 53.0), ("01", 17.0), ("08", 16.0), ("06", 8.0), ("34", 2.0), ("09", 1.5), ("29", 1.0), ("33", 1.0)]
        }
        "15" => &[
            ("01", 45.0),
            ("02", 14.0),
            ("08", 14.0),
            ("09", 11.0),
            ("03", 5.0),
            ("25", 3.0),
            ("07", 3.0),
            ("40", 1.0),
            ("06", 1.0),
            ("35", 1.0),
        ],
        "19" => {
            &[("01", 68.0), ("02", 18.0), ("07", 5.0), ("09", 4.0), ("15", 2.0), ("18", 1.0), ("08", 1.0), ("04", 0.5)]
        }
        "22" => &[("01", 88.0), ("09", 5.0), ("02", 3.0), ("18", 2.0), ("15", 1.0), ("04", 0.5)],
        "24" => &[("01", 88.0), ("07", 4.0), ("02", 3.0), ("15", 2.0), ("18", 1.5), ("09", 1.0)],
        "25" => &[("01", 75.0), ("06", 21.0), ("03", 1.5), ("09", 1.5), ("02", 0.5), ("18", 0.5)],
        "38" => &[("01", 84.0), ("06", 9.0), ("03", 6.0), ("08", 0.5)],
        "40" => &[("01", 85.0), ("03", 10.0), ("29", 1.5), ("08", 1.3), ("24", 1.5)],
        "44" => &[("01", 95.0), ("23", 4.0), ("31", 1.0)],
        "46" => &[("01", 98.0), ("31", 1.3), ("26", 0.5)],
        "48" => &[("01", 95.0), ("26", 2.5), ("14", 1.0), ("27", 1.0), ("30", 0.5)],
        "51" => &[("01", 78.0), ("19", 8.0), ("14", 8.0), ("13", 4.0), ("30", 1.0), ("27", 1.0)],
        "52" => &[("01", 76.0), ("10", 15.0), ("13", 8.0), ("02", 0.5), ("07", 0.5)],
        "56" => &[("01", 88.0), ("21", 5.0), ("17", 5.0), ("16", 1.0)],
        "66" => {
            &[("01", 76.0), ("12", 13.0), ("20", 2.0), ("02", 3.0), ("07", 3.0), ("08", 1.0), ("09", 1.0), ("03", 1.0)]
        }
        "68" => &[
            ("01", 85.0),
            ("16", 6.0),
            ("20", 3.0),
            ("17", 1.5),
            ("07", 1.5),
            ("02", 1.5),
            ("08", 0.5),
            ("21", 0.5),
            ("28", 0.5),
        ],
        "75" => &[("01", 90.0), ("22", 3.0), ("04", 3.0), ("07", 1.5), ("02", 1.0), ("32", 0.5), ("05", 0.5)],
        "79" => &[("01", 93.0), ("04", 5.0), ("05", 0.5), ("17", 0.3), ("07", 0.3), ("02", 0.3)],
        "80" => &[("01", 98.0), ("05", 1.0), ("17", 0.3), ("04", 0.3)],
        "82" => &[("01", 99.5), ("04", 0.3), ("05", 0.2)],
        "86" => &[("01", 88.0), ("05", 11.0), ("04", 1.0)],
        "91" => &[("01", 88.0), ("05", 10.0), ("04", 1.2), ("17", 0.5)],
        "92" => &[("01", 83.0), ("05", 14.0), ("04", 3.0)],
        "96" => &[("01", 92.0), ("05", 5.0), ("04", 3.0)],
        _ => GENERIC,
    }
}

/// The ethnic mix of households in each commune: a handful of weighted tables and, per place,
/// which one applies. Wards lean Kinh (towns grew by Kinh migration).
#[derive(Debug)]
pub(super) struct EthnicMixes {
    tables: Vec<Weighted<&'static str>>,
    /// Index into `tables` of each place's mix, in the order of `Geo::places`.
    by_place: Vec<u16>,
}

impl EthnicMixes {
    pub(super) fn new(geo: &Geo) -> Self {
        let mut tables = Vec::new();
        let mut seen: HashMap<(usize, bool), u16> = HashMap::new();
        let mut by_place = Vec::with_capacity(geo.places.len());
        for p in &geo.places {
            let urban = p.kind.is_urban();
            let (mix, boost) = match (p.province_code, urban, p.legacy.as_str()) {
                ("08", true, _) => (TQ_WARD, false),
                ("08", false, "002") => (TQ_HA_GIANG, false),
                ("08", false, _) => (TQ_TUYEN_QUANG, false),
                (code, urban, _) => (province_mix(code), urban),
            };
            let key = (mix.as_ptr() as usize, boost);
            let idx = *seen.entry(key).or_insert_with(|| {
                let boost = if boost { 3.0 } else { 1.0 };
                tables
                    .push(Weighted::new(mix.iter().map(|&(c, w)| (c, if c == ethnic::KINH { w * boost } else { w }))));
                (tables.len() - 1) as u16
            });
            by_place.push(idx);
        }
        EthnicMixes { tables, by_place }
    }

    /// The ethnic group of a household head living in `place` (the national mix for a place
    /// not on the map).
    pub(super) fn sample(&self, rng: &mut GenRng, place: usize) -> &'static str {
        match self.by_place.get(place).and_then(|&t| self.tables.get(usize::from(t))) {
            Some(table) => table.sample(rng),
            None => pick(rng, GENERIC),
        }
    }
}

/// The religion of a household head (children follow their parents).
pub(super) fn religion(rng: &mut GenRng, ethnic: &str, province: &str) -> &'static str {
    let table: Mix = match ethnic {
        ethnic::KINH => match province {
            "37" => &[("00", 78.0), ("02", 16.0), ("01", 6.0)],
            "75" => &[("00", 50.0), ("02", 30.0), ("01", 15.0), ("04", 2.0), ("03", 2.0)],
            "79" => &[("00", 70.0), ("01", 15.0), ("02", 11.0), ("04", 1.5), ("03", 1.5), ("05", 0.5)],
            "80" => &[("00", 60.0), ("04", 20.0), ("01", 15.0), ("02", 4.0)],
            "91" => &[("00", 55.0), ("05", 20.0), ("01", 20.0), ("02", 3.0), ("04", 2.0)],
            "82" | "86" | "92" | "96" => &[("00", 70.0), ("01", 15.0), ("05", 5.0), ("04", 4.0), ("02", 5.0)],
            "44" | "46" | "48" | "51" | "52" | "56" | "66" | "68" => {
                &[("00", 78.0), ("01", 14.0), ("02", 7.0), ("03", 1.0)]
            }
            _ => &[("00", 88.0), ("01", 7.0), ("02", 4.5), ("03", 0.5)],
        },
        ethnic::KHMER => &[("01", 95.0), ("00", 5.0)],
        ethnic::HOA => &[("00", 65.0), ("01", 30.0), ("02", 3.0), ("03", 2.0)],
        ethnic::CHAM => &[("13", 45.0), ("06", 35.0), ("00", 20.0)],
        ethnic::HMONG => &[("00", 78.0), ("03", 22.0)],
        "10" | "12" | "13" | "14" | "16" | "19" | "20" | "21" | "22" => &[("00", 45.0), ("03", 35.0), ("02", 20.0)],
        _ => &[("00", 95.0), ("03", 2.5), ("01", 2.0), ("02", 0.5)],
    };
    pick(rng, table)
}

/// Linear-scan sampling for short constant tables.
pub(super) fn pick(rng: &mut GenRng, table: Mix) -> &'static str {
    use rand::Rng;
    let total: f64 = table.iter().map(|t| t.1).sum();
    let mut x = rng.gen::<f64>() * total;
    for &(item, w) in table {
        if x < w {
            return item;
        }
        x -= w;
    }
    // Rounding left `x` past the end: the last item (`""` for an empty table).
    table.last().map(|t| t.0).unwrap_or_default()
}

/// Mean number of children a woman born in `birth_year` of group `ethnic` has over her life:
/// Vietnam's fertility fell from about five children (1960s mothers) to about two.
pub(super) fn fertility(birth_year: i32, ethnic: &str) -> f64 {
    let base = match birth_year {
        ..=1949 => 5.0,
        1950..=1959 => 4.0,
        1960..=1969 => 3.0,
        1970..=1979 => 2.4,
        1980..=1989 => 2.2,
        _ => 2.05,
    };
    base * match ethnic {
        ethnic::KINH => 1.0,
        ethnic::HMONG => 1.6,
        ethnic::HOA => 0.9,
        ethnic::KHMER => 1.1,
        _ => 1.25,
    }
}

/// Ages of household heads, by five-year band from 18 (tuned so that the whole population
/// matches the 2019 census pyramid: about 24% under 15 and 8% aged 65+).
const HEAD_AGE_BANDS: [f64; 16] = [1.5, 5.0, 9.0, 10.5, 10.5, 10.5, 10.5, 10.0, 9.0, 6.5, 4.3, 3.0, 2.0, 1.0, 0.4, 0.1];

/// Sampler for the age of a household head.
#[derive(Debug)]
pub(super) struct HeadAges(Weighted<i32>);

impl HeadAges {
    pub(super) fn new() -> Self {
        // Five ages to a band: 18–22, 23–27, …, 93–97.
        let weights = HEAD_AGE_BANDS.iter().flat_map(|&w| std::iter::repeat_n(w, 5));
        HeadAges(Weighted::new((18..98).zip(weights)))
    }

    pub(super) fn sample(&self, rng: &mut GenRng) -> i32 {
        *self.0.sample(rng)
    }
}
