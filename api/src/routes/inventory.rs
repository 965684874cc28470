//! Seat inventory commands (staff; the saga's process manager sends the same commands).

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::routes::CommandCall;
use crate::routes::flights::{FlightView, parse_flight_id};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Duration;
use serde::Deserialize;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::BookingId;
use skyfly_domain::inventory::{
    CommitSeats, FlightInventory, InventoryCommand, ReleaseReason, ReleaseSeats, ReserveSeats,
};
use utoipa::ToSchema;
use uuid::Uuid;

/// How long a hold lasts unless committed (docs/domain.md).
pub const HOLD_DURATION: Duration = skyfly_domain::inventory::SEAT_HOLD;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    pub booking_id: Uuid,
    #[schema(value_type = String, example = "economy")]
    pub cabin: Cabin,
    #[schema(example = 2, minimum = 1, maximum = 9)]
    pub seats: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRef {
    pub booking_id: Uuid,
}

fn unknown_flight() -> ApiError {
    ApiError::field("flight_id", "unknown_flight", "no such flight is scheduled")
}

fn call<'a>(
    state: &'a AppState,
    caller: crate::auth::Caller,
    key: Option<String>,
    op: &str,
    flight_id: &str,
    body: axum::body::Bytes,
    expected: Option<u64>,
) -> CommandCall<'a> {
    CommandCall {
        state,
        caller,
        key,
        operation: format!("POST /inventory/{flight_id}/{op}"),
        body,
        expected,
    }
}

#[utoipa::path(post, path = "/api/v1/inventory/{flight_id}/reserve", tag = "flights", request_body = ReserveRequest,
    security(("bearer" = [])),
    params(("flight_id" = String, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = FlightView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reserve(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(flight_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<ReserveRequest>,
) -> Response {
    let JsonBody { value, raw } = body;
    call(&state, caller, key, "reserve", &flight_id, raw, expected)
        .execute::<FlightInventory, _, _>(
            parse_flight_id(&flight_id),
            FlightInventory::is_scheduled,
            unknown_flight,
            |now| {
                Ok(InventoryCommand::ReserveSeats(ReserveSeats {
                    booking_id: BookingId(value.booking_id),
                    cabin: value.cabin,
                    seats: value.seats,
                    now,
                    hold_until: now + HOLD_DURATION,
                }))
            },
            FlightView::of,
        )
        .await
}

#[utoipa::path(post, path = "/api/v1/inventory/{flight_id}/release", tag = "flights", request_body = BookingRef,
    security(("bearer" = [])), params(("flight_id" = String, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = FlightView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn release(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(flight_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<BookingRef>,
) -> Response {
    let JsonBody { value, raw } = body;
    call(&state, caller, key, "release", &flight_id, raw, expected)
        .execute::<FlightInventory, _, _>(
            parse_flight_id(&flight_id),
            FlightInventory::is_scheduled,
            unknown_flight,
            |_now| {
                Ok(InventoryCommand::ReleaseSeats(ReleaseSeats {
                    booking_id: BookingId(value.booking_id),
                    reason: ReleaseReason::Manual,
                }))
            },
            FlightView::of,
        )
        .await
}

#[utoipa::path(post, path = "/api/v1/inventory/{flight_id}/commit", tag = "flights", request_body = BookingRef,
    security(("bearer" = [])), params(("flight_id" = String, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = FlightView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn commit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(flight_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<BookingRef>,
) -> Response {
    let JsonBody { value, raw } = body;
    call(&state, caller, key, "commit", &flight_id, raw, expected)
        .execute::<FlightInventory, _, _>(
            parse_flight_id(&flight_id),
            FlightInventory::is_scheduled,
            unknown_flight,
            |now| {
                Ok(InventoryCommand::CommitSeats(CommitSeats {
                    booking_id: BookingId(value.booking_id),
                    now,
                }))
            },
            FlightView::of,
        )
        .await
}
