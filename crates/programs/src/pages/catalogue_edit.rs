//! `/programs/models/{id}/edit`: administrators edit a pilot model of the catalogue (names, goals,
//! lead unit, tools, KPI wording and targets, a new KPI, withdrawal) on top of the versioned edit;
//! the page shows every version with who changed what and why.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde_json::Value;
use web::layout::render;
use web::{Chrome, Ctx, CurrentUser, Lang, PageError, PageUser, Role};

use super::forms::{self, Fields, Problem};
use crate::catalogue::{self, KpiEdit, KpiUnit, Model, ModelEdit};

/// A KPI row of the form: (id, name_vi, name_en, target text, active, computed).
type KpiRow = (String, String, String, String, bool, bool);

#[derive(Template)]
#[template(path = "programs_model_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: String,
    version: i64,
    /// (field name, Vietnamese label, English label, value, multi-line)
    fields: Vec<(&'static str, &'static str, &'static str, String, bool)>,
    active: bool,
    kpis: Vec<KpiRow>,
    new_kpi: (String, String, String, bool),
    note: String,
    /// (version, date, editor, note, changed fields)
    versions: Vec<(i64, String, String, String, String)>,
    problem: Option<String>,
}

/// The model's text fields as the form shows them: (name, Vietnamese label, English label, multi-line).
const TEXT_FIELDS: &[(&str, &str, &str, bool)] = &[
    ("name_vi", "Tên mô hình (tiếng Việt)", "Name (Vietnamese)", false),
    ("name_en", "Tên mô hình (tiếng Anh)", "Name (English)", false),
    ("goal_vi", "Mục tiêu, yêu cầu (tiếng Việt)", "Goals (Vietnamese)", true),
    ("goal_en", "Mục tiêu, yêu cầu (tiếng Anh)", "Goals (English)", true),
    ("lead_unit_vi", "Đơn vị chủ trì (tiếng Việt)", "Lead unit (Vietnamese)", false),
    ("lead_unit_en", "Đơn vị chủ trì (tiếng Anh)", "Lead unit (English)", false),
    ("tools_vi", "Công cụ (tiếng Việt)", "Tools (Vietnamese)", false),
    ("tools_en", "Công cụ (tiếng Anh)", "Tools (English)", false),
];

fn stored(m: &Model, field: &str) -> String {
    match field {
        "name_vi" => &m.name_vi,
        "name_en" => &m.name_en,
        "goal_vi" => &m.goal_vi,
        "goal_en" => &m.goal_en,
        "lead_unit_vi" => &m.lead_unit_vi,
        "lead_unit_en" => &m.lead_unit_en,
        "tools_vi" => &m.tools_vi,
        _ => &m.tools_en,
    }
    .clone()
}

/// `v[key]` without indexing: a missing member, or any member of a non-object, reads as null.
fn member<'a>(v: &'a Value, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.get(key).unwrap_or(&NULL)
}

/// What changed between two stored versions, as a short list of field names.
fn changes(before: Option<&Value>, after: &Value) -> String {
    let Some(before) = before else { return String::new() };
    let mut out = Vec::new();
    for (key, _, _, _) in TEXT_FIELDS.iter().chain([("active", "", "", false)].iter()) {
        if member(member(before, "model"), key) != member(member(after, "model"), key) {
            out.push(key.to_string());
        }
    }
    let empty = Vec::new();
    let old = member(before, "kpis").as_array().unwrap_or(&empty);
    for k in member(after, "kpis").as_array().unwrap_or(&empty) {
        let id = member(k, "id");
        match old.iter().find(|o| member(o, "id") == id) {
            None => out.push(format!("+{}", id.as_str().unwrap_or(""))),
            Some(o) => {
                for key in ["name_vi", "name_en", "target_text", "unit", "active"] {
                    if member(o, key) != member(k, key) {
                        out.push(format!("{}.{key}", id.as_str().unwrap_or("")));
                    }
                }
            }
        }
    }
    out.join(", ")
}

async fn render_form(
    ctx: &Ctx,
    user: &CurrentUser,
    id: &str,
    lang: Lang,
    input: Option<&Fields>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let m = catalogue::get_model(&ctx.db, id).await.map_err(err)?;
    let kpis = catalogue::model_kpis(&ctx.db, Some(id)).await.map_err(err)?;
    let typed = |name: &str, stored: String| input.map(|f| f.get(name).to_string()).unwrap_or(stored);
    let checked = |name: &str, stored: bool| input.map(|f| f.checked(name)).unwrap_or(stored);
    let versions = catalogue::versions(&ctx.db, id).await.map_err(err)?;
    let page = EditPage {
        chrome: Chrome::new(
            lang,
            ("Sửa danh mục mô hình", "Edit the catalogue"),
            Some(user),
            &format!("/programs/models/{id}/edit"),
        ),
        id: m.id.clone(),
        version: m.version,
        fields: TEXT_FIELDS.iter().map(|(f, vi, en, multi)| (*f, *vi, *en, typed(f, stored(&m, f)), *multi)).collect(),
        active: checked("active", m.active),
        kpis: kpis
            .iter()
            .map(|k| {
                (
                    k.id.clone(),
                    typed(&format!("kpi_name_vi.{}", k.id), k.name_vi.clone()),
                    typed(&format!("kpi_name_en.{}", k.id), k.name_en.clone()),
                    typed(&format!("kpi_target.{}", k.id), k.target_text.clone()),
                    checked(&format!("kpi_active.{}", k.id), k.active),
                    k.formula.is_some(),
                )
            })
            .collect(),
        new_kpi: (
            typed("new_name_vi", String::new()),
            typed("new_name_en", String::new()),
            typed("new_target", String::new()),
            input.is_some_and(|f| f.get("new_unit") == "count"),
        ),
        note: typed("note", String::new()),
        versions: versions
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    v.version,
                    kernel::clock::format_ms_vn(v.edited_at),
                    v.edited_by.clone(),
                    v.note.clone(),
                    changes(versions.get(i + 1).map(|p| &p.data), &v.data),
                )
            })
            .collect(),
        problem: problem.as_ref().map(|p| p.text(lang)),
    };
    Ok(forms::with_status(render(&page, lang), problem.is_some()))
}

pub(super) async fn page(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(&[Role::Admin]).map_err(|e| PageError::new(e, lang))?;
    render_form(&ctx, &user, &id, lang, None, None).await
}

/// The administrator's changes, or what is wrong with them.
fn parse(fs: &Fields, m: &Model, kpis: &[catalogue::Kpi]) -> Result<ModelEdit, Problem> {
    let version = fs
        .get("version")
        .parse()
        .map_err(|_| Problem::new("Biểu mẫu thiếu phiên bản.", "The form lacks its version."))?;
    if fs.get("note").is_empty() {
        return Err(Problem::new("Cần nêu lý do sửa đổi.", "Say why the model changes."));
    }
    for (field, vi, en) in
        [("name_vi", "Tên tiếng Việt", "The Vietnamese name"), ("name_en", "Tên tiếng Anh", "The English name")]
    {
        if fs.get(field).is_empty() {
            return Err(Problem::new(format!("{vi} không được để trống."), format!("{en} must not be empty.")));
        }
    }
    let changed = |field: &str, old: &str| {
        let typed = fs.get(field).replace("\r\n", "\n");
        (typed != old).then_some(typed)
    };
    let mut edit = ModelEdit {
        version,
        note: fs.get("note").to_string(),
        name_vi: changed("name_vi", &m.name_vi),
        name_en: changed("name_en", &m.name_en),
        goal_vi: changed("goal_vi", m.goal_vi.trim()),
        goal_en: changed("goal_en", m.goal_en.trim()),
        lead_unit_vi: changed("lead_unit_vi", &m.lead_unit_vi),
        lead_unit_en: changed("lead_unit_en", &m.lead_unit_en),
        tools_vi: changed("tools_vi", &m.tools_vi),
        tools_en: changed("tools_en", &m.tools_en),
        active: (fs.checked("active") != m.active).then_some(fs.checked("active")),
        kpis: Vec::new(),
    };
    for k in kpis {
        let e = KpiEdit {
            id: Some(k.id.clone()),
            name_vi: changed(&format!("kpi_name_vi.{}", k.id), &k.name_vi),
            name_en: changed(&format!("kpi_name_en.{}", k.id), &k.name_en),
            target_text: changed(&format!("kpi_target.{}", k.id), &k.target_text),
            active: (fs.checked(&format!("kpi_active.{}", k.id)) != k.active)
                .then_some(fs.checked(&format!("kpi_active.{}", k.id))),
            ..KpiEdit::default()
        };
        let renamed_empty =
            fs.get(&format!("kpi_name_vi.{}", k.id)).is_empty() && fs.get(&format!("kpi_name_en.{}", k.id)).is_empty();
        if renamed_empty {
            return Err(Problem::new(format!("Chỉ tiêu {} cần có tên.", k.id), format!("KPI {} needs a name.", k.id)));
        }
        if e.name_vi.is_some() || e.name_en.is_some() || e.target_text.is_some() || e.active.is_some() {
            edit.kpis.push(e);
        }
    }
    let (new_vi, new_en) = (fs.get("new_name_vi"), fs.get("new_name_en"));
    if !new_vi.is_empty() || !new_en.is_empty() || !fs.get("new_target").is_empty() {
        if new_vi.is_empty() || new_en.is_empty() {
            return Err(Problem::new(
                "Chỉ tiêu mới cần có tên tiếng Việt và tiếng Anh.",
                "A new KPI needs a Vietnamese and an English name.",
            ));
        }
        edit.kpis.push(KpiEdit {
            id: None,
            name_vi: Some(new_vi.to_string()),
            name_en: Some(new_en.to_string()),
            target_text: Some(fs.get("new_target").to_string()),
            unit: Some(if fs.get("new_unit") == "count" { KpiUnit::Count } else { KpiUnit::Percent }),
            ..KpiEdit::default()
        });
    }
    let nothing = [&edit.name_vi, &edit.name_en, &edit.goal_vi, &edit.goal_en, &edit.lead_unit_vi]
        .iter()
        .chain([&edit.lead_unit_en, &edit.tools_vi, &edit.tools_en].iter())
        .all(|f| f.is_none())
        && edit.active.is_none()
        && edit.kpis.is_empty();
    if nothing {
        return Err(Problem::new("Không có thay đổi nào để lưu.", "There is no change to save."));
    }
    Ok(edit)
}

pub(super) async fn submit(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let fs = Fields(pairs);
    user.require(&[Role::Admin]).map_err(err)?;
    let m = catalogue::get_model(&ctx.db, &id).await.map_err(err)?;
    let kpis = catalogue::model_kpis(&ctx.db, Some(&id)).await.map_err(err)?;
    let edit = match parse(&fs, &m, &kpis) {
        Ok(e) => e,
        Err(p) => return render_form(&ctx, &user, &id, lang, Some(&fs), Some(p)).await,
    };
    match catalogue::update_model(&ctx.db, &id, &edit, &user.actor_label(), kernel::clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to(&format!("/programs/models/{id}/edit")).into_response()),
        Err(e) => render_form(&ctx, &user, &id, lang, Some(&fs), Some(Problem::from_error(&e))).await,
    }
}
