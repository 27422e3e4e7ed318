//! The services pages: the catalogue and pre-filled forms for citizens, their applications with
//! payment and answers, the simulated payment gateway (only when the settings choose it), the
//! one-stop officer's inbox, the public document verification page and the kiosk.

mod catalogue;
mod fines;
mod follow_up;
mod form;
mod gateway;
mod kiosk;
mod mine;
mod officer;
mod picker;
mod verify;

use std::collections::BTreeMap;

use axum::extract::Multipart;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use kernel::AppError;
use web::{Lang, PageError};

use crate::Service;

/// Routes of the pages. The payment simulator's `/payment-gateway/{id}` exists only when the
/// settings choose it; otherwise the path is not found.
pub fn router(s: Service) -> Router {
    let simulator = s.payments.simulator_enabled();
    let pages = Router::new()
        .route("/services", get(catalogue::list))
        .route("/services/status", get(follow_up::status))
        .route("/notifications", get(follow_up::notifications))
        .route("/services/{code}", get(catalogue::show).post(catalogue::apply))
        .route("/applications", get(mine::list))
        .route("/applications/{id}", get(mine::show))
        .route("/applications/{id}/{action}", post(mine::act))
        .route("/officer/applications", get(officer::inbox))
        .route("/officer/fines", get(fines::show).post(fines::record))
        .route("/officer/applications/{id}", get(officer::show).post(officer::act))
        .route("/officer/applications/{id}/files/{file}", get(officer::file))
        .route("/documents/verify", get(verify::page))
        .route("/documents/{code}/pdf", get(verify::pdf))
        .route("/kiosk", get(kiosk::start))
        .route("/kiosk/identify", post(kiosk::identify))
        .route("/kiosk/services/{code}", get(kiosk::form).post(kiosk::submit))
        .route("/static/services/kiosk.js", get(kiosk_js));
    let pages = if simulator {
        pages.route(&format!("{}/{{id}}", crate::payments::SIMULATOR_PATH), get(gateway::show).post(gateway::confirm))
    } else {
        pages
    };
    pages.with_state(s)
}

async fn kiosk_js() -> Response {
    web::assets::script(include_str!("../../static/kiosk.js"))
}

/// An error page in the visitor's language.
pub(crate) fn err(lang: Lang) -> impl Fn(AppError) -> PageError {
    move |e| PageError::new(e, lang)
}

/// A multipart form: text fields and files (slot → file name and bytes).
#[derive(Default)]
pub(crate) struct Posted {
    pub fields: BTreeMap<String, String>,
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl Posted {
    /// Removes and returns a control field (not a form answer).
    pub(crate) fn take(&mut self, name: &str) -> String {
        self.fields.remove(name).unwrap_or_default()
    }
}

/// Largest form the pages accept (files are checked per slot as well).
const MAX_FORM_BYTES: usize = 12 * 1024 * 1024;

pub(crate) async fn read_multipart(mut mp: Multipart) -> Result<Posted, AppError> {
    let mut out = Posted::default();
    let mut total = 0usize;
    while let Some(field) = mp.next_field().await.map_err(|e| AppError::invalid(format!("form: {e}")))? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| AppError::invalid(format!("form: {e}")))?;
        total += bytes.len();
        if total > MAX_FORM_BYTES {
            return Err(AppError::invalid("the form is larger than 12 MB"));
        }
        match file_name {
            Some(f) if !bytes.is_empty() => out.files.push((name, f, bytes.to_vec())),
            Some(_) => {}
            None => {
                out.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok(out)
}

/// `1.263.600 đ`.
pub(crate) fn money(vnd: i64) -> String {
    let digits = vnd.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}{out} đ", if vnd < 0 { "-" } else { "" })
}

/// dd/mm/yyyy HH:MM in Vietnam time.
pub(crate) fn when(ms: Option<i64>) -> String {
    ms.map(kernel::clock::format_ms_vn).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_money_the_vietnamese_way() {
        assert_eq!(super::money(1_263_600), "1.263.600 đ");
        assert_eq!(super::money(7000), "7.000 đ");
        assert_eq!(super::money(0), "0 đ");
    }
}
