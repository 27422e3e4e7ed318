//! The consolidated provincial report of one period: every registered unit's report status and
//! KPIs against targets, the province-wide computed KPIs, and the ranking of units.
//!
//! Ranking score (0–100) = 60 × average progress towards the unit's targets + 40 × timeliness of
//! its report for the period (1 on time, ½ late, 0 missing).

use chrono::NaiveDate;
use db::Db;
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use super::workflow::{list, ReportStatus};
use crate::calendar::{Frequency, Period};
use crate::catalogue::{self, KpiUnit};
use crate::kpi::{Scope, FORMULAS};
use crate::progress::{self, LineValue};
use crate::registrations::RegStatus;
use crate::settings::ReportHeader;

/// One unit's line in the report and the ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRow {
    pub rank: usize,
    pub unit_id: String,
    pub unit_name: String,
    pub registrations: usize,
    pub approved: usize,
    pub report_status: Option<ReportStatus>,
    /// `dd/mm/yyyy`.
    pub submitted_on: Option<String>,
    pub on_time: Option<bool>,
    /// 0–1, `None` when no targeted KPI has a value.
    pub progress: Option<f64>,
    pub score: f64,
}

/// One targeted KPI of one unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiRow {
    pub unit_name: String,
    pub model_id: String,
    pub kpi_name: String,
    pub target: String,
    /// `dd/mm/yyyy`.
    pub deadline: String,
    /// The value, or why there is none ("chưa có nguồn dữ liệu").
    pub value: String,
    pub progress: Option<f64>,
}

/// A province-wide computed KPI with its definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceKpi {
    pub name: String,
    pub definition: String,
    pub value: String,
}

/// Everything the XLSX and PDF exports print.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Consolidated {
    pub header: ReportHeader,
    pub period: Period,
    /// "Tháng 06/2025".
    pub period_title: String,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub units: Vec<UnitRow>,
    pub kpis: Vec<KpiRow>,
    pub province_kpis: Vec<ProvinceKpi>,
    pub total_units: usize,
    pub not_registered: usize,
}

fn vn_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Builds the consolidated report of a period at `now` (UTC milliseconds; the report is dated its
/// day in Vietnam).
pub async fn build(db: &Db, frequency: Frequency, period: &str, now: i64) -> Result<Consolidated, AppError> {
    let today = kernel::clock::date_vn(now);
    let period = Period::parse(frequency, period)?;
    let header = crate::settings::header(db).await?;
    let current = crate::kpi::current(db, &header.province, now).await?;
    let kpis = catalogue::model_kpis(db, None).await?;
    let reports = list(db, None, Some(frequency), Some(&period.label), None).await?;
    let schedules = super::schedules(db, None).await?;
    let regs = crate::registrations::list(db, None, None).await?;
    let all_units = crate::units::list(db, None, None).await?;
    let lang = kernel::Lang::Vi;
    let mut units = Vec::new();
    let mut kpi_rows = Vec::new();
    for unit in &all_units {
        let live: Vec<_> = regs.iter().filter(|r| r.unit_id == unit.id && r.status != RegStatus::Returned).collect();
        if live.is_empty() {
            continue;
        }
        let report = reports.iter().find(|r| r.unit_id == unit.id);
        let sent = report.filter(|r| matches!(r.status, ReportStatus::Submitted | ReportStatus::Approved));
        let due_day = schedules.iter().find(|s| s.unit_id == unit.id && s.frequency == frequency).map(|s| s.due_day);
        let on_time = sent.and_then(|r| {
            let due = period.due_date(due_day?);
            Some(kernel::clock::ms_to_vn(r.submitted_at?).date_naive() <= due)
        });
        let mut all_lines = Vec::new();
        for reg in &live {
            let lines = progress::lines(db, reg, unit, &kpis, &current).await?;
            for (l, t) in lines.iter().filter_map(|l| Some((l, l.target.as_ref()?))) {
                let frozen =
                    sent.and_then(|r| r.items.iter().find(|i| i.registration_id == reg.id && i.kpi_id == l.kpi.id));
                let value = match (frozen.and_then(|i| i.value), &l.value) {
                    (Some(v), _) => l.kpi.unit.format(v),
                    (None, LineValue::Computed { reading, .. }) => reading.display(l.kpi.unit, lang),
                    (None, LineValue::Manual { latest: Some(m) }) => l.kpi.unit.format(m.value),
                    (None, LineValue::Manual { latest: None }) => "chưa báo cáo".to_string(),
                };
                kpi_rows.push(KpiRow {
                    unit_name: unit.name.clone(),
                    model_id: reg.model_id.clone(),
                    kpi_name: l.kpi.name(lang).to_string(),
                    target: l.kpi.unit.format(t.target_value),
                    deadline: vn_date(t.deadline),
                    value,
                    progress: l.progress,
                });
            }
            all_lines.extend(lines);
        }
        let avg = progress::average_progress(&all_lines);
        let timeliness = match on_time {
            Some(true) => 1.0,
            Some(false) => 0.5,
            None => 0.0,
        };
        units.push(UnitRow {
            rank: 0,
            unit_id: unit.id.clone(),
            unit_name: unit.name.clone(),
            registrations: live.len(),
            approved: live.iter().filter(|r| r.status == RegStatus::Approved).count(),
            report_status: report.map(|r| r.status),
            submitted_on: sent.and_then(|r| r.submitted_at).map(|ms| vn_date(kernel::clock::ms_to_vn(ms).date_naive())),
            on_time,
            progress: avg,
            score: 60.0 * avg.unwrap_or(0.0) + 40.0 * timeliness,
        });
    }
    units.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.unit_name.cmp(&b.unit_name)));
    for (i, u) in units.iter_mut().enumerate() {
        u.rank = i + 1;
    }
    let province_scope = Scope::Province(header.province.clone());
    let province_kpis = FORMULAS
        .iter()
        .map(|f| ProvinceKpi {
            name: f.name.0.to_string(),
            definition: f.definition.0.to_string(),
            value: current.reading(f, &province_scope).display(f.unit, lang),
        })
        .collect();
    let not_registered = crate::registrations::units_not_registered(db).await?.len();
    Ok(Consolidated {
        period_title: period.title(lang),
        header,
        period,
        date: today,
        units,
        kpis: kpi_rows,
        province_kpis,
        total_units: all_units.len(),
        not_registered,
    })
}

impl Consolidated {
    /// "Tuyên Quang, ngày 05 tháng 07 năm 2025".
    pub fn place_and_date(&self) -> String {
        use chrono::Datelike;
        format!(
            "{}, ngày {:02} tháng {:02} năm {}",
            self.header.place,
            self.date.day(),
            self.date.month(),
            self.date.year()
        )
    }

    /// The report's title line.
    pub fn title(&self) -> String {
        format!("BÁO CÁO TỔNG HỢP KẾT QUẢ TRIỂN KHAI CÁC MÔ HÌNH ĐIỂM ĐỀ ÁN 06 — {}", self.period_title.to_uppercase())
    }

    pub fn status_label(s: Option<ReportStatus>) -> &'static str {
        s.map(|s| s.label().0).unwrap_or("Chưa có báo cáo")
    }

    pub fn percent(p: Option<f64>) -> String {
        p.map(|p| KpiUnit::Percent.format(p * 100.0)).unwrap_or_else(|| "—".into())
    }
}
