//! The pilot-model catalogue: the 47 Project 06 models with their goals and KPIs, imported from the
//! embedded `data/pilot-models.json` and edited by administrators, every edit kept as a version.

mod import;
mod store;

pub use import::ensure_imported;
#[cfg(test)]
pub(crate) use import::parse as parse_embedded;
pub use store::{get_model, list_models, model_kpis, update_model, versions, KpiEdit, ModelEdit, ModelVersion};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A pilot model as shown in the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Model {
    /// Catalogue id: the national number ("9") or a seed-local id ("BG-1").
    pub id: String,
    pub number: Option<i64>,
    pub name_vi: String,
    pub name_en: String,
    /// One of the five Project 06 utility groups (`admin_procedures_public_services`, …).
    pub group: String,
    /// `software`, `hardware_integration` or `organizational`.
    pub kind: String,
    pub goal_vi: String,
    pub goal_en: String,
    pub lead_unit_vi: String,
    pub lead_unit_en: String,
    pub tools_vi: String,
    pub tools_en: String,
    pub active: bool,
    /// Increases with every edit; edits must name the version they start from.
    pub version: i64,
    pub updated_at: i64,
}

/// How a KPI gets its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiUnit {
    /// A share, 0–100.
    Percent,
    /// A count.
    Count,
}

impl KpiUnit {
    pub fn code(self) -> &'static str {
        match self {
            KpiUnit::Percent => "percent",
            KpiUnit::Count => "count",
        }
    }

    pub fn parse(s: &str) -> Option<KpiUnit> {
        match s {
            "percent" => Some(KpiUnit::Percent),
            "count" => Some(KpiUnit::Count),
            _ => None,
        }
    }

    /// A value with its unit, the Vietnamese way (decimal comma).
    pub fn format(self, v: f64) -> String {
        match self {
            KpiUnit::Percent => format!("{}%", format!("{v:.1}").replace('.', ",")),
            KpiUnit::Count => format!("{v:.0}"),
        }
    }
}

/// Whether a higher or a lower value is better (e.g. the share of expired cards should go down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "up" => Some(Direction::Up),
            "down" => Some(Direction::Down),
            _ => None,
        }
    }
}

/// A KPI of a model: manual (reported by the unit with evidence) or computed by a named formula.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Kpi {
    /// `MODEL.N` for catalogue KPIs, `MODEL.FORMULA` for computed ones.
    pub id: String,
    pub model_id: String,
    pub seq: i64,
    /// Every catalogue KPI has one; a KPI an administrator added with an English name only shows
    /// that name until the Vietnamese wording is filled in.
    pub name_vi: String,
    pub name_en: String,
    /// The target as written in the seed documents ("100%", "50%/70%").
    pub target_text: String,
    pub source: String,
    /// Code of the computed formula; `None` for a manual KPI.
    pub formula: Option<String>,
    pub unit: KpiUnit,
    pub direction: Direction,
    pub active: bool,
}

impl Kpi {
    /// The name in the visitor's language, falling back to English when untranslated.
    pub fn name(&self, lang: kernel::Lang) -> &str {
        if self.name_vi.is_empty() {
            &self.name_en
        } else {
            lang.pick(&self.name_vi, &self.name_en)
        }
    }
}

/// Vietnamese and English labels of the five utility groups.
pub fn group_label(code: &str) -> (&'static str, &'static str) {
    match code {
        "admin_procedures_public_services" => ("Giải quyết TTHC và DVC trực tuyến", "Administrative procedures"),
        "socio_economic" => ("Phát triển kinh tế - xã hội", "Socio-economic development"),
        "digital_citizen" => ("Công dân số", "Digital citizens"),
        "shared_data_digitization" => ("Số hóa, dữ liệu dùng chung", "Digitization and shared data"),
        "leadership_direction" => ("Chỉ đạo, điều hành", "Leadership direction"),
        _ => ("Khác", "Other"),
    }
}
