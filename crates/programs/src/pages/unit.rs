//! `GET /programs/units/{id}`: a unit's registrations with their KPIs, plan steps, reporting
//! calendar and reports; `GET /programs/my-unit`, the focal point's start page, leads to their unit.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use web::layout::render;
use web::{Chrome, Ctx, Lang, PageError, PageUser};

use super::view::{self, Loaded, RegView};
use crate::calendar::Frequency;

#[derive(Template)]
#[template(path = "programs_unit.html")]
struct UnitPage {
    chrome: Chrome,
    name: String,
    kind: String,
    /// The caller is this unit's focal point (the unit's forms are offered).
    mine: bool,
    regs: Vec<RegView>,
    /// (report kind, due-day description)
    schedule: Vec<(String, String)>,
    /// (report id, period title, status, due, submitted, decision note)
    reports: Vec<(String, String, String, String, String, String)>,
}

/// The focal point's own unit (their start page, see `web::menu`); refused to anyone else with
/// the reason, as the unit's forms are.
pub(super) async fn mine(State(ctx): State<Ctx>, PageUser(user): PageUser, lang: Lang) -> Result<Response, PageError> {
    let unit = crate::api::own_unit(&ctx, &user).await.map_err(|e| PageError::new(e, lang))?;
    Ok(Redirect::to(&format!("/programs/units/{}", web::auth::urlencode(&unit.id))).into_response())
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
    let unit = crate::units::get(db, &id).await.map_err(err)?;
    let data = Loaded::load(db).await.map_err(err)?;
    let regs = crate::registrations::list(db, Some(&id), None).await.map_err(err)?;
    let views = view::registrations(db, &regs, &data, lang, true).await.map_err(err)?;
    let schedule = crate::reports::schedules(db, Some(&id))
        .await
        .map_err(err)?
        .into_iter()
        .map(|s| {
            let (vi, en) = s.frequency.label();
            let when = match (s.frequency, lang) {
                (Frequency::Weekly, Lang::Vi) => format!("thứ {} trong tuần", s.due_day + 1),
                (Frequency::Weekly, Lang::En) => format!("weekday {} of the week", s.due_day),
                (_, Lang::Vi) => format!("ngày {} tháng sau kỳ báo cáo", s.due_day),
                (_, Lang::En) => format!("day {} of the month after the period", s.due_day),
            };
            (lang.pick(vi, en).to_string(), when)
        })
        .collect();
    let reports = crate::reports::list(db, Some(&id), None, None, None)
        .await
        .map_err(err)?
        .into_iter()
        .map(|r| {
            let (svi, sen) = r.status.label();
            (
                r.id.clone(),
                r.period_title(lang),
                lang.pick(svi, sen).to_string(),
                r.due_date.format("%d/%m/%Y").to_string(),
                r.submitted_at.map(kernel::clock::format_ms_vn).unwrap_or_default(),
                r.decision_note.clone().unwrap_or_default(),
            )
        })
        .collect();
    let mine = crate::api::focal_unit(&ctx, &user).await.map_err(err)?.is_some_and(|u| u.id == unit.id);
    let (kvi, ken) = unit.kind.label();
    let page = UnitPage {
        chrome: Chrome::for_uri(lang, &uri, (&unit.name, &unit.name_en), Some(&user)),
        name: unit.display_name(lang).to_string(),
        kind: lang.pick(kvi, ken).to_string(),
        mine,
        regs: views,
        schedule,
        reports,
    };
    Ok(render(&page, lang))
}
