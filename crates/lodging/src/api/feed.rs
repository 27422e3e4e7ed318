//! The live police feed as server-sent events.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;
use web::{ApiResult, CurrentUser};

use crate::access::{allow, POLICE};
use crate::scope::covers;
use crate::Service;

/// New notifications (`event: notification`), watchlist alerts (`event: alert`) and stay changes
/// (`event: stay`) of the officer's jurisdiction as they are committed, JSON data. A client that
/// falls too far behind receives `event: lagged` with the number of
/// skipped events and should reload the list.
#[utoipa::path(get, operation_id = "lodging.feed.stream", path = "/api/v1/lodging/feed", tag = "lodging",
    responses((status = 200, description = "Server-sent events: one per notification", content_type = "text/event-stream"), (status = 403, description = "forbidden")))]
pub(super) async fn stream(
    State(s): State<Service>,
    user: CurrentUser,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    allow(&user, POLICE)?;
    // Subscribe before answering, so every event committed after the response starts is seen.
    let rx = s.feed.subscribe();
    let j = user.jurisdiction.clone();
    let events = stream::unfold((rx, j), |(mut rx, j)| async move {
        loop {
            match rx.recv().await {
                Ok(ev) if covers(&j, &ev.communes, &ev.province_code) => {
                    let e = Event::default().event(ev.kind).json_data(&ev.data).unwrap_or_default();
                    return Some((Ok(e), (rx, j)));
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(n)) => {
                    return Some((Ok(Event::default().event("lagged").data(n.to_string())), (rx, j)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
