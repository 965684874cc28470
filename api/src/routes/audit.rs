//! Audit and replay: the log itself, filtered; a booking's events; a booking as it was.

use crate::auth::{Caller, Staff};
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::store::{EventStore, LogFilter};
use utoipa::{IntoParams, ToSchema};

/// Filters and pagination for a page of the event log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// Only events after this global position (the `next_cursor` of the previous page).
    pub after: Option<u64>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Only events of this event type.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Only events of this stream id.
    pub stream: Option<String>,
    /// Only events with this correlation id.
    pub correlation_id: Option<uuid::Uuid>,
    /// Same as `after` (cursor pagination).
    pub cursor: Option<u64>,
}

/// A page of event envelopes.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Envelopes: `{ event_id, stream_id, stream_version, global_position, event_type, schema_version, payload, metadata, recorded_at }`
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<RecordedEvent>,
    /// The cursor of the next page, or `null` on the last page.
    pub next_cursor: Option<u64>,
    /// Whether another page follows (then `next_cursor` is where it starts).
    pub has_more: bool,
}

/// One page of the log (final positions only), filtered, read through the event-store port.
/// Shared by the API and the CLI.
pub async fn page(store: &dyn EventStore, filter: &EventFilter) -> Result<EventPage, ApiError> {
    let limit = crate::routes::page_limit(filter.limit, 100, 1000)?;
    let after = filter.after.or(filter.cursor).unwrap_or(0);
    let fetch = usize::try_from(skyfly_projections::fetch_limit(limit)).unwrap_or(usize::MAX);
    let events = store
        .read_filtered(
            after,
            fetch,
            &LogFilter {
                event_type: filter.event_type.clone(),
                stream_id: filter.stream.clone(),
                correlation_id: filter.correlation_id,
            },
        )
        .await?;
    let page = skyfly_projections::Page::of(events, limit, |e| {
        i64::try_from(e.global_position).unwrap_or(i64::MAX)
    });
    Ok(EventPage {
        has_more: page.has_more(),
        next_cursor: page.next_cursor,
        events: page.rows,
    })
}

#[utoipa::path(get, path = "/api/v1/admin/events", tag = "operations", security(("bearer" = [])), params(EventFilter),
    responses((status = 200, body = EventPage)))]
/// A page of the event log, filtered.
pub async fn events(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Query(filter): Query<EventFilter>,
) -> Result<Response, ApiError> {
    Ok(crate::routes::json_ok(
        &page(state.bus.store().as_ref(), &filter).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/bookings/{booking_id}/events", tag = "bookings", security(("bearer" = [])),
    params(("booking_id" = uuid::Uuid, Path)),
    responses((status = 200, body = EventPage), (status = 404, body = Problem)))]
/// The booking's own events, in order.
pub async fn booking_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = crate::routes::bookings::visible_booking_id(&state, &caller, &raw).await?;
    let events = state
        .bus
        .store()
        .read_stream(&format!("booking-{id}"), 0)
        .await?;
    Ok(crate::routes::json_ok(&EventPage {
        events,
        next_cursor: None,
        has_more: false,
    }))
}
