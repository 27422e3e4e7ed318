//! `/programs/registrations/{id}/values`: the unit's focal point reports the value of a manual KPI
//! of one of their unit's registrations, with evidence (a link, or a PDF/image/Word/Excel file up
//! to 5 MiB) and a comment. The form is `multipart/form-data` so the file arrives as it is.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use web::layout::render;
use web::{Chrome, Ctx, CurrentUser, Lang, PageError, PageUser};

use super::forms::{self, Fields, Problem};
use crate::catalogue::{self, Kpi, KpiUnit};
use crate::kpi::evidence;
use crate::kpi::manual::{self, NewValue};
use crate::registrations::{self, Registration};

/// Request bodies of this form may carry a whole evidence file plus the other fields.
pub(super) const BODY_LIMIT: usize = evidence::MAX_BYTES + 256 * 1024;

#[derive(Template)]
#[template(path = "programs_value.html")]
struct ValuePage {
    chrome: Chrome,
    reg_id: String,
    unit_id: String,
    title: String,
    /// (KPI id, name with target text, selected)
    kpis: Vec<(String, String, bool)>,
    value: String,
    evidence_url: String,
    comment: String,
    /// (KPI name, value, reported by and when, comment, evidence link)
    latest: Vec<(String, String, String, String, Option<String>)>,
    problem: Option<String>,
}

/// The registration, checked to belong to the caller's unit.
async fn own_registration(ctx: &Ctx, user: &CurrentUser, id: &str, lang: Lang) -> Result<Registration, PageError> {
    let err = |e| PageError::new(e, lang);
    let reg = registrations::get(&ctx.db, id).await.map_err(err)?;
    crate::api::own_unit_for(ctx, user, &reg.unit_id).await.map_err(err)?;
    Ok(reg)
}

fn manual_kpis(all: Vec<Kpi>) -> Vec<Kpi> {
    all.into_iter().filter(|k| k.active && k.formula.is_none()).collect()
}

async fn render_form(
    ctx: &Ctx,
    user: &CurrentUser,
    reg: &Registration,
    lang: Lang,
    input: Option<&Fields>,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    let model = catalogue::get_model(&ctx.db, &reg.model_id).await.map_err(err)?;
    let kpis = manual_kpis(catalogue::model_kpis(&ctx.db, Some(&reg.model_id)).await.map_err(err)?);
    let latest = manual::latest(&ctx.db, &reg.id)
        .await
        .map_err(err)?
        .into_iter()
        .map(|v| {
            let k = kpis.iter().find(|k| k.id == v.kpi_id);
            let link = match (&v.evidence_url, &v.attachment_name) {
                (Some(u), _) => Some(u.clone()),
                (None, Some(_)) => Some(format!("/api/v1/programs/values/{}/attachment", v.id)),
                (None, None) => None,
            };
            (
                k.map(|k| k.name(lang).to_string()).unwrap_or_else(|| v.kpi_id.clone()),
                k.map(|k| k.unit).unwrap_or(KpiUnit::Count).format(v.value),
                format!("{} · {}", v.reported_by, kernel::clock::format_ms_vn(v.reported_at)),
                v.comment,
                link,
            )
        })
        .collect();
    let get = |name: &str| input.map(|f| f.get(name).to_string()).unwrap_or_default();
    let chosen = get("kpi");
    let page = ValuePage {
        chrome: Chrome::new(lang, ("Báo cáo kết quả chỉ tiêu", "Report a KPI value"), Some(user), "/programs"),
        reg_id: reg.id.clone(),
        unit_id: reg.unit_id.clone(),
        title: format!(
            "{} {} — {}",
            lang.pick("Mô hình", "Model"),
            model.id,
            lang.pick(&model.name_vi, &model.name_en)
        ),
        kpis: kpis
            .iter()
            .map(|k| {
                let name = if k.target_text.is_empty() {
                    k.name(lang).to_string()
                } else {
                    format!("{} ({})", k.name(lang), k.target_text)
                };
                (k.id.clone(), name, k.id == chosen)
            })
            .collect(),
        value: get("value"),
        evidence_url: get("evidence_url"),
        comment: get("comment"),
        latest,
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
    let reg = own_registration(&ctx, &user, &id, lang).await?;
    render_form(&ctx, &user, &reg, lang, None, None).await
}

/// The uploaded form: its text fields and the evidence file (name, bytes), if one was chosen.
async fn read(mut mp: Multipart) -> Result<(Fields, Option<(String, Vec<u8>)>), Problem> {
    let unreadable = || Problem::new("Không đọc được biểu mẫu đã gửi.", "The submitted form could not be read.");
    let mut fields = Vec::new();
    let mut file = None;
    while let Some(field) = mp.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|_| unreadable())?;
            if !file_name.is_empty() || !bytes.is_empty() {
                file = Some((file_name, bytes.to_vec()));
            }
        } else {
            fields.push((name, field.text().await.map_err(|_| unreadable())?));
        }
    }
    Ok((Fields(fields), file))
}

/// Checks the form the way the unit needs to hear about it, before the value is stored.
fn validate(fs: &Fields, kpis: &[Kpi], file: Option<&(String, Vec<u8>)>) -> Result<NewValue, Problem> {
    let kpi = kpis
        .iter()
        .find(|k| k.id == fs.get("kpi"))
        .ok_or_else(|| Problem::new("Hãy chọn chỉ tiêu cần báo cáo.", "Choose the KPI to report."))?;
    let value = forms::number(fs.get("value"), ("Kết quả", "Value"))?
        .ok_or_else(|| Problem::new("Hãy nhập kết quả đạt được.", "Enter the value reached."))?;
    if kpi.unit == KpiUnit::Percent && value > 100.0 {
        return Err(Problem::new(
            "Kết quả là tỷ lệ, không vượt quá 100%.",
            "The value is a share and cannot exceed 100%.",
        ));
    }
    let url = fs.get("evidence_url");
    if !url.is_empty() && !manual::valid_url(url) {
        return Err(Problem::new(
            "Đường dẫn minh chứng phải bắt đầu bằng http:// hoặc https://.",
            "The evidence link must start with http:// or https://.",
        ));
    }
    if let Some((name, data)) = file {
        if let Err(p) = evidence::check(name, data) {
            let (vi, en) = p.message();
            return Err(Problem::new(vi, en));
        }
    }
    if url.is_empty() && file.is_none() {
        return Err(Problem::new(
            "Cần có minh chứng: đường dẫn hoặc tệp đính kèm.",
            "Evidence is required: a link or an attached file.",
        ));
    }
    let comment = fs.get("comment");
    if comment.chars().count() > 2000 {
        return Err(Problem::new("Nhận xét tối đa 2000 ký tự.", "The comment is limited to 2000 characters."));
    }
    Ok(NewValue {
        kpi_id: kpi.id.clone(),
        value,
        evidence_url: (!url.is_empty()).then(|| url.to_string()),
        attachment: None,
        comment: comment.to_string(),
    })
}

pub(super) async fn submit(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let read = read(mp).await;
    let reg = own_registration(&ctx, &user, &id, lang).await?;
    let (fs, file) = match read {
        Ok(r) => r,
        Err(p) => return render_form(&ctx, &user, &reg, lang, None, Some(p)).await,
    };
    let kpis =
        manual_kpis(catalogue::model_kpis(&ctx.db, Some(&reg.model_id)).await.map_err(|e| PageError::new(e, lang))?);
    let new = match validate(&fs, &kpis, file.as_ref()) {
        Ok(n) => n,
        Err(p) => return render_form(&ctx, &user, &reg, lang, Some(&fs), Some(p)).await,
    };
    match manual::record_with_file(&ctx.db, &reg.id, &user.actor_label(), &new, file, kernel::clock::now_ms()).await {
        Ok(_) => Ok(Redirect::to(&format!("/programs/units/{}", reg.unit_id)).into_response()),
        Err(e) => render_form(&ctx, &user, &reg, lang, Some(&fs), Some(Problem::from_error(&e))).await,
    }
}
