//! `GET /programs`: the working group's dashboard — models × units matrix, KPI progress against
//! targets with trends, province-wide computed KPIs, reports awaiting a decision, overdue reports
//! and reminders, units that have not registered, and the consolidated report downloads.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use web::layout::render;
use web::{Chrome, Ctx, CurrentUser, Lang, PageError, PageUser, Role};

use super::forms::Problem;
use super::view::{self, track_class, Loaded, RegView};
use crate::calendar::{Frequency, Period};
use crate::kpi::{self, Scope, FORMULAS};
use crate::registrations::RegStatus;
use crate::reports::{self, ObligationState, ReportStatus};

/// A province-wide computed KPI: (name, value, definition, trend SVG).
type ProvinceKpi = (String, String, String, Option<String>);

/// A row of the matrix: (unit id, unit name, one cell per model column: badge class and label).
type MatrixRow = (String, String, Vec<Option<(&'static str, String)>>);

/// An owed report: (unit id, unit name, report kind, period, due date, state, state class).
type Owed = (String, String, String, String, String, String, &'static str);

#[derive(Template)]
#[template(path = "programs_dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    problem: Option<String>,
    /// (id, name) of the caller's unit, for a focal point.
    my_unit: Option<(String, String)>,
    decides: bool,
    exports: bool,
    units_total: usize,
    units_registered: usize,
    not_registered: Vec<(String, String)>,
    pending: usize,
    /// (model id, name) columns.
    matrix_models: Vec<(String, String)>,
    matrix_rows: Vec<MatrixRow>,
    regs: Vec<RegView>,
    province_kpis: Vec<ProvinceKpi>,
    overdue: Vec<Owed>,
    reminders: Vec<Owed>,
    /// (report id, version, unit name, period title, summary).
    awaiting: Vec<(String, i64, String, String, String)>,
    /// (label, query) of the consolidated report periods offered for download.
    periods: Vec<(String, String)>,
}

pub(super) async fn page(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
) -> Result<Response, PageError> {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/programs").to_string();
    render_dashboard(&ctx, &user, lang, &path, None).await
}

/// The dashboard, with a problem of the working group's last decision shown above it (answered
/// with 400).
pub(super) async fn render_dashboard(
    ctx: &Ctx,
    user: &CurrentUser,
    lang: Lang,
    path: &str,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    user.require(crate::api::READERS).map_err(err)?;
    let db = &ctx.db;
    let data = Loaded::load(db).await.map_err(err)?;
    let regs = crate::registrations::list(db, None, None).await.map_err(err)?;
    let live: Vec<_> = regs.iter().filter(|r| r.status != RegStatus::Returned).cloned().collect();
    let views = view::registrations(db, &live, &data, lang, true).await.map_err(err)?;

    let mut matrix_models: Vec<(String, String)> = Vec::new();
    for m in &data.models {
        if views.iter().any(|v| v.model_id == m.id) {
            matrix_models.push((m.id.clone(), lang.pick(&m.name_vi, &m.name_en).to_string()));
        }
    }
    let mut matrix_rows = Vec::new();
    for u in &data.units {
        let mine: Vec<&RegView> = views.iter().filter(|v| v.unit_id == u.id).collect();
        if mine.is_empty() {
            continue;
        }
        let cells = matrix_models
            .iter()
            .map(|(mid, _)| {
                mine.iter().find(|v| &v.model_id == mid).map(|v| (track_class(v.track), v.track_label.clone()))
            })
            .collect();
        matrix_rows.push((u.id.clone(), u.display_name(lang).to_string(), cells));
    }

    let province = Scope::Province(data.province.clone());
    let mut province_kpis = Vec::new();
    for f in FORMULAS {
        let reading = data.current.reading(f, &province);
        let hist = kpi::history(db, f.code, &province).await.map_err(err)?;
        let pts: Vec<(String, f64)> = hist.iter().filter_map(|s| Some((s.month.clone(), s.value?))).collect();
        province_kpis.push((
            lang.pick(f.name.0, f.name.1).to_string(),
            reading.display(f.unit, lang),
            lang.pick(f.definition.0, f.definition.1).to_string(),
            (!pts.is_empty()).then(|| crate::svg::trend(&pts, None, 100.0, lang.pick(f.name.0, f.name.1))),
        ));
    }

    let unit_name =
        |id: &str| data.units.iter().find(|u| u.id == id).map(|u| u.display_name(lang).to_string()).unwrap_or_default();
    let today = kernel::clock::today_vn();
    let owed = reports::obligations(db, today).await.map_err(err)?;
    let owed_view = |state: ObligationState| -> Vec<Owed> {
        owed.iter()
            .filter(|o| o.state == state)
            .map(|o| {
                let (svi, sen) = o.state.label();
                let (fvi, fen) = o.frequency.label();
                (
                    o.unit_id.clone(),
                    unit_name(&o.unit_id),
                    lang.pick(fvi, fen).to_string(),
                    Period::parse(o.frequency, &o.period).map(|p| p.title(lang)).unwrap_or_default(),
                    o.due_date.format("%d/%m/%Y").to_string(),
                    lang.pick(svi, sen).to_string(),
                    if state == ObligationState::DueSoon { "warn" } else { "bad" },
                )
            })
            .collect()
    };
    let mut overdue = owed_view(ObligationState::Missing);
    overdue.extend(owed_view(ObligationState::Late));
    let reminders = owed_view(ObligationState::DueSoon);

    let awaiting = reports::list(db, None, None, None, Some(ReportStatus::Submitted))
        .await
        .map_err(err)?
        .into_iter()
        .map(|r| (r.id.clone(), r.version, unit_name(&r.unit_id), r.period_title(lang), r.summary.clone()))
        .collect();
    let not_registered: Vec<(String, String)> = crate::registrations::units_not_registered(db)
        .await
        .map_err(err)?
        .into_iter()
        .map(|u| (u.id.clone(), u.display_name(lang).to_string()))
        .collect();
    let this_month = Period::containing(Frequency::Monthly, today);
    let last_month = Period::containing(Frequency::Monthly, this_month.start - chrono::Duration::days(1));
    let my_unit =
        crate::api::focal_unit(ctx, user).await.map_err(err)?.map(|u| (u.id.clone(), u.display_name(lang).to_string()));
    let page = Dashboard {
        chrome: Chrome::new(lang, ("Theo dõi Đề án 06", "Project 06 tracking"), Some(user), path),
        problem: problem.as_ref().map(|p| p.text(lang)),
        my_unit,
        decides: user.role == Role::WorkingGroup,
        exports: [Role::Admin, Role::WorkingGroup, Role::Leader, Role::ProvincialOfficer].contains(&user.role),
        units_total: data.units.len(),
        units_registered: data.units.len() - not_registered.len(),
        not_registered,
        pending: regs.iter().filter(|r| r.status == RegStatus::Pending).count(),
        matrix_models,
        matrix_rows,
        regs: views,
        province_kpis,
        overdue,
        reminders,
        awaiting,
        periods: [this_month, last_month]
            .into_iter()
            .map(|p| (p.title(lang), format!("frequency=monthly&period={}", p.label)))
            .collect(),
    };
    Ok(super::forms::with_status(render(&page, lang), problem.is_some()))
}
