//! `/programs/register`: a unit's focal point registers a pilot model for their unit, as lead or
//! coordinating unit, with a target (value and deadline) per KPI and a plan of steps; a
//! registration the working group returned is shown with its note and filled in again.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, Ctx, CurrentUser, Lang, PageError, PageUser};

use super::forms::{self, Fields, Problem};
use crate::catalogue::{self, KpiUnit, Model};
use crate::registrations::{self, NewRegistration, NewStep, RegRole, RegStatus, Registration, Target};
use crate::units::Unit;

/// How many plan-step rows the form offers ("Bước 1 … Bước 5" in the seed documents).
const STEP_ROWS: usize = 5;

/// One KPI row of the form.
struct KpiRow {
    id: String,
    name: String,
    /// The target as written in the catalogue, or the formula's definition.
    hint: String,
    unit: &'static str,
    computed: bool,
    value: String,
    deadline: String,
}

#[derive(Template)]
#[template(path = "programs_register.html")]
struct RegisterPage {
    chrome: Chrome,
    unit_id: String,
    unit_name: String,
    /// (id, label, selected, already registered by the unit)
    models: Vec<(String, String, bool, bool)>,
    /// (id, name, goal) of the chosen model.
    model: Option<(String, String, String)>,
    kpis: Vec<KpiRow>,
    lead: bool,
    note: String,
    /// (title, due date)
    steps: Vec<(String, String)>,
    /// The working group's note when the registration was returned.
    returned_note: Option<String>,
    /// The unit already has a live (pending or approved) registration of the chosen model.
    live: bool,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Choose {
    model: Option<String>,
}

/// What the form was filled with: from a submission, or from a returned registration.
enum Input<'a> {
    Blank,
    Returned(&'a Registration),
    Submitted(&'a Fields),
}

async fn render_form(
    ctx: &Ctx,
    user: &CurrentUser,
    unit: &Unit,
    lang: Lang,
    model_id: Option<&str>,
    input: Input<'_>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let db = &ctx.db;
    let mine = registrations::list(db, Some(&unit.id), None).await.map_err(err)?;
    let is_live = |id: &str| mine.iter().any(|r| r.model_id == id && r.status != RegStatus::Returned);
    let models: Vec<Model> = catalogue::list_models(db).await.map_err(err)?.into_iter().filter(|m| m.active).collect();
    let chosen = model_id.and_then(|id| models.iter().find(|m| m.id == id));
    let returned = chosen.and_then(|m| mine.iter().find(|r| r.model_id == m.id && r.status == RegStatus::Returned));
    let input = match (input, returned) {
        (Input::Blank, Some(r)) => Input::Returned(r),
        (i, _) => i,
    };
    let mut kpis = Vec::new();
    if let Some(m) = chosen {
        for k in catalogue::model_kpis(db, Some(&m.id)).await.map_err(err)?.into_iter().filter(|k| k.active) {
            let f = k.formula.as_deref().and_then(crate::kpi::formula);
            let (value, deadline) = match &input {
                Input::Submitted(fs) => {
                    (fs.get(&format!("target.{}", k.id)).to_string(), fs.get(&format!("deadline.{}", k.id)).to_string())
                }
                Input::Returned(r) => r
                    .targets
                    .iter()
                    .find(|t| t.kpi_id == k.id)
                    .map(|t| (forms::show_number(t.target_value), forms::show_date(t.deadline)))
                    .unwrap_or_default(),
                Input::Blank => Default::default(),
            };
            kpis.push(KpiRow {
                name: k.name(lang).to_string(),
                hint: match f {
                    Some(f) => lang.pick(f.definition.0, f.definition.1).to_string(),
                    None => k.target_text.clone(),
                },
                unit: if k.unit == KpiUnit::Percent { "%" } else { "" },
                computed: f.is_some(),
                id: k.id,
                value,
                deadline,
            });
        }
    }
    let steps = (1..=STEP_ROWS)
        .map(|i| match &input {
            Input::Submitted(fs) => {
                (fs.get(&format!("step_title.{i}")).to_string(), fs.get(&format!("step_due.{i}")).to_string())
            }
            Input::Returned(r) => {
                r.steps.get(i - 1).map(|s| (s.title.clone(), forms::show_date(s.due_date))).unwrap_or_default()
            }
            Input::Blank => Default::default(),
        })
        .collect();
    let (lead, note) = match &input {
        Input::Submitted(fs) => (fs.get("role") != "coordinating", fs.get("note").to_string()),
        Input::Returned(r) => (r.role == RegRole::Lead, r.note.clone()),
        Input::Blank => (true, String::new()),
    };
    let page = RegisterPage {
        chrome: Chrome::new(lang, ("Đăng ký mô hình", "Register a model"), Some(user), "/programs/register"),
        unit_id: unit.id.clone(),
        unit_name: unit.display_name(lang).to_string(),
        models: models
            .iter()
            .map(|m| {
                let label =
                    format!("{} {} — {}", lang.pick("Mô hình", "Model"), m.id, lang.pick(&m.name_vi, &m.name_en));
                (m.id.clone(), label, Some(&m.id) == chosen.map(|c| &c.id), is_live(&m.id))
            })
            .collect(),
        model: chosen.map(|m| {
            (m.id.clone(), lang.pick(&m.name_vi, &m.name_en).to_string(), lang.pick(&m.goal_vi, &m.goal_en).to_string())
        }),
        live: chosen.is_some_and(|m| is_live(&m.id)),
        returned_note: returned.and_then(|r| r.decision_note.clone()),
        kpis,
        lead,
        note,
        steps,
        problem: problem.as_ref().map(|p| p.text(lang)),
    };
    Ok(forms::with_status(render(&page, lang), problem.is_some()))
}

pub(super) async fn page(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Query(q): Query<Choose>,
) -> Result<Response, PageError> {
    let unit = crate::api::own_unit(&ctx, &user).await.map_err(|e| PageError::new(e, lang))?;
    render_form(&ctx, &user, &unit, lang, q.model.as_deref().filter(|m| !m.is_empty()), Input::Blank, None).await
}

/// Reads the submitted form into a registration, or says what is wrong with it.
async fn parse(ctx: &Ctx, fs: &Fields, today: chrono::NaiveDate) -> Result<NewRegistration, Problem> {
    let model_id = fs.get("model");
    let model =
        catalogue::get_model(&ctx.db, model_id).await.ok().filter(|m| m.active).ok_or_else(|| {
            Problem::new("Hãy chọn một mô hình trong danh mục.", "Choose a model from the catalogue.")
        })?;
    let role = match fs.get("role") {
        "lead" => RegRole::Lead,
        "coordinating" => RegRole::Coordinating,
        _ => {
            return Err(Problem::new(
                "Hãy chọn vai trò chủ trì hoặc phối hợp.",
                "Choose the lead or coordinating role.",
            ))
        }
    };
    let kpis = catalogue::model_kpis(&ctx.db, Some(&model.id)).await.map_err(|e| Problem::from_error(&e))?;
    let mut targets = Vec::new();
    for k in kpis.iter().filter(|k| k.active) {
        let name = k.name(Lang::Vi);
        let label = (format!("Mục tiêu \"{name}\""), format!("Target \"{}\"", k.name(Lang::En)));
        let value = forms::number(fs.get(&format!("target.{}", k.id)), (&label.0, &label.1))?;
        let deadline = forms::date(fs.get(&format!("deadline.{}", k.id)), (&label.0, &label.1))?;
        match (value, deadline) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => {
                return Err(Problem::new(
                    format!("{}: cần nhập cả giá trị và thời hạn.", label.0),
                    format!("{}: give both a value and a deadline.", label.1),
                ))
            }
            (Some(v), Some(_)) if k.unit == KpiUnit::Percent && v > 100.0 => {
                return Err(Problem::new(
                    format!("{}: tỷ lệ không vượt quá 100%.", label.0),
                    format!("{}: a share cannot exceed 100%.", label.1),
                ))
            }
            (Some(_), Some(d)) if d < today => {
                return Err(Problem::new(
                    format!("{}: thời hạn đã qua.", label.0),
                    format!("{}: the deadline has passed.", label.1),
                ))
            }
            (Some(v), Some(d)) => targets.push(Target { kpi_id: k.id.clone(), target_value: v, deadline: d }),
        }
    }
    if targets.is_empty() {
        return Err(Problem::new(
            "Cần đăng ký ít nhất một chỉ tiêu (giá trị mục tiêu và thời hạn).",
            "Give at least one target (value and deadline).",
        ));
    }
    let mut steps = Vec::new();
    for i in 1..=STEP_ROWS {
        let title = fs.get(&format!("step_title.{i}"));
        let label = (format!("Bước {i}"), format!("Step {i}"));
        let due = forms::date(fs.get(&format!("step_due.{i}")), (&label.0, &label.1))?;
        match (title.is_empty(), due) {
            (true, None) => {}
            (false, Some(d)) if title.chars().count() <= 500 => {
                steps.push(NewStep { title: title.to_string(), due_date: d })
            }
            (false, Some(_)) => {
                return Err(Problem::new(
                    format!("{}: nội dung tối đa 500 ký tự.", label.0),
                    format!("{}: at most 500 characters.", label.1),
                ))
            }
            _ => {
                return Err(Problem::new(
                    format!("{}: cần nhập cả nội dung và thời hạn.", label.0),
                    format!("{}: give both the step and its due date.", label.1),
                ))
            }
        }
    }
    let note = fs.get("note");
    if note.chars().count() > 2000 {
        return Err(Problem::new("Ghi chú tối đa 2000 ký tự.", "The note is limited to 2000 characters."));
    }
    Ok(NewRegistration { model_id: model.id, role, note: note.to_string(), targets, steps })
}

pub(super) async fn submit(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fs = Fields(pairs);
    let unit = crate::api::own_unit(&ctx, &user).await.map_err(|e| PageError::new(e, lang))?;
    let model = fs.get("model").to_string();
    let chosen = Some(model.as_str()).filter(|m| !m.is_empty());
    let new = match parse(&ctx, &fs, kernel::clock::today_vn()).await {
        Ok(n) => n,
        Err(p) => return render_form(&ctx, &user, &unit, lang, chosen, Input::Submitted(&fs), Some(p)).await,
    };
    match registrations::register(&ctx.db, &unit.id, &user.actor_label(), &new, kernel::clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to(&format!("/programs/units/{}", unit.id)).into_response()),
        Err(e) => {
            let p = Problem::from_error(&e);
            render_form(&ctx, &user, &unit, lang, chosen, Input::Submitted(&fs), Some(p)).await
        }
    }
}
