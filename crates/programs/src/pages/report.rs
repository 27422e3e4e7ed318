//! A unit's periodic report as a page: the focal point opens the report of a period (pre-filled
//! with the unit's computed KPIs and latest reported values), writes it, saves it as a draft and
//! submits it; the working group approves it or returns it with a reason from the same page.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use web::layout::render;
use web::{Chrome, Ctx, CurrentUser, Lang, PageError, PageUser};

use super::forms::{self, Fields, Problem};
use crate::calendar::{Frequency, Period};
use crate::catalogue::KpiUnit;
use crate::reports::{self, ItemEdit, Report, ReportEdit, ReportStatus};

/// A line of the report as shown: (field key, KPI name, model, target, value, computed, note).
struct ItemRow {
    key: String,
    kpi: String,
    model: String,
    target: String,
    value: String,
    computed: bool,
    note: String,
}

#[derive(Template)]
#[template(path = "programs_report.html")]
struct ReportPage {
    chrome: Chrome,
    id: String,
    unit_id: String,
    unit_name: String,
    title: String,
    status: String,
    status_class: &'static str,
    due: String,
    submitted: String,
    decision_note: String,
    version: i64,
    summary: String,
    difficulties: String,
    items: Vec<ItemRow>,
    /// The caller is the unit's focal point and the report is a draft or returned.
    editable: bool,
    /// The caller decides and the report is submitted.
    decides: bool,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "programs_report_new.html")]
struct NewReportPage {
    chrome: Chrome,
    unit_id: String,
    unit_name: String,
    /// (value `frequency:period`, label)
    open: Vec<(String, String)>,
    /// (report id, label, status) of the periods already opened.
    existing: Vec<(String, String, String)>,
    problem: Option<String>,
}

fn item_key(registration_id: &str, kpi_id: &str) -> String {
    format!("{registration_id}.{kpi_id}")
}

async fn render_report(
    ctx: &Ctx,
    user: &CurrentUser,
    r: &Report,
    lang: Lang,
    input: Option<&Fields>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let db = &ctx.db;
    let unit = crate::units::get(db, &r.unit_id).await.map_err(err)?;
    let kpis = crate::catalogue::model_kpis(db, None).await.map_err(err)?;
    let regs = crate::registrations::list(db, Some(&r.unit_id), None).await.map_err(err)?;
    let mine = crate::api::focal_unit(ctx, user).await.map_err(err)?.is_some_and(|u| u.id == r.unit_id);
    let editable = mine && matches!(r.status, ReportStatus::Draft | ReportStatus::Returned);
    let items = r
        .items
        .iter()
        .map(|it| {
            let k = kpis.iter().find(|k| k.id == it.kpi_id);
            let unit_of = k.map(|k| k.unit).unwrap_or(KpiUnit::Count);
            let key = item_key(&it.registration_id, &it.kpi_id);
            let typed = |field: &str| input.map(|f| f.get(&format!("{field}.{key}")).to_string());
            let value = match (it.computed, typed("value")) {
                (false, Some(v)) => v,
                (false, None) if editable => it.value.map(forms::show_number).unwrap_or_default(),
                (_, _) => match it.value {
                    Some(v) => unit_of.format(v),
                    None if it.computed => lang.pick("chưa có dữ liệu", "no data").to_string(),
                    None => lang.pick("chưa báo cáo", "not reported").to_string(),
                },
            };
            ItemRow {
                kpi: k.map(|k| k.name(lang).to_string()).unwrap_or_else(|| it.kpi_id.clone()),
                model: regs.iter().find(|g| g.id == it.registration_id).map(|g| g.model_id.clone()).unwrap_or_default(),
                target: it.target.map(|t| unit_of.format(t)).unwrap_or_default(),
                value,
                computed: it.computed,
                note: typed("note").unwrap_or_else(|| it.note.clone()),
                key,
            }
        })
        .collect();
    let (svi, sen) = r.status.label();
    let text = |name: &str, stored: &str| input.map(|f| f.get(name).to_string()).unwrap_or_else(|| stored.to_string());
    let page = ReportPage {
        chrome: Chrome::new(
            lang,
            ("Báo cáo định kỳ", "Periodic report"),
            Some(user),
            &format!("/programs/reports/{}", r.id),
        ),
        id: r.id.clone(),
        unit_id: unit.id.clone(),
        unit_name: unit.display_name(lang).to_string(),
        title: format!("{} — {}", lang.pick(r.frequency.label().0, r.frequency.label().1), r.period_title(lang)),
        status: lang.pick(svi, sen).to_string(),
        status_class: match r.status {
            ReportStatus::Approved => "ok",
            ReportStatus::Returned => "warn",
            _ => "",
        },
        due: forms::show_date(r.due_date),
        submitted: r.submitted_at.map(kernel::clock::format_ms_vn).unwrap_or_default(),
        decision_note: r.decision_note.clone().unwrap_or_default(),
        version: r.version,
        summary: text("summary", &r.summary),
        difficulties: text("difficulties", &r.difficulties),
        items,
        editable,
        decides: crate::api::DECIDERS.contains(&user.role) && r.status == ReportStatus::Submitted,
        problem: problem.as_ref().map(|p| p.text(lang)),
    };
    Ok(forms::with_status(render(&page, lang), problem.is_some()))
}

/// `GET /programs/reports/{id}`: every programme reader may read a report.
pub(super) async fn page(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(crate::api::READERS).map_err(|e| PageError::new(e, lang))?;
    let r = reports::get(&ctx.db, &id).await.map_err(|e| PageError::new(e, lang))?;
    render_report(&ctx, &user, &r, lang, None, None).await
}

/// Reads the unit's changes; `Err` says what is wrong.
fn parse_edit(fs: &Fields, r: &Report, units: &[(String, KpiUnit)]) -> Result<ReportEdit, Problem> {
    let version = fs
        .get("version")
        .parse()
        .map_err(|_| Problem::new("Biểu mẫu thiếu phiên bản.", "The form lacks its version."))?;
    let mut items = Vec::new();
    for it in &r.items {
        let key = item_key(&it.registration_id, &it.kpi_id);
        let unit = units.iter().find(|(id, _)| id == &it.kpi_id).map(|(_, u)| *u).unwrap_or(KpiUnit::Count);
        let label = (format!("Kết quả {}", it.kpi_id), format!("Value of {}", it.kpi_id));
        let value = match it.computed {
            true => None,
            false => forms::number(fs.get(&format!("value.{key}")), (&label.0, &label.1))?,
        };
        if unit == KpiUnit::Percent && value.is_some_and(|v| v > 100.0) {
            return Err(Problem::new(
                format!("{}: tỷ lệ không vượt quá 100%.", label.0),
                format!("{}: a share cannot exceed 100%.", label.1),
            ));
        }
        let note = fs.get(&format!("note.{key}"));
        if note.chars().count() > 2000 {
            return Err(Problem::new(
                format!("Ghi chú của {} tối đa 2000 ký tự.", it.kpi_id),
                format!("The note of {} is limited to 2000 characters.", it.kpi_id),
            ));
        }
        items.push(ItemEdit {
            registration_id: it.registration_id.clone(),
            kpi_id: it.kpi_id.clone(),
            value,
            note: Some(note.to_string()),
        });
    }
    for (field, vi, en) in
        [("summary", "Kết quả thực hiện", "Results"), ("difficulties", "Khó khăn, vướng mắc", "Difficulties")]
    {
        if fs.get(field).chars().count() > 20_000 {
            return Err(Problem::new(
                format!("{vi}: tối đa 20.000 ký tự."),
                format!("{en}: at most 20,000 characters."),
            ));
        }
    }
    Ok(ReportEdit {
        version,
        summary: Some(fs.get("summary").to_string()),
        difficulties: Some(fs.get("difficulties").to_string()),
        items,
    })
}

/// `POST /programs/reports/{id}`: the unit's focal point saves the draft (`action=save`) or
/// saves and submits it (`action=submit`).
pub(super) async fn save(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let fs = Fields(pairs);
    let r = reports::get(&ctx.db, &id).await.map_err(err)?;
    let unit = crate::api::own_unit_for(&ctx, &user, &r.unit_id).await.map_err(err)?;
    if !matches!(r.status, ReportStatus::Draft | ReportStatus::Returned) {
        let p = Problem::new(
            "Báo cáo đã gửi hoặc đã duyệt, không sửa được.",
            "The report is submitted or approved and cannot be changed.",
        );
        return render_report(&ctx, &user, &r, lang, None, Some(p)).await;
    }
    let units: Vec<(String, KpiUnit)> =
        crate::catalogue::model_kpis(&ctx.db, None).await.map_err(err)?.into_iter().map(|k| (k.id, k.unit)).collect();
    let edit = match parse_edit(&fs, &r, &units) {
        Ok(e) => e,
        Err(p) => return render_report(&ctx, &user, &r, lang, Some(&fs), Some(p)).await,
    };
    let submit = fs.get("action") == "submit";
    if submit && fs.get("summary").is_empty() {
        let p = Problem::new(
            "Cần nêu kết quả thực hiện trong kỳ trước khi gửi báo cáo.",
            "Describe the results of the period before submitting.",
        );
        return render_report(&ctx, &user, &r, lang, Some(&fs), Some(p)).await;
    }
    let saved = match reports::edit(&ctx.db, &id, &edit).await {
        Ok(s) => s,
        Err(e) => return render_report(&ctx, &user, &r, lang, Some(&fs), Some(Problem::from_error(&e))).await,
    };
    if submit {
        if let Err(e) = reports::submit(&ctx.db, &id, &unit, saved.version, kernel::clock::now_ms()).await {
            return render_report(&ctx, &user, &saved, lang, None, Some(Problem::from_error(&e))).await;
        }
    }
    Ok(Redirect::to(&format!("/programs/reports/{id}")).into_response())
}

/// The periods a unit may open now: the current and the previous period of each frequency of its
/// calendar that has no report yet.
async fn new_page(ctx: &Ctx, user: &CurrentUser, lang: Lang, problem: Option<Problem>) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let unit = crate::api::own_unit(ctx, user).await.map_err(err)?;
    let today = kernel::clock::today_vn();
    let existing = reports::list(&ctx.db, Some(&unit.id), None, None, None).await.map_err(err)?;
    let mut open = Vec::new();
    for s in reports::schedules(&ctx.db, Some(&unit.id)).await.map_err(err)? {
        let current = Period::containing(s.frequency, today);
        let previous = Period::containing(s.frequency, current.start - chrono::Duration::days(1));
        for p in [current, previous] {
            if !existing.iter().any(|r| r.frequency == s.frequency && r.period == p.label) {
                let (vi, en) = s.frequency.label();
                open.push((
                    format!("{}:{}", s.frequency.code(), p.label),
                    format!("{} — {}", lang.pick(vi, en), p.title(lang)),
                ));
            }
        }
    }
    let page = NewReportPage {
        chrome: Chrome::new(
            lang,
            ("Lập báo cáo định kỳ", "Open a periodic report"),
            Some(user),
            "/programs/reports/new",
        ),
        unit_id: unit.id.clone(),
        unit_name: unit.display_name(lang).to_string(),
        open,
        existing: existing
            .iter()
            .map(|r| {
                let (vi, en) = r.status.label();
                let (fvi, fen) = r.frequency.label();
                (
                    r.id.clone(),
                    format!("{} — {}", lang.pick(fvi, fen), r.period_title(lang)),
                    lang.pick(vi, en).to_string(),
                )
            })
            .collect(),
        problem: problem.as_ref().map(|p| p.text(lang)),
    };
    Ok(forms::with_status(render(&page, lang), problem.is_some()))
}

/// `GET /programs/reports/new`.
pub(super) async fn new(State(ctx): State<Ctx>, PageUser(user): PageUser, lang: Lang) -> Result<Response, PageError> {
    new_page(&ctx, &user, lang, None).await
}

/// `POST /programs/reports/new`: opens the draft of the chosen period, pre-filled.
pub(super) async fn create(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fs = Fields(pairs);
    let unit = crate::api::own_unit(&ctx, &user).await.map_err(|e| PageError::new(e, lang))?;
    let chosen = fs.get("period").split_once(':').and_then(|(f, p)| Some((Frequency::parse(f)?, p)));
    let Some((frequency, period)) = chosen else {
        let p = Problem::new("Hãy chọn kỳ báo cáo.", "Choose the reporting period.");
        return new_page(&ctx, &user, lang, Some(p)).await;
    };
    match reports::create_draft(&ctx.db, &unit, frequency, period, &user.actor_label(), kernel::clock::now_ms()).await {
        Ok(r) => Ok(Redirect::to(&format!("/programs/reports/{}", r.id)).into_response()),
        Err(e) => new_page(&ctx, &user, lang, Some(Problem::from_error(&e))).await,
    }
}

/// Re-renders a report with a problem in the working group's decision (a return without reason).
pub(super) async fn decision_problem(
    ctx: &Ctx,
    user: &CurrentUser,
    id: &str,
    lang: Lang,
    problem: Problem,
) -> Result<Response, PageError> {
    let r = reports::get(&ctx.db, id).await.map_err(|e| PageError::new(e, lang))?;
    render_report(ctx, user, &r, lang, None, Some(problem)).await
}
