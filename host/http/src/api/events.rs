//! The event stream: server-sent events of everything the dialer does, for agents'
//! screens (an answered call carries the contact's data: the screen pop) and
//! supervisors' live views. A client that reads too slowly misses events rather than
//! slowing the calls down.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt as _};

use crate::AppState;

/// Every event from the moment of the request: calls started, ringing, answered
/// (with the contact's variables), ended; campaigns' and agents' states. Each SSE
/// event is named after its kind (`call_answered`, ...) and carries its JSON.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "events",
    tag = "events",
    responses((
        status = 200,
        description = "Server-sent events, named by kind, with JSON data",
        content_type = "text/event-stream",
        body = String,
    ))
)]
pub(crate) async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(state.dialer.subscribe())
        // A lagging client's lost events are skipped.
        .filter_map(Result::ok)
        .map(|event| {
            let json = serde_json::to_value(&event).unwrap_or_default();
            let kind = json["event"].as_str().unwrap_or("event").to_owned();
            Ok(Event::default().event(kind).data(json.to_string()))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
