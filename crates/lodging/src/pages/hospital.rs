//! `GET /lodging/hospital`: the ward staff's page — admit an inpatient (ward, bed, expected
//! discharge) by scanning or typing their id, register caregivers staying with an inpatient, and
//! discharge (which checks the caregivers out too).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use kernel::AppError;
use web::{Chrome, Lang, PageUser};

use super::{facilities_of, respond, when, when_opt};
use crate::facilities::Facility;
use crate::hospital::{self, Inpatient};
use crate::Service;

/// An inpatient with admission and expected discharge formatted.
struct InpatientRow {
    p: Inpatient,
    admitted: String,
    discharge: String,
}

#[derive(Template)]
#[template(path = "lodging_hospital.html")]
struct HospitalPage {
    chrome: Chrome,
    wards: Vec<Facility>,
    selected: String,
    inpatients: Vec<InpatientRow>,
    limit: i64,
}

#[derive(serde::Deserialize, Default)]
pub struct HospitalQuery {
    facility: Option<String>,
}

/// The approved hospital wards of the caller's organization and the chosen ward's inpatients.
pub async fn hospital(
    State(s): State<Service>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(p): Query<HospitalQuery>,
) -> Response {
    let chrome =
        Chrome::for_uri(lang, &uri, ("Người bệnh nội trú và người chăm sóc", "Inpatients and caregivers"), Some(&user));
    let result = async {
        let org = crate::access::organization(&user)?;
        let wards: Vec<Facility> = facilities_of(&s, &user.jurisdiction, Some("approved"))
            .await?
            .into_iter()
            .filter(|f| f.kind == "hospital_ward")
            .collect();
        let selected = p
            .facility
            .filter(|id| wards.iter().any(|f| &f.id == id))
            .or_else(|| wards.first().map(|f| f.id.clone()))
            .unwrap_or_default();
        let inpatients =
            if selected.is_empty() { Vec::new() } else { hospital::inpatients(&s.stores.db, org, &selected).await? };
        Ok::<_, AppError>(HospitalPage {
            chrome,
            wards,
            selected,
            inpatients: inpatients
                .into_iter()
                .map(|p| InpatientRow {
                    admitted: when(p.admitted_at),
                    discharge: when_opt(p.expected_discharge_at),
                    p,
                })
                .collect(),
            limit: s.settings.hospital_caregivers,
        })
    }
    .await;
    respond(result, lang)
}
