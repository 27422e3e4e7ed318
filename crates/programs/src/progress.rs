//! Where a registration stands: each targeted KPI's current value against its target, and the
//! registration's track (pending, returned, on track, late, done) for the dashboard matrix.

use chrono::NaiveDate;
use db::Db;
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::catalogue::{Direction, Kpi};
use crate::kpi::manual::{self, ManualValue};
use crate::kpi::{self, Current, Reading, Scope};
use crate::registrations::{RegStatus, Registration, Target};
use crate::units::Unit;

/// A registration's state on the models × units matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    /// Registered, waiting for the working group.
    Pending,
    /// Returned to the unit for revision.
    Returned,
    OnTrack,
    /// A plan step or a target deadline has passed unmet.
    Late,
    /// Every target met and every step done.
    Done,
}

impl Track {
    pub fn code(self) -> &'static str {
        match self {
            Track::Pending => "pending",
            Track::Returned => "returned",
            Track::OnTrack => "on_track",
            Track::Late => "late",
            Track::Done => "done",
        }
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Track::Pending => ("Đã đăng ký", "Registered"),
            Track::Returned => ("Trả lại", "Returned"),
            Track::OnTrack => ("Đúng tiến độ", "On track"),
            Track::Late => ("Chậm tiến độ", "Late"),
            Track::Done => ("Hoàn thành", "Done"),
        }
    }
}

/// The value of one targeted KPI.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineValue {
    Computed { reading: Reading, definition_vi: String, definition_en: String },
    Manual { latest: Option<ManualValue> },
}

/// One KPI of a registration with its target and progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiLine {
    pub kpi: Kpi,
    pub target: Option<Target>,
    pub value: LineValue,
    /// The number compared with the target, when there is one.
    pub current: Option<f64>,
    /// 0–1 share of the target reached.
    pub progress: Option<f64>,
    pub met: bool,
}

/// How far `value` is towards `target` (1 = reached), for either direction.
pub fn progress(value: f64, target: f64, direction: Direction) -> f64 {
    let p = match direction {
        Direction::Up if target <= 0.0 => 1.0,
        Direction::Up => value / target,
        Direction::Down if value <= target => 1.0,
        Direction::Down if value <= 0.0 => 1.0,
        Direction::Down => target / value,
    };
    p.clamp(0.0, 1.0)
}

/// The scope whose computed values apply to a unit: its commune, or the whole province.
pub fn scope_of(unit: &Unit) -> Scope {
    match &unit.commune_code {
        Some(c) => Scope::Commune(c.clone()),
        None => Scope::Province(unit.province_code.clone()),
    }
}

/// The KPI lines of a registration: every targeted KPI, then the model's other computed KPIs.
pub async fn lines(
    db: &Db,
    reg: &Registration,
    unit: &Unit,
    kpis: &[Kpi],
    current: &Current,
) -> Result<Vec<KpiLine>, AppError> {
    let manual_values = manual::latest(db, &reg.id).await?;
    let scope = scope_of(unit);
    let mut out = Vec::new();
    for k in kpis.iter().filter(|k| k.model_id == reg.model_id && k.active) {
        let target = reg.targets.iter().find(|t| t.kpi_id == k.id).cloned();
        if target.is_none() && k.formula.is_none() {
            continue;
        }
        let (value, current_value) = match k.formula.as_deref().and_then(kpi::formula) {
            Some(f) => {
                let reading = current.reading(f, &scope);
                let v = reading.value();
                (
                    LineValue::Computed {
                        reading,
                        definition_vi: f.definition.0.to_string(),
                        definition_en: f.definition.1.to_string(),
                    },
                    v,
                )
            }
            None => {
                let latest = manual_values.iter().find(|m| m.kpi_id == k.id).cloned();
                let v = latest.as_ref().map(|m| m.value);
                (LineValue::Manual { latest }, v)
            }
        };
        let p = match (&target, current_value) {
            (Some(t), Some(v)) => Some(progress(v, t.target_value, k.direction)),
            _ => None,
        };
        out.push(KpiLine {
            kpi: k.clone(),
            target,
            value,
            current: current_value,
            met: p.is_some_and(|p| p >= 1.0),
            progress: p,
        });
    }
    out.sort_by_key(|l| l.target.is_none());
    Ok(out)
}

/// The registration's track on `today`.
pub fn track(reg: &Registration, lines: &[KpiLine], today: NaiveDate) -> Track {
    match reg.status {
        RegStatus::Pending => return Track::Pending,
        RegStatus::Returned => return Track::Returned,
        RegStatus::Approved => {}
    }
    let targeted: Vec<&KpiLine> = lines.iter().filter(|l| l.target.is_some()).collect();
    let steps_done = reg.steps.iter().all(|s| s.done_at.is_some());
    if steps_done && !targeted.is_empty() && targeted.iter().all(|l| l.met) {
        return Track::Done;
    }
    let step_late = reg.steps.iter().any(|s| s.done_at.is_none() && s.due_date < today);
    let target_late = targeted.iter().any(|l| !l.met && l.target.as_ref().is_some_and(|t| t.deadline < today));
    if step_late || target_late {
        Track::Late
    } else {
        Track::OnTrack
    }
}

/// Average progress over the targeted KPIs that have a value (`None` when none has).
pub fn average_progress(lines: &[KpiLine]) -> Option<f64> {
    let ps: Vec<f64> = lines.iter().filter(|l| l.target.is_some()).filter_map(|l| l.progress).collect();
    (!ps.is_empty()).then(|| ps.iter().sum::<f64>() / ps.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_in_both_directions() {
        assert_eq!(progress(35.0, 70.0, Direction::Up), 0.5);
        assert_eq!(progress(90.0, 70.0, Direction::Up), 1.0);
        assert_eq!(progress(3.0, 5.0, Direction::Down), 1.0);
        assert_eq!(progress(10.0, 5.0, Direction::Down), 0.5);
        assert_eq!(progress(0.0, 0.0, Direction::Up), 1.0);
    }
}
