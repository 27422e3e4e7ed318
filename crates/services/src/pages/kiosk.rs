//! Kiosk mode (pilot model 2): a full-screen, touch-friendly flow on a terminal of the public
//! administration centre, signed in once as the centre's device account. The citizen scans the
//! card QR (checked against the registry) or the signed dynamic identity QR (signature, expiry and
//! single use), picks a service, checks the pre-filled form, submits, and prints the receipt. The
//! citizen's identity lives only in a signed visit token of five minutes bound to this kiosk; no
//! session is ever opened for them, and the pages return to the start after inactivity.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use kernel::{AppError, ErrorCode};
use keys::Expect;
use serde::{Deserialize, Serialize};
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser, Role};

use super::err;
use super::form::FormView;
use crate::applications::{file, Channel, FileError, Filing};
use crate::catalogue::store;
use crate::forms::FieldErrors;
use crate::Service;

/// Accounts a kiosk runs under.
const KIOSK_ROLES: &[Role] = &[Role::DeskOfficer, Role::ProvincialOfficer, Role::Admin];
const VISIT_TYP: &str = "dancu-kiosk-visit+jwt";
const VISIT_SECONDS: i64 = 300;

#[derive(Debug, Serialize, Deserialize)]
struct Visit {
    /// The citizen's personal id.
    sub: String,
    /// The kiosk's account.
    kiosk: String,
    exp: i64,
}

fn visit_token(s: &Service, kiosk: &CurrentUser, person: &str) -> Result<String, AppError> {
    let v = Visit {
        sub: person.into(),
        kiosk: kiosk.account_id.clone(),
        exp: kernel::clock::now_ms() / 1000 + VISIT_SECONDS,
    };
    s.keys.sign_typed(&v, VISIT_TYP).map_err(|e| AppError::internal(format!("signing: {e}")))
}

fn check_visit(s: &Service, kiosk: &CurrentUser, token: &str) -> Result<String, AppError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| AppError::forbidden("scan your card again"))?;
    if header.typ.as_deref() != Some(VISIT_TYP) {
        return Err(AppError::forbidden("scan your card again"));
    }
    let v: Visit = s.keys.verify(token, &Expect::new()).map_err(|_| AppError::forbidden("scan your card again"))?;
    if v.kiosk != kiosk.account_id {
        return Err(AppError::forbidden("this visit belongs to another kiosk"));
    }
    Ok(v.sub)
}

#[derive(Template)]
#[template(path = "services_kiosk.html")]
struct KioskPage {
    chrome: Chrome,
    step: &'static str,
    error: Option<String>,
    visit: String,
    citizen: String,
    services: Vec<(String, String)>,
    code: String,
    service_name: String,
    form: Option<FormView>,
    receipt: Option<(String, String, String, String)>,
}

fn page(lang: Lang, user: &CurrentUser, step: &'static str) -> KioskPage {
    KioskPage {
        chrome: Chrome::new(lang, ("Ki-ốt dịch vụ công", "Public service kiosk"), Some(user), "/kiosk"),
        step,
        error: None,
        visit: String::new(),
        citizen: String::new(),
        services: Vec::new(),
        code: String::new(),
        service_name: String::new(),
        form: None,
        receipt: None,
    }
}

fn with_status(p: &KioskPage, lang: Lang, status: StatusCode) -> Response {
    let mut r = render(p, lang);
    *r.status_mut() = status;
    r
}

pub(super) async fn start(lang: Lang, PageUser(user): PageUser) -> Result<Response, PageError> {
    user.require(KIOSK_ROLES).map_err(err(lang))?;
    Ok(render(&page(lang, &user, "scan"), lang))
}

#[derive(Deserialize)]
pub(super) struct ScanForm {
    payload: String,
}

/// The person a scan identifies: a card QR must match a living person of the registry exactly
/// (name without regard to case and diacritics, birth date); a dynamic QR must verify and be
/// unused.
async fn identify_person(s: &Service, payload: &str) -> Result<String, AppError> {
    let unknown = || {
        AppError::new(ErrorCode::NotFound, "the card does not match the population registry").with_message(
            "Thẻ không khớp với Cơ sở dữ liệu quốc gia về dân cư; vui lòng đến quầy một cửa.",
            "The card does not match the population registry; please go to the one-stop counter.",
        )
    };
    if payload.contains('|') {
        let qr = verification::cccd_qr::CardQr::parse(payload).map_err(|e| {
            AppError::invalid(e.to_string()).with_message(
                "Không đọc được mã QR trên thẻ, vui lòng quét lại.",
                "The card's QR code cannot be read; scan it again.",
            )
        })?;
        let p = registry::queries::persons::get_self(&s.stores.db, &qr.personal_id).await?.ok_or_else(unknown)?;
        let same_name = kernel::text::fold(&p.full_name) == kernel::text::fold(&qr.full_name);
        let same_birth = p.birth_date.as_deref() == Some(qr.birth_date.format("%Y-%m-%d").to_string().as_str());
        if !same_name || !same_birth || p.status != "living" {
            return Err(unknown());
        }
        Ok(p.personal_id)
    } else {
        let claims = verification::dynamic::check_offline(&s.keys, payload).map_err(|e| {
            AppError::new(ErrorCode::Forbidden, e.words().1.to_string()).with_message(e.words().0, e.words().1)
        })?;
        if let Err(e) = verification::dynamic::consume_nonce(&s.stores.db, &claims, kernel::clock::now_ms()).await? {
            return Err(
                AppError::new(ErrorCode::Forbidden, e.words().1.to_string()).with_message(e.words().0, e.words().1)
            );
        }
        Ok(claims.pid)
    }
}

async fn choose(s: &Service, lang: Lang, user: &CurrentUser, person: &str) -> Result<KioskPage, AppError> {
    let p = registry::queries::persons::get_self(&s.stores.db, &kernel::PersonalId::parse(person)?)
        .await?
        .ok_or_else(|| AppError::not_found("no such person"))?;
    let mut pg = page(lang, user, "choose");
    pg.visit = visit_token(s, user, person)?;
    pg.citizen = p.full_name;
    pg.services = store::list(&s.stores.db, None)
        .await?
        .into_iter()
        .filter(|p| p.attachments.iter().all(|a| !a.required))
        .map(|p| (p.code.clone(), lang.pick(&p.name_vi, &p.name_en).to_string()))
        .collect();
    Ok(pg)
}

pub(super) async fn identify(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Form(f): Form<ScanForm>,
) -> Result<Response, PageError> {
    user.require(KIOSK_ROLES).map_err(err(lang))?;
    match identify_person(&s, f.payload.trim()).await {
        Ok(person) => Ok(render(&choose(&s, lang, &user, &person).await.map_err(err(lang))?, lang)),
        Err(e) => {
            let mut p = page(lang, &user, "scan");
            let (vi, en) = e.message();
            p.error = Some(lang.pick(vi, en).to_string());
            Ok(with_status(&p, lang, StatusCode::BAD_REQUEST))
        }
    }
}

#[derive(Deserialize)]
pub(super) struct VisitQuery {
    visit: String,
}

async fn form_page(
    s: &Service,
    lang: Lang,
    user: &CurrentUser,
    code: &str,
    visit: &str,
    values: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> Result<(KioskPage, crate::prefill::Prefilled, crate::catalogue::Procedure), AppError> {
    let person = check_visit(s, user, visit)?;
    let p = store::get(&s.stores.db, code).await?.ok_or_else(|| AppError::not_found("no such procedure"))?;
    let pre = crate::prefill::load(&s.stores, user, &person, &p, "kiosk", kernel::clock::now_ms()).await?;
    let mut pg = page(lang, user, "form");
    pg.visit = visit.into();
    pg.citizen = pre.person.full_name.clone();
    pg.code = p.code.clone();
    pg.service_name = lang.pick(&p.name_vi, &p.name_en).into();
    pg.form = Some(FormView::new(&p, lang, &pre.items, values, errors));
    Ok((pg, pre, p))
}

pub(super) async fn form(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Query(q): Query<VisitQuery>,
) -> Result<Response, PageError> {
    user.require(KIOSK_ROLES).map_err(err(lang))?;
    let (pg, _, _) =
        form_page(&s, lang, &user, &code, &q.visit, &BTreeMap::new(), &FieldErrors::new()).await.map_err(err(lang))?;
    Ok(render(&pg, lang))
}

pub(super) async fn submit(
    State(s): State<Service>,
    lang: Lang,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    Form(mut fields): Form<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    user.require(KIOSK_ROLES).map_err(err(lang))?;
    // The form token and the replay key were handled by `web`; they are not the procedure's fields.
    fields.remove(web::csrf::CSRF_FIELD);
    fields.remove(web::idempotency::FORM_FIELD);
    let visit = fields.remove("visit").unwrap_or_default();
    let (mut pg, pre, p) =
        form_page(&s, lang, &user, &code, &visit, &fields, &FieldErrors::new()).await.map_err(err(lang))?;
    let label = format!("{} ({})", pre.person.full_name, lang.pick("tại ki-ốt", "at a kiosk"));
    let filing = Filing {
        procedure: &p,
        applicant: &pre.person,
        prefill: &pre.items,
        account_id: None,
        actor_id: &user.account_id,
        actor_label: &label,
        channel: Channel::Kiosk,
        by_official: false,
        answers: &fields,
        submit: true,
        now: kernel::clock::now_ms(),
    };
    match file::create(&s.stores.db, &filing).await {
        Ok(app) => {
            let mut done = page(lang, &user, "receipt");
            done.citizen = pre.person.full_name.clone();
            done.service_name = pg.service_name.clone();
            done.receipt = Some((
                app.receipt_code.clone(),
                super::when(app.submitted_at),
                super::when(app.due_at),
                if app.fee_vnd > 0 { super::money(app.fee_vnd) } else { lang.pick("Miễn phí", "Free").into() },
            ));
            Ok(render(&done, lang))
        }
        Err(FileError::Fields(errors, _)) => {
            pg.form = Some(FormView::new(&p, lang, &pre.items, &fields, &errors));
            pg.error = Some(lang.pick("Vui lòng sửa các ô được đánh dấu.", "Please correct the marked fields.").into());
            Ok(with_status(&pg, lang, StatusCode::BAD_REQUEST))
        }
        Err(FileError::App(e)) => Err(PageError::new(e, lang)),
    }
}
