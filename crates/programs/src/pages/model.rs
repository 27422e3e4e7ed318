//! `GET /programs/models/{id}`: a pilot model, its KPIs with definitions, the units implementing
//! it and the catalogue versions.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use web::layout::render;
use web::{Chrome, Ctx, Lang, PageError, PageUser};

use super::view::{self, Loaded, RegView};
use crate::catalogue::{self, group_label};

#[derive(Template)]
#[template(path = "programs_model.html")]
struct ModelPage {
    chrome: Chrome,
    /// Administrators edit the catalogue.
    edits: bool,
    id: String,
    name: String,
    group: String,
    kind: String,
    goal: String,
    lead_unit: String,
    tools: String,
    /// (name, target as written, computed?, definition or source, has data source)
    kpis: Vec<(String, String, bool, String, bool)>,
    regs: Vec<RegView>,
    /// (version, date, editor, note)
    versions: Vec<(i64, String, String, String)>,
}

pub(super) async fn page(
    State(ctx): State<Ctx>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let err = |e| PageError::new(e, lang);
    user.require(crate::api::READERS).map_err(err)?;
    let db = &ctx.db;
    let m = catalogue::get_model(db, &id).await.map_err(err)?;
    let data = Loaded::load(db).await.map_err(err)?;
    let regs = crate::registrations::list(db, None, Some(&id)).await.map_err(err)?;
    let views = view::registrations(db, &regs, &data, lang, false).await.map_err(err)?;
    let kpis = data
        .kpis
        .iter()
        .filter(|k| k.model_id == id && k.active)
        .map(|k| {
            let f = k.formula.as_deref().and_then(crate::kpi::formula);
            (
                k.name(lang).to_string(),
                k.target_text.clone(),
                f.is_some(),
                f.map(|f| lang.pick(f.definition.0, f.definition.1).to_string()).unwrap_or_else(|| k.source.clone()),
                f.is_none_or(|f| f.source.available()),
            )
        })
        .collect();
    let versions = catalogue::versions(db, &id)
        .await
        .map_err(err)?
        .into_iter()
        .map(|v| (v.version, kernel::clock::format_ms_vn(v.edited_at), v.edited_by, v.note))
        .collect();
    let (gvi, gen) = group_label(&m.group);
    let page = ModelPage {
        chrome: Chrome::for_uri(lang, &uri, (&m.name_vi, &m.name_en), Some(&user)),
        edits: user.role == web::Role::Admin,
        id: m.id.clone(),
        name: lang.pick(&m.name_vi, &m.name_en).to_string(),
        group: lang.pick(gvi, gen).to_string(),
        kind: m.kind.clone(),
        goal: lang.pick(&m.goal_vi, &m.goal_en).to_string(),
        lead_unit: lang.pick(&m.lead_unit_vi, &m.lead_unit_en).to_string(),
        tools: lang.pick(&m.tools_vi, &m.tools_en).to_string(),
        kpis,
        regs: views,
        versions,
    };
    Ok(render(&page, lang))
}
