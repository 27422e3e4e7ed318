//! `GET /lodging/register`: an organization registers its accommodation facilities and venues
//! (both start `pending` until the commune police approve them on the police page) and sees the
//! status of those it registered.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use kernel::{AppError, PageRequest};
use web::{Chrome, Lang, PageUser};

use super::{facilities_of, respond};
use crate::facilities::{self, Facility};
use crate::venues::{self, Venue};
use crate::Service;

#[derive(Template)]
#[template(path = "lodging_register.html")]
struct RegisterPage {
    chrome: Chrome,
    facility_kinds: &'static [&'static str],
    venue_kinds: &'static [&'static str],
    facilities: Vec<Facility>,
    venues: Vec<Venue>,
}

/// The registration forms and the organization's facilities and venues with their status.
pub async fn register(State(s): State<Service>, PageUser(user): PageUser, lang: Lang, uri: Uri) -> Response {
    let chrome =
        Chrome::for_uri(lang, &uri, ("Đăng ký cơ sở lưu trú, địa điểm", "Register facilities and venues"), Some(&user));
    let result = async {
        crate::access::organization(&user)?;
        let page = PageRequest::new(None, Some(200))?;
        Ok::<_, AppError>(RegisterPage {
            chrome,
            facility_kinds: facilities::KINDS,
            venue_kinds: venues::KINDS,
            facilities: facilities_of(&s, &user.jurisdiction, None).await?,
            venues: venues::list(&s.stores.db, &user.jurisdiction, None, page).await?.items,
        })
    }
    .await;
    respond(result, lang)
}

/// Vietnamese and English names of venue kinds, for pages.
pub(super) fn venue_kind_label(kind: &str, lang: &Lang) -> &'static str {
    let (vi, en) = match kind {
        "relic_site" => ("Khu di tích", "Relic site"),
        "tourist_area" => ("Khu du lịch", "Tourist area"),
        "station" => ("Nhà ga, bến xe", "Station"),
        "industrial_zone" => ("Khu công nghiệp", "Industrial zone"),
        _ => ("Khác", "Other"),
    };
    lang.pick(vi, en)
}

/// Vietnamese and English names of a registration status.
pub(super) fn status_label(status: &str, lang: &Lang) -> &'static str {
    let (vi, en) = match status {
        "pending" => ("Chờ phê duyệt", "Awaiting approval"),
        "approved" => ("Đã phê duyệt", "Approved"),
        "suspended" => ("Bị từ chối / đình chỉ", "Refused / suspended"),
        _ => ("Khác", "Other"),
    };
    lang.pick(vi, en)
}
