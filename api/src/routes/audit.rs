//! Audit and replay: the log itself, filtered; a booking's events; a booking as it was.

use crate::auth::{Caller, Staff};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use skyfly_domain::event::RecordedEvent;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// Only events after this global position (the `next_cursor` of the previous page).
    pub after: Option<u64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub stream: Option<String>,
    pub correlation_id: Option<uuid::Uuid>,
    /// Same as `after` (cursor pagination).
    pub cursor: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Envelopes: `{ event_id, stream_id, stream_version, global_position, event_type, schema_version, payload, metadata, recorded_at }`
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<RecordedEvent>,
    pub next_cursor: Option<u64>,
}

fn envelope(row: &sqlx::postgres::PgRow) -> Result<RecordedEvent, ApiError> {
    let metadata: serde_json::Value = row.try_get("metadata")?;
    Ok(RecordedEvent {
        event_id: skyfly_domain::ids::EventId(row.try_get("event_id")?),
        stream_id: row.try_get("stream_id")?,
        stream_version: u64::try_from(row.try_get::<i64, _>("stream_version")?).unwrap_or(0),
        global_position: u64::try_from(row.try_get::<i64, _>("global_position")?).unwrap_or(0),
        event_type: row.try_get("event_type")?,
        schema_version: u32::try_from(row.try_get::<i32, _>("schema_version")?).unwrap_or(0),
        payload: row.try_get("payload")?,
        metadata: serde_json::from_value(metadata).map_err(ApiError::internal)?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

/// One page of the log (final positions only), filtered. Shared by the API and the CLI.
pub async fn page(pool: &sqlx::PgPool, filter: &EventFilter) -> Result<EventPage, ApiError> {
    let limit = i64::from(filter.limit.unwrap_or(100).clamp(1, 1000));
    let after = filter.after.or(filter.cursor).unwrap_or(0);
    let rows = sqlx::query(
        "SELECT global_position, event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, recorded_at \
         FROM events WHERE global_position > $1 AND global_position < skyfly_watermark() \
         AND ($2::text IS NULL OR event_type = $2) AND ($3::text IS NULL OR stream_id = $3) \
         AND ($4::uuid IS NULL OR (metadata ->> 'correlation_id')::uuid = $4) \
         ORDER BY global_position LIMIT $5",
    )
    .bind(i64::try_from(after).unwrap_or(i64::MAX))
    .bind(&filter.event_type)
    .bind(&filter.stream)
    .bind(filter.correlation_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let events = rows.iter().map(envelope).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.global_position))
        .flatten();
    Ok(EventPage {
        events,
        next_cursor,
    })
}

#[utoipa::path(get, path = "/api/v1/admin/events", tag = "operations", security(("bearer" = [])), params(EventFilter),
    responses((status = 200, body = EventPage)))]
pub async fn events(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Query(filter): Query<EventFilter>,
) -> Result<Response, ApiError> {
    Ok(crate::routes::json_ok(&page(&state.pool, &filter).await?))
}

#[utoipa::path(get, path = "/api/v1/bookings/{booking_id}/events", tag = "bookings", security(("bearer" = [])),
    params(("booking_id" = uuid::Uuid, Path)),
    responses((status = 200, body = EventPage), (status = 404, body = Problem)))]
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
    }))
}
