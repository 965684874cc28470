//! Seat inventory commands (staff; the saga's process manager sends the same commands): the
//! use cases are `skyfly_commands::inventory`.

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::idempotency;
use crate::routes::executed;
use crate::routes::flights::{FlightView, parse_flight_id};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use skyfly_commands::inventory::{self, Commit, Release, Reserve};
use skyfly_commands::{Call, Executed};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::BookingId;
use skyfly_domain::inventory::FlightInventory;
use utoipa::ToSchema;
use uuid::Uuid;

/// Hold seats on a flight for a booking.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    /// The booking the seats are held for.
    pub booking_id: Uuid,
    /// The cabin to hold seats in.
    #[schema(value_type = String, example = "economy")]
    pub cabin: Cabin,
    /// How many seats to hold, 1 to 9.
    #[schema(example = 2, minimum = 1, maximum = 9)]
    pub seats: u32,
}

/// Names the booking a seat command is about.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRef {
    /// The booking's id.
    pub booking_id: Uuid,
}

impl ReserveRequest {
    fn command(&self, flight_id: &str) -> Result<Reserve, ApiError> {
        Ok(Reserve {
            flight_id: parse_flight_id(flight_id)?,
            booking_id: BookingId(self.booking_id),
            cabin: self.cabin,
            seats: self.seats,
        })
    }
}

impl BookingRef {
    fn release(&self, flight_id: &str) -> Result<Release, ApiError> {
        Ok(Release {
            flight_id: parse_flight_id(flight_id)?,
            booking_id: BookingId(self.booking_id),
        })
    }

    fn commit(&self, flight_id: &str) -> Result<Commit, ApiError> {
        Ok(Commit {
            flight_id: parse_flight_id(flight_id)?,
            booking_id: BookingId(self.booking_id),
        })
    }
}

/// The flight after a seat command.
fn answer(done: &Executed<FlightInventory>) -> Result<Response, ApiError> {
    executed(done, FlightView::of, || inventory::unknown_flight().into())
}

/// The idempotency key's operation for a seat command.
fn operation(flight_id: &str, verb: &str) -> String {
    format!("POST /inventory/{flight_id}/{verb}")
}

#[utoipa::path(post, path = "/api/v1/inventory/{flight_id}/reserve", tag = "flights", request_body = ReserveRequest,
    security(("bearer" = [])),
    params(("flight_id" = String, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = FlightView), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// Holds seats on a flight for a booking for 15 minutes.
pub async fn reserve(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(flight_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<ReserveRequest>,
) -> Response {
    let (state, op) = (&state, operation(&flight_id, "reserve"));
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &body.raw,
        |command_id| async move {
            let command = body.value.command(&flight_id)?;
            let call = Call::by(&caller, command_id).expecting(expected);
            answer(&inventory::reserve(&state.app, &call, command).await?)
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/inventory/{flight_id}/release", tag = "flights", request_body = BookingRef,
    security(("bearer" = [])), params(("flight_id" = String, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = FlightView), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// Releases a booking's held or sold seats on a flight.
pub async fn release(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(flight_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<BookingRef>,
) -> Response {
    let (state, op) = (&state, operation(&flight_id, "release"));
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &body.raw,
        |command_id| async move {
            let command = body.value.release(&flight_id)?;
            let call = Call::by(&caller, command_id).expecting(expected);
            answer(&inventory::release(&state.app, &call, command).await?)
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/inventory/{flight_id}/commit", tag = "flights", request_body = BookingRef,
    security(("bearer" = [])), params(("flight_id" = String, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = FlightView), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// Turns a booking's held seats on a flight into sold seats.
pub async fn commit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(flight_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<BookingRef>,
) -> Response {
    let (state, op) = (&state, operation(&flight_id, "commit"));
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &body.raw,
        |command_id| async move {
            let command = body.value.commit(&flight_id)?;
            let call = Call::by(&caller, command_id).expecting(expected);
            answer(&inventory::commit(&state.app, &call, command).await?)
        },
    )
    .await
}
