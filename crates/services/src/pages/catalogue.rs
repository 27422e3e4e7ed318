//! `/services`: the catalogue, and `/services/{code}`: a procedure with its pre-filled form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser, Role};

use super::form::FormView;
use super::{err, read_multipart};
use crate::applications::{file::raw_answers, query, FileError};
use crate::catalogue::{store, Procedure};
use crate::forms::FieldErrors;
use crate::Service;

struct Row {
    code: String,
    name: String,
    agency: String,
    essential: bool,
    fee: String,
    level: u8,
}

#[derive(Template)]
#[template(path = "services_list.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    q: Option<String>,
}

pub(super) async fn list(
    State(s): State<Service>,
    lang: Lang,
    user: Option<CurrentUser>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let all = store::list(&s.stores.db, q.q.as_deref()).await.map_err(err(lang))?;
    let rows = all
        .iter()
        .map(|p| Row {
            code: p.code.clone(),
            name: lang.pick(&p.name_vi, &p.name_en).to_string(),
            agency: lang.pick(&p.agency_vi, &p.agency_en).to_string(),
            essential: p.essential,
            fee: if p.fee_vnd == 0 && p.fee_field.is_none() {
                lang.pick("Miễn phí", "Free").into()
            } else if p.fee_field.is_some() {
                lang.pick("Theo quyết định", "Per decision").into()
            } else {
                super::money(p.fee_vnd)
            },
            level: p.min_level,
        })
        .collect();
    let chrome = Chrome::new(lang, ("Dịch vụ công trực tuyến", "Online public services"), user.as_ref(), "/services");
    Ok(render(&ListPage { chrome, q: q.q.unwrap_or_default(), rows }, lang))
}

#[derive(Template)]
#[template(path = "services_apply.html")]
struct ApplyPage {
    chrome: Chrome,
    code: String,
    name: String,
    agency: String,
    basis: String,
    result: String,
    /// Why the visitor cannot apply here (not signed in as a citizen, level too low).
    blocked: Option<String>,
    form: Option<FormView>,
    draft_id: String,
    by_official: bool,
    error: Option<String>,
}

fn page(lang: Lang, user: Option<&CurrentUser>, p: &Procedure) -> ApplyPage {
    ApplyPage {
        chrome: Chrome::new(lang, (&p.name_vi, &p.name_en), user, &format!("/services/{}", p.code)),
        code: p.code.clone(),
        name: lang.pick(&p.name_vi, &p.name_en).to_string(),
        agency: lang.pick(&p.agency_vi, &p.agency_en).to_string(),
        basis: p.legal_basis.clone(),
        result: lang.pick(&p.result_vi, &p.result_en).to_string(),
        blocked: None,
        form: None,
        draft_id: String::new(),
        by_official: false,
        error: None,
    }
}

#[derive(Deserialize)]
pub(super) struct ShowQuery {
    draft: Option<String>,
}

pub(super) async fn show(
    State(s): State<Service>,
    lang: Lang,
    user: Option<CurrentUser>,
    Path(code): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let p = store::get(&s.stores.db, &code)
        .await
        .map_err(err(lang))?
        .ok_or_else(|| PageError::new(kernel::AppError::not_found("no such procedure"), lang))?;
    let mut pg = page(lang, user.as_ref(), &p);
    let Some(user) = user.filter(|u| u.role == Role::Citizen) else {
        pg.blocked = Some(
            lang.pick(
                "Đăng nhập bằng tài khoản định danh điện tử của công dân để nộp hồ sơ.",
                "Sign in with a citizen e-ID account to apply.",
            )
            .into(),
        );
        return Ok(render(&pg, lang));
    };
    if let Err(e) = crate::online::procedure_for(&s, &user, &code).await {
        pg.blocked = Some(format!(
            "{} {}",
            lang.pick(e.code.message_vi(), e.code.message_en()),
            lang.pick(
                "Thủ tục này cần định danh điện tử mức 2: đến Công an xã để được nâng mức.",
                "This procedure needs a level-2 e-ID: visit the commune police to raise your level."
            )
        ));
        return Ok(render(&pg, lang));
    }
    let mut values = BTreeMap::new();
    if let Some(id) = q.draft.as_deref() {
        let person = query::citizen_person(&user).map_err(err(lang))?;
        let app = query::for_applicant(&s.stores.db, person, id).await.map_err(err(lang))?;
        values = raw_answers(&app);
        pg.draft_id = app.id;
        pg.by_official = app.by_official;
    }
    let pre = crate::online::prefill(&s, &user, &p, kernel::clock::now_ms()).await.map_err(err(lang))?;
    if q.draft.is_none() {
        values.extend(crate::rules::birth_defaults(&p, &pre.person));
    }
    let mut form = FormView::new(&p, lang, &pre.items, &values, &FieldErrors::new());
    suggest_fines(&s, &p, &pre.person.personal_id, &mut form).await.map_err(err(lang))?;
    pg.form = Some(form);
    Ok(render(&pg, lang))
}

/// Offers the applicant's unpaid fine decisions on a fine payment's decision field.
async fn suggest_fines(s: &Service, p: &Procedure, person: &str, form: &mut FormView) -> Result<(), kernel::AppError> {
    let fields: Vec<&str> = p
        .fields
        .iter()
        .filter(|f| f.kind == crate::catalogue::FieldKind::FineDecision)
        .map(|f| f.name.as_str())
        .collect();
    if fields.is_empty() {
        return Ok(());
    }
    let unpaid: Vec<(String, String)> = crate::fines::of_person_all(&s.stores.db, person)
        .await?
        .into_iter()
        .filter(|d| d.paid_at.is_none())
        .map(|d| (d.number.clone(), format!("{}, {}", d.violation, super::money(d.amount_vnd))))
        .collect();
    for f in form.fields.iter_mut().filter(|f| fields.contains(&f.name.as_str())) {
        f.suggestions = unpaid.clone();
    }
    Ok(())
}

pub(super) async fn apply(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut posted = read_multipart(mp).await.map_err(err(lang))?;
    // The form token and the replay key were handled by `web`; they are not the procedure's fields.
    posted.take(web::csrf::CSRF_FIELD);
    posted.take(web::idempotency::FORM_FIELD);
    let person = query::citizen_person(&user).map_err(err(lang))?.to_string();
    let submit = posted.take("action") == "submit";
    let by_official = posted.take("by_official") == "on";
    let draft_id = posted.take("draft_id");
    let existing = if draft_id.is_empty() {
        None
    } else {
        Some(query::for_applicant(&s.stores.db, &person, &draft_id).await.map_err(err(lang))?)
    };
    let p = store::get(&s.stores.db, &code)
        .await
        .map_err(err(lang))?
        .ok_or_else(|| PageError::new(kernel::AppError::not_found("no such procedure"), lang))?;
    // Files go onto a draft first, so a submission checks them like any other.
    let now = kernel::clock::now_ms();
    let mut errors = FieldErrors::new();
    let mut draft = existing;
    if draft.is_none() && !posted.files.is_empty() {
        match crate::online::file(&s, &user, &code, &posted.fields, by_official, false, None, now).await {
            Ok(a) => draft = Some(a),
            Err(FileError::Fields(f, _)) => errors = f,
            Err(FileError::App(e)) => return Err(PageError::new(e, lang)),
        }
    }
    if let Some(d) = &draft {
        for (slot, name, bytes) in &posted.files {
            if let Err(e) = crate::attachments::upload(&s.stores.db, d, &p, slot, name, bytes, now).await {
                let (vi, en) = e.message();
                errors.insert(slot.clone(), (vi.to_string(), en.to_string()));
            }
        }
    }
    let result = if errors.is_empty() {
        crate::online::file(&s, &user, &code, &posted.fields, by_official, submit, draft.as_ref(), now).await
    } else {
        Err(FileError::fields(&p, errors))
    };
    match result {
        Ok(app) => Ok(Redirect::to(&format!("/applications/{}", app.id)).into_response()),
        Err(FileError::App(e)) => Err(PageError::new(e, lang)),
        Err(FileError::Fields(errors, _)) => {
            let pre = crate::online::prefill(&s, &user, &p, now).await.map_err(err(lang))?;
            let mut pg = page(lang, Some(&user), &p);
            pg.form = Some(FormView::new(&p, lang, &pre.items, &posted.fields, &errors));
            pg.draft_id = draft.map(|d| d.id).unwrap_or_default();
            pg.by_official = by_official;
            pg.error = Some(
                lang.pick("Hồ sơ chưa hợp lệ, xem các trường được đánh dấu.", "Please correct the marked fields.")
                    .into(),
            );
            let mut r = render(&pg, lang);
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
        }
    }
}
