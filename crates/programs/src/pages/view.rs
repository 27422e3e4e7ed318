//! View models shared by the pages: KPI lines with their display strings and trend charts.

use db::Db;
use kernel::AppError;
use web::Lang;

use crate::catalogue::{Kpi, Model};
use crate::kpi::{self, Current};
use crate::progress::{self, KpiLine, LineValue, Track};
use crate::registrations::Registration;
use crate::units::Unit;

/// One KPI line ready for a template.
pub(super) struct LineView {
    pub name: String,
    pub value: String,
    pub target: String,
    /// Bar width, 0–100; `None` without a value or a target.
    pub bar: Option<i64>,
    pub met: bool,
    /// The formula's definition for computed KPIs; the evidence for manual ones.
    pub note: String,
    pub evidence_url: Option<String>,
    pub trend_svg: Option<String>,
}

/// A registration with its lines.
pub(super) struct RegView {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub model_id: String,
    pub model_name: String,
    pub role: String,
    pub track: Track,
    pub track_label: String,
    pub track_class: &'static str,
    pub version: i64,
    pub pending: bool,
    /// Returned by the working group: the unit may revise and register again.
    pub returned: bool,
    pub lines: Vec<LineView>,
    /// (title, due dd/mm/yyyy, done)
    pub steps: Vec<(String, String, bool)>,
}

/// The badge class of a track.
pub(super) fn track_class(t: Track) -> &'static str {
    match t {
        Track::Done | Track::OnTrack => "ok",
        Track::Pending => "",
        Track::Returned => "warn",
        Track::Late => "bad",
    }
}

fn line_view(l: &KpiLine, lang: Lang, trend: Option<String>) -> LineView {
    let unit = l.kpi.unit;
    let (value, note, evidence_url) = match &l.value {
        LineValue::Computed { reading, definition_vi, definition_en } => {
            (reading.display(unit, lang), lang.pick(definition_vi, definition_en).to_string(), None)
        }
        LineValue::Manual { latest: Some(m) } => {
            let note = format!(
                "{} · {}{}",
                m.reported_by,
                kernel::clock::format_ms_vn(m.reported_at),
                if m.comment.is_empty() { String::new() } else { format!(" · {}", m.comment) }
            );
            let file = m.attachment_name.as_ref().map(|_| format!("/api/v1/programs/values/{}/attachment", m.id));
            (unit.format(m.value), note, m.evidence_url.clone().or(file))
        }
        LineValue::Manual { latest: None } => {
            (lang.pick("chưa báo cáo", "not reported").to_string(), String::new(), None)
        }
    };
    LineView {
        name: l.kpi.name(lang).to_string(),
        value,
        target: l
            .target
            .as_ref()
            .map(|t| format!("{} ({})", unit.format(t.target_value), t.deadline.format("%d/%m/%Y")))
            .unwrap_or_default(),
        bar: l.progress.map(|p| (p * 100.0).round() as i64),
        met: l.met,
        note,
        evidence_url,
        trend_svg: trend,
    }
}

/// What every page reads once: units, models, KPIs and the current computed values.
pub(super) struct Loaded {
    pub province: String,
    pub units: Vec<Unit>,
    pub models: Vec<Model>,
    pub kpis: Vec<Kpi>,
    pub current: Current,
}

impl Loaded {
    pub(super) async fn load(db: &Db) -> Result<Loaded, AppError> {
        let province = crate::settings::require_province(db).await?;
        let current = kpi::current(db, &province, kernel::clock::now_ms()).await?;
        Ok(Loaded {
            units: crate::units::list(db, None, None).await?,
            models: crate::catalogue::list_models(db).await?,
            kpis: crate::catalogue::model_kpis(db, None).await?,
            current,
            province,
        })
    }
}

/// Builds the view of registrations, with trend charts of computed KPIs when `trends`.
pub(super) async fn registrations(
    db: &Db,
    regs: &[Registration],
    data: &Loaded,
    lang: Lang,
    trends: bool,
) -> Result<Vec<RegView>, AppError> {
    let (units, kpis, models, current) = (&data.units, &data.kpis, &data.models, &data.current);
    let today = kernel::clock::today_vn();
    let mut out = Vec::new();
    for reg in regs {
        let Some(unit) = units.iter().find(|u| u.id == reg.unit_id) else { continue };
        let lines = progress::lines(db, reg, unit, kpis, current).await?;
        let track = progress::track(reg, &lines, today);
        let mut views = Vec::new();
        for l in &lines {
            let trend = match (&l.kpi.formula, trends) {
                (Some(code), true) => {
                    let hist = kpi::history(db, code, &progress::scope_of(unit)).await?;
                    let pts: Vec<(String, f64)> =
                        hist.iter().filter_map(|s| Some((s.month.clone(), s.value?))).collect();
                    (!pts.is_empty()).then(|| {
                        crate::svg::trend(&pts, l.target.as_ref().map(|t| t.target_value), 100.0, l.kpi.name(lang))
                    })
                }
                _ => None,
            };
            views.push(line_view(l, lang, trend));
        }
        let (rvi, ren) = reg.role.label();
        let (tvi, ten) = track.label();
        out.push(RegView {
            id: reg.id.clone(),
            unit_id: unit.id.clone(),
            unit_name: unit.display_name(lang).to_string(),
            model_id: reg.model_id.clone(),
            model_name: models
                .iter()
                .find(|m| m.id == reg.model_id)
                .map(|m| lang.pick(&m.name_vi, &m.name_en).to_string())
                .unwrap_or_default(),
            role: lang.pick(rvi, ren).to_string(),
            track,
            track_label: lang.pick(tvi, ten).to_string(),
            track_class: track_class(track),
            version: reg.version,
            pending: reg.status == crate::registrations::RegStatus::Pending,
            returned: reg.status == crate::registrations::RegStatus::Returned,
            lines: views,
            steps: reg
                .steps
                .iter()
                .map(|s| (s.title.clone(), s.due_date.format("%d/%m/%Y").to_string(), s.done_at.is_some()))
                .collect(),
        });
    }
    Ok(out)
}
