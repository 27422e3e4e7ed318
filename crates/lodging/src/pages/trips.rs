//! `GET /lodging/trips`: the coach operator's page — open a trip, board passengers by scanning
//! their card or identity QR (or typing the personal id), and see the trip's manifest.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use kernel::{AppError, PageRequest};
use web::{Chrome, Lang, PageUser};

use super::{facilities_of, respond, when, StayRow};
use crate::facilities::Facility;
use crate::stays::{self, StayQuery};
use crate::trips::{self, Trip};
use crate::Service;

/// A trip with its departure formatted.
struct TripRow {
    t: Trip,
    departure: String,
}

#[derive(Template)]
#[template(path = "lodging_trips.html")]
struct TripsPage {
    chrome: Chrome,
    operators: Vec<Facility>,
    trips: Vec<TripRow>,
    selected: Option<TripRow>,
    manifest: Vec<StayRow>,
}

#[derive(serde::Deserialize, Default)]
pub struct TripsQuery {
    trip: Option<String>,
}

/// The operator's trips, the form to open one and, for the chosen trip, boarding and manifest.
pub async fn trips(
    State(s): State<Service>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Query(p): Query<TripsQuery>,
) -> Response {
    let chrome = Chrome::for_uri(lang, &uri, ("Chuyến xe khách", "Coach trips"), Some(&user));
    let result = async {
        let org = crate::access::organization(&user)?;
        let operators: Vec<Facility> = facilities_of(&s, &user.jurisdiction, Some("approved"))
            .await?
            .into_iter()
            .filter(|f| f.kind == "coach_operator")
            .collect();
        let page = PageRequest::new(None, Some(50))?;
        let rows: Vec<TripRow> = trips::list(&s.stores.db, &user.jurisdiction, page)
            .await?
            .items
            .into_iter()
            .map(|t| TripRow { departure: when(t.departure_at), t })
            .collect();
        let selected = match p.trip.or_else(|| rows.first().map(|r| r.t.id.clone())) {
            Some(id) => trips::get(&s.stores.db, &id, &user.jurisdiction).await?,
            None => None,
        };
        let manifest = match &selected {
            Some(t) => {
                let q = StayQuery { trip_id: Some(t.id.clone()), ..Default::default() };
                stays::list(&s.stores.db, org, &q, PageRequest::new(None, Some(200))?, kernel::clock::now_ms())
                    .await?
                    .items
            }
            None => Vec::new(),
        };
        Ok::<_, AppError>(TripsPage {
            chrome,
            operators,
            trips: rows,
            selected: selected.map(|t| TripRow { departure: when(t.departure_at), t }),
            manifest: manifest.into_iter().map(StayRow::from).collect(),
        })
    }
    .await;
    respond(result, lang)
}
