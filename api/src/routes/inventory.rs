//! Seat inventory commands (staff; the saga's process manager sends the same commands).

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::idempotency;
use crate::routes::flights::{FlightView, parse_flight_id};
use crate::routes::{command_metadata, json_ok, with_versions};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Duration;
use serde::Deserialize;
use skyfly_commands::Envelope;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::{BookingId, FlightId};
use skyfly_domain::inventory::{
    CommitSeats, FlightInventory, InventoryCommand, ReleaseReason, ReleaseSeats, ReserveSeats,
};
use utoipa::ToSchema;
use uuid::Uuid;

/// How long a hold lasts unless committed (DOMAIN.md).
pub const HOLD_DURATION: Duration = Duration::minutes(15);

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

/// Runs an inventory command for `flight_id`: 422 naming `flight_id` if no such flight exists.
async fn run(
    state: &AppState,
    caller: &crate::auth::Caller,
    flight: &FlightId,
    expected: Option<u64>,
    command_id: skyfly_domain::ids::CommandId,
    command: InventoryCommand,
) -> Result<Response, ApiError> {
    let (inventory, _) = state.bus.load::<FlightInventory>(flight).await?;
    if !inventory.is_scheduled() {
        return Err(ApiError::field(
            "flight_id",
            "unknown_flight",
            format!("no flight {flight} is scheduled"),
        ));
    }
    let envelope =
        Envelope::new(command, command_metadata(command_id, caller.actor())).expecting(expected);
    let done = state
        .bus
        .execute::<FlightInventory>(flight, envelope)
        .await?;
    let view = FlightView::of(&done.state, done.version)
        .ok_or_else(|| ApiError::internal("flight vanished"))?;
    Ok(with_versions(
        json_ok(&view),
        done.position,
        Some(done.version),
    ))
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
    let op = format!("POST /inventory/{flight_id}/reserve");
    let state = &state;
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &raw,
        |command_id| async move {
            let flight = parse_flight_id(&flight_id)?;
            let now = state.clock.now();
            let command = InventoryCommand::ReserveSeats(ReserveSeats {
                booking_id: BookingId(value.booking_id),
                cabin: value.cabin,
                seats: value.seats,
                now,
                hold_until: now + HOLD_DURATION,
            });
            run(state, &caller, &flight, expected, command_id, command).await
        },
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
    let op = format!("POST /inventory/{flight_id}/release");
    let state = &state;
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &raw,
        |command_id| async move {
            let flight = parse_flight_id(&flight_id)?;
            let command = InventoryCommand::ReleaseSeats(ReleaseSeats {
                booking_id: BookingId(value.booking_id),
                reason: ReleaseReason::Manual,
            });
            run(state, &caller, &flight, expected, command_id, command).await
        },
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
    let op = format!("POST /inventory/{flight_id}/commit");
    let state = &state;
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &raw,
        |command_id| async move {
            let flight = parse_flight_id(&flight_id)?;
            let command = InventoryCommand::CommitSeats(CommitSeats {
                booking_id: BookingId(value.booking_id),
                now: state.clock.now(),
            });
            run(state, &caller, &flight, expected, command_id, command).await
        },
    )
    .await
}
