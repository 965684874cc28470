//! Flight scheduling (staff), schedule import, and a flight's inventory as the write side knows it.

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, JsonBody};
use crate::extract::{Path, Query};
use crate::idempotency;
use crate::routes::{MoneyDto, created, json_ok, path_param, with_versions};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use skyfly_commands::Call;
use skyfly_commands::flights::{self, FlightPlan, ImportSchedule, ScheduleFlightPlan};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::{FlightId, FlightNumber};
use skyfly_domain::inventory::FlightInventory;
use skyfly_domain::place::Iata;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// A cabin of a flight to schedule: its seats and fare.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CabinRequest {
    /// Seats in the cabin: 1 to 1,000 (`MAX_CABIN_CAPACITY`).
    #[schema(example = 150, minimum = 1, maximum = 1000)]
    pub capacity: u32,
    /// The base fare of one seat.
    pub fare: MoneyDto,
}

/// A flight to schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// The flight number.
    #[schema(example = "SF100")]
    pub flight_number: String,
    /// The origin airport's IATA code.
    #[schema(example = "DFW")]
    pub origin: String,
    /// The destination airport's IATA code.
    #[schema(example = "ORD")]
    pub destination: String,
    /// Scheduled departure (UTC); its date is part of the flight id.
    pub departure: DateTime<Utc>,
    /// Scheduled arrival (UTC), after the departure.
    pub arrival: DateTime<Utc>,
    /// Keyed by cabin: `economy`, `premium`, `business`, `first`.
    pub cabins: BTreeMap<String, CabinRequest>,
}

/// The scheduled flight.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduledResponse {
    /// The flight's id: `<number>-<local date of departure at the origin>`.
    #[schema(example = "SF100-2026-12-01")]
    pub flight_id: String,
}

/// The seats of one cabin of a flight.
#[derive(Debug, Serialize, ToSchema)]
pub struct CabinView {
    /// Seats in the cabin.
    pub capacity: u32,
    /// Seats neither held nor sold.
    pub available: u32,
    /// Seats held for bookings.
    pub held: u32,
    /// Seats sold.
    pub sold: u32,
    /// The base fare of one seat.
    pub fare: MoneyDto,
}

/// A flight and its seat inventory, from the aggregate.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlightView {
    /// The flight's id: `<number>-<local date of departure at the origin>`.
    pub flight_id: String,
    /// The flight number.
    pub flight_number: String,
    /// The origin airport's IATA code.
    pub origin: String,
    /// The destination airport's IATA code.
    pub destination: String,
    /// Scheduled departure (UTC).
    pub departure: DateTime<Utc>,
    /// Scheduled arrival (UTC).
    pub arrival: DateTime<Utc>,
    /// Seats per cabin, keyed by cabin.
    pub cabins: BTreeMap<String, CabinView>,
    /// The inventory's version; send it back as `If-Match`.
    pub version: u64,
}

impl FlightView {
    /// The view of a scheduled flight, or `None` if it is not scheduled.
    pub fn of(state: &FlightInventory, version: u64) -> Option<Self> {
        let s = state.schedule()?;
        Some(Self {
            flight_id: s.flight_id.to_string(),
            flight_number: s.flight_number.to_string(),
            origin: s.origin.to_string(),
            destination: s.destination.to_string(),
            departure: s.departure,
            arrival: s.arrival,
            cabins: s
                .cabins
                .iter()
                .map(|(cabin, c)| {
                    let view = CabinView {
                        capacity: c.capacity,
                        available: c.available,
                        held: c.held,
                        sold: c.sold,
                        fare: c.fare.into(),
                    };
                    (cabin.as_str().to_owned(), view)
                })
                .collect(),
            version,
        })
    }
}

fn known_airport(state: &AppState, field: &str, code: &str) -> Result<Iata, ApiError> {
    Ok(skyfly_commands::flights::known_airport(
        &state.app, field, code,
    )?)
}

impl ScheduleRequest {
    fn into_plan(self, state: &AppState) -> Result<FlightPlan, ApiError> {
        let flight_number = FlightNumber::parse(&self.flight_number)
            .map_err(|e| ApiError::field("flight_number", "invalid_field", e.to_string()))?;
        let origin = known_airport(state, "origin", &self.origin)?;
        let destination = known_airport(state, "destination", &self.destination)?;
        let mut cabins = BTreeMap::new();
        for (name, c) in self.cabins {
            let cabin = Cabin::parse(&name).ok_or_else(|| {
                ApiError::field(
                    format!("cabins.{name}"),
                    "invalid_field",
                    "cabins are economy, premium, business, first",
                )
            })?;
            cabins.insert(
                cabin,
                (c.capacity, c.fare.to_money(&format!("cabins.{name}.fare"))?),
            );
        }
        Ok(FlightPlan {
            flight_id: flights::flight_id(
                &state.app,
                flight_number.clone(),
                origin,
                self.departure,
            ),
            flight_number,
            origin,
            destination,
            departure: self.departure,
            arrival: self.arrival,
            cabins,
            source_line: 0,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/flights", tag = "flights", request_body = ScheduleRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "retry safely")),
    responses((status = 201, body = ScheduledResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// Schedules a flight.
pub async fn schedule(
    State(state): State<AppState>,
    Staff(caller): Staff,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<ScheduleRequest>,
) -> Response {
    let JsonBody { value, raw } = body;
    let state = &state;
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        "POST /flights",
        &raw,
        |command_id| async move {
            let plan = ScheduleFlightPlan(value.into_plan(state)?);
            let call = Call::by(&caller, command_id);
            let done = flights::schedule(&state.app, &call, &plan).await?;
            let flight_id = plan.0.flight_id.to_string();
            let location = format!("/api/v1/flights/{flight_id}");
            let body = ScheduledResponse { flight_id };
            Ok(created(&location, &body, done.position, Some(done.version)))
        },
    )
    .await
}

/// Query parameters of a schedule import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// First date to materialise, local at each flight's origin (required: `422 missing_field`).
    pub from: Option<NaiveDate>,
    /// Number of days to materialise (default 14, at most 366).
    pub days: Option<u32>,
}

/// What a schedule import did: every data line is in exactly one of `scheduled`,
/// `already_scheduled`, `outside_window` and `rejected`, which add up to `lines`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data lines in the file (after the header, not blank).
    pub lines: usize,
    /// Lines that scheduled at least one new flight instance, none refused.
    pub scheduled: usize,
    /// Lines whose flight instances in the range all existed already (importing twice adds nothing).
    pub already_scheduled: usize,
    /// Lines whose weekday falls on no date of the range.
    pub outside_window: usize,
    /// Lines refused, each once in `errors`.
    pub rejected: usize,
    /// Flight instances this import scheduled.
    pub flights_scheduled: usize,
    /// Flight instances that existed already.
    pub flights_already_scheduled: usize,
    /// One entry per rejected line (and one on line 1 for a file without a valid header).
    pub errors: Vec<ImportError>,
}

/// A row of a schedule file that could not be imported.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportError {
    /// The row's line number in the file.
    pub line: u64,
    /// Why the row was not imported.
    pub reason: String,
}

impl From<flights::ImportReport> for ImportReport {
    fn from(r: flights::ImportReport) -> Self {
        Self {
            lines: r.lines,
            scheduled: r.scheduled,
            already_scheduled: r.already_scheduled,
            outside_window: r.outside_window,
            rejected: r.rejected,
            flights_scheduled: r.flights_scheduled,
            flights_already_scheduled: r.flights_already_scheduled,
            errors: r
                .errors
                .into_iter()
                .map(|e| ImportError {
                    line: e.line,
                    reason: e.reason,
                })
                .collect(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/flights/import", tag = "flights", security(("bearer" = [])), params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "a schedule file in the seed CSV format"),
    responses((status = 200, body = ImportReport), (status = 422, body = Problem)))]
/// Imports a schedule file (CSV), scheduling the flights it names over a range of days.
pub async fn import(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Query(params): Query<ImportParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let command = ImportSchedule::parse(body.to_vec(), params.from, params.days)?;
    let report = flights::import_schedule(&state.app, caller.actor(), &command, &|_, _| {}).await?;
    Ok(json_ok(&ImportReport::from(report)))
}

/// Parses a `flight_id` path segment (`422 invalid_field` naming it on failure).
pub fn parse_flight_id(raw: &str) -> Result<FlightId, ApiError> {
    path_param("flight_id", raw, |s| FlightId::parse(s).ok())
}

#[utoipa::path(get, path = "/api/v1/flights/{flight_id}", tag = "flights",
    params(("flight_id" = String, Path, example = "SF100-2026-12-01")),
    responses((status = 200, body = FlightView), (status = 404, body = Problem)))]
/// A flight and its seat inventory, from the aggregate.
pub async fn get_flight(
    State(state): State<AppState>,
    Path(flight_id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_flight_id(&flight_id).map_err(|_| ApiError::not_found("flight"))?;
    let (inventory, version) = state.bus.load::<FlightInventory>(&id).await?;
    let view = FlightView::of(&inventory, version).ok_or_else(|| ApiError::not_found("flight"))?;
    Ok(with_versions(json_ok(&view), None, Some(version)))
}

/// A flight and its seats per cabin, from the `flight_availability` read model.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    /// The flight's id: `<number>-<local date of departure at the origin>`.
    pub flight_id: String,
    /// The flight number.
    pub flight_number: String,
    /// The origin airport's IATA code.
    pub origin: String,
    /// The destination airport's IATA code.
    pub destination: String,
    /// Scheduled departure (UTC).
    pub departure: DateTime<Utc>,
    /// Scheduled arrival (UTC).
    pub arrival: DateTime<Utc>,
    /// Seats per cabin, keyed by cabin.
    pub cabins: BTreeMap<String, CabinView>,
}

/// Query parameters of a flight's availability.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityQuery {
    /// Read-your-writes: wait (at most 5 s) until the read model reached this position.
    pub min_position: Option<u64>,
}

/// Seats per cabin from the `flight_availability` read model (the flight's write-side view, with
/// its version for `If-Match`, is `GET /flights/{flight_id}`).
#[utoipa::path(get, path = "/api/v1/flights/{flight_id}/availability", tag = "flights",
    params(("flight_id" = String, Path, example = "SF100-2026-12-01"), AvailabilityQuery),
    responses((status = 200, body = AvailabilityView), (status = 404, body = Problem)))]
pub async fn availability(
    State(state): State<AppState>,
    Path(flight_id): Path<String>,
    Query(q): Query<AvailabilityQuery>,
) -> Result<Response, ApiError> {
    use crate::routes::queries::{caught_up, positions, with_position};
    let id = parse_flight_id(&flight_id).map_err(|_| ApiError::not_found("flight"))?;
    let names = [skyfly_projections::flights::NAME];
    let flight = id.to_string();
    let mut at = positions(&state, &names, q.min_position).await?;
    let mut rows = skyfly_projections::flights::availability(&state.pool, &flight).await?;
    if rows.is_empty()
        && let Some(now) = caught_up(&state, &names, at).await?
    {
        at = now;
        rows = skyfly_projections::flights::availability(&state.pool, &flight).await?;
    }
    let Some(first) = rows.first() else {
        return Err(ApiError::not_found("flight"));
    };
    let mut view = AvailabilityView {
        flight_id: flight.clone(),
        flight_number: first.flight_number.clone(),
        origin: first.origin.trim().to_owned(),
        destination: first.destination.trim().to_owned(),
        departure: first.departure,
        arrival: first.arrival,
        cabins: BTreeMap::new(),
    };
    let seats = |n: i32| u32::try_from(n).unwrap_or(0);
    for row in rows {
        let currency =
            skyfly_domain::Currency::parse(row.currency.trim()).map_err(ApiError::internal)?;
        view.cabins.insert(
            row.cabin,
            CabinView {
                capacity: seats(row.capacity),
                available: seats(row.available),
                held: seats(row.held),
                sold: seats(row.sold),
                fare: skyfly_domain::Money::new(row.fare_amount, currency).into(),
            },
        );
    }
    Ok(with_position(json_ok(&view), at))
}
