//! KPIs: the registry of computed formulas (each with the definition shown next to its number),
//! their values per commune and province with a monthly history, and manual values with evidence.
//!
//! A formula is a row of [`FORMULAS`]: a code, names, a definition, the models it measures and a
//! [`Source`]. Modules that land later (lodging, services, verification) replace a
//! [`NoSource`] with a source reading their own public functions; until then the KPI says it has no
//! data source and never shows a number.

pub mod evidence;
mod formulas;
pub mod manual;
mod snapshots;

use std::collections::BTreeMap;

use db::Db;
use futures::future::BoxFuture;
use kernel::AppError;
use registry::queries::stats::CommuneTally;
use serde::Serialize;
use utoipa::ToSchema;

use crate::catalogue::{Direction, KpiUnit};

pub use formulas::FORMULAS;
pub use snapshots::{current, history, refresh, Current, Snapshot};

/// Where a formula's numbers come from.
pub trait Source: Sync {
    /// Counts per commune at `now` (UTC milliseconds; its day in Vietnam is "today"); `Ok(None)`
    /// when no data exists yet (e.g. no quality run).
    fn tally<'a>(&'a self, db: &'a Db, now: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>>;

    /// False for [`NoSource`]: the data this formula needs is not collected by the platform yet.
    fn available(&self) -> bool {
        true
    }
}

/// The source of a formula whose data the platform does not collect yet.
pub struct NoSource;

impl Source for NoSource {
    fn tally<'a>(&'a self, _: &'a Db, _: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>> {
        Box::pin(async { Ok(None) })
    }

    fn available(&self) -> bool {
        false
    }
}

/// A named computed KPI.
pub struct Formula {
    pub code: &'static str,
    /// (Vietnamese, English).
    pub name: (&'static str, &'static str),
    /// How the number is computed, shown next to it.
    pub definition: (&'static str, &'static str),
    /// For formulas without a source: which module will provide the data.
    pub awaiting: (&'static str, &'static str),
    pub unit: KpiUnit,
    pub direction: Direction,
    /// Catalogue ids of the models this formula measures.
    pub models: &'static [&'static str],
    pub source: &'static dyn Source,
}

/// The formula with this code.
pub fn formula(code: &str) -> Option<&'static Formula> {
    FORMULAS.iter().find(|f| f.code == code)
}

/// A computed number: numerator over denominator (a share in percent), or a count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Measure {
    pub numerator: f64,
    pub denominator: f64,
    /// `None` when there is nothing to count (denominator 0).
    pub value: Option<f64>,
}

impl Measure {
    pub fn new(unit: KpiUnit, numerator: f64, denominator: f64) -> Measure {
        let value = match unit {
            KpiUnit::Percent if denominator > 0.0 => Some(numerator * 100.0 / denominator),
            KpiUnit::Percent => None,
            KpiUnit::Count => Some(numerator),
        };
        Measure { numerator, denominator, value }
    }
}

/// A formula's values on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    pub province: Measure,
    pub communes: BTreeMap<String, Measure>,
}

/// Runs one formula at `now` (UTC milliseconds); `None` when it has no data source (or no data yet).
pub async fn compute(f: &Formula, db: &Db, now: i64) -> Result<Option<Computed>, AppError> {
    let Some(tallies) = f.source.tally(db, now).await? else {
        return Ok(None);
    };
    let (mut num, mut den) = (0.0, 0.0);
    let mut communes = BTreeMap::new();
    for t in tallies {
        num += t.matching as f64;
        den += t.total as f64;
        communes.insert(t.commune_code, Measure::new(f.unit, t.matching as f64, t.total as f64));
    }
    Ok(Some(Computed { province: Measure::new(f.unit, num, den), communes }))
}

/// Where a KPI value applies: one commune or the whole province.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Province(String),
    Commune(String),
}

impl Scope {
    pub fn key(&self) -> String {
        match self {
            Scope::Province(c) => format!("province:{c}"),
            Scope::Commune(c) => format!("commune:{c}"),
        }
    }
}

/// What to show for a computed KPI in one scope.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Reading {
    /// The platform does not collect this data yet: "chưa có nguồn dữ liệu".
    NoSource {
        awaiting_vi: String,
        awaiting_en: String,
    },
    /// The source exists but has produced nothing yet (e.g. no data-quality run).
    NoData,
    Value {
        value: Option<f64>,
        numerator: f64,
        denominator: f64,
        month: String,
        computed_at: i64,
    },
}

impl Reading {
    pub fn value(&self) -> Option<f64> {
        match self {
            Reading::Value { value, .. } => *value,
            _ => None,
        }
    }

    /// The text shown in place of a number, or the formatted number.
    pub fn display(&self, unit: KpiUnit, lang: kernel::Lang) -> String {
        match self {
            Reading::NoSource { .. } => lang.pick("chưa có nguồn dữ liệu", "no data source yet").to_string(),
            Reading::NoData => lang.pick("chưa có dữ liệu", "no data yet").to_string(),
            Reading::Value { value: Some(v), .. } => unit.format(*v),
            Reading::Value { value: None, .. } => "—".to_string(),
        }
    }
}
