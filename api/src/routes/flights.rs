//! Flight scheduling (staff), schedule import, and a flight's inventory as the write side knows it.

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, JsonBody};
use crate::idempotency;
use crate::routes::{MoneyDto, command_metadata, created, json_ok, path_param, with_versions};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use skyfly_commands::{CommandError, Envelope};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::Actor;
use skyfly_domain::ids::{CommandId, FlightId, FlightNumber};
use skyfly_domain::inventory::{
    CabinSpec, FlightInventory, InventoryCommand, InventoryError, ScheduleFlight,
};
use skyfly_domain::place::Iata;
use skyfly_fixtures::schedule_csv::{self, FlightPlan};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CabinRequest {
    #[schema(example = 150)]
    pub capacity: u32,
    pub fare: MoneyDto,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    #[schema(example = "SF100")]
    pub flight_number: String,
    #[schema(example = "DFW")]
    pub origin: String,
    #[schema(example = "ORD")]
    pub destination: String,
    pub departure: DateTime<Utc>,
    pub arrival: DateTime<Utc>,
    /// Keyed by cabin: `economy`, `premium`, `business`, `first`.
    pub cabins: BTreeMap<String, CabinRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduledResponse {
    #[schema(example = "SF100-2026-12-01")]
    pub flight_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CabinView {
    pub capacity: u32,
    pub available: u32,
    pub held: u32,
    pub sold: u32,
    pub fare: MoneyDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlightView {
    pub flight_id: String,
    pub flight_number: String,
    pub origin: String,
    pub destination: String,
    pub departure: DateTime<Utc>,
    pub arrival: DateTime<Utc>,
    pub cabins: BTreeMap<String, CabinView>,
    /// The inventory's version; send it back as `If-Match`.
    pub version: u64,
}

impl FlightView {
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
    let iata =
        Iata::parse(code).map_err(|e| ApiError::field(field, "invalid_field", e.to_string()))?;
    if state.airports.contains_key(&iata) {
        Ok(iata)
    } else {
        Err(ApiError::field(
            field,
            "unknown_airport",
            format!("no airport {code} is known"),
        ))
    }
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
            flight_id: FlightId::new(flight_number.clone(), self.departure.date_naive()),
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

fn schedule_command(plan: &FlightPlan) -> InventoryCommand {
    InventoryCommand::ScheduleFlight(ScheduleFlight {
        flight_id: plan.flight_id.clone(),
        origin: plan.origin,
        destination: plan.destination,
        departure: plan.departure,
        arrival: plan.arrival,
        cabins: plan
            .cabins
            .iter()
            .map(|(c, (capacity, fare))| {
                (
                    *c,
                    CabinSpec {
                        capacity: *capacity,
                        fare: *fare,
                    },
                )
            })
            .collect(),
    })
}

/// Schedules one flight instance. `Ok(None)` if it was already scheduled (imports are idempotent).
pub async fn schedule_plan(
    state: &AppState,
    plan: &FlightPlan,
    command_id: CommandId,
    actor: Actor,
) -> Result<Option<(u64, Option<u64>)>, CommandError<InventoryError>> {
    let envelope = Envelope::new(schedule_command(plan), command_metadata(command_id, actor));
    match state
        .bus
        .execute::<FlightInventory>(&plan.flight_id, envelope)
        .await
    {
        Ok(done) if done.already_applied => Ok(None),
        Ok(done) => Ok(Some((done.version, done.position))),
        Err(CommandError::Rejected(InventoryError::AlreadyScheduled)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[utoipa::path(post, path = "/api/v1/flights", tag = "flights", request_body = ScheduleRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "retry safely")),
    responses((status = 201, body = ScheduledResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
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
            let plan = value.into_plan(state)?;
            let envelope = Envelope::new(
                schedule_command(&plan),
                command_metadata(command_id, caller.actor()),
            );
            let done = state
                .bus
                .execute::<FlightInventory>(&plan.flight_id, envelope)
                .await?;
            let location = format!("/api/v1/flights/{}", plan.flight_id);
            Ok(created(
                &location,
                &ScheduledResponse {
                    flight_id: plan.flight_id.to_string(),
                },
                done.position,
                Some(done.version),
            ))
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// First date to materialise (default: today).
    pub from: Option<NaiveDate>,
    /// Number of days to materialise (default 14, at most 366).
    pub days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read from the file.
    pub rows: usize,
    /// Flight instances scheduled by this import.
    pub scheduled: usize,
    /// Flight instances that already existed (importing twice adds nothing).
    pub already_scheduled: usize,
    pub errors: Vec<ImportError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportError {
    pub line: u64,
    pub reason: String,
}

/// Imports a schedule file; shared by the endpoint and the CLI. `progress` is told after each
/// flight instance.
pub async fn import_schedule(
    state: &AppState,
    csv: &[u8],
    from: NaiveDate,
    days: u32,
    actor: Actor,
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<ImportReport, ApiError> {
    let (rows, row_errors) = schedule_csv::parse_schedule(csv);
    let row_count = rows.len() + row_errors.len();
    let mut errors: Vec<ImportError> = row_errors
        .into_iter()
        .map(|e| ImportError {
            line: e.line,
            reason: e.reason,
        })
        .collect();
    let mut known = Vec::with_capacity(rows.len());
    for row in rows {
        let unknown: Vec<_> = [("origin", row.origin), ("destination", row.destination)]
            .into_iter()
            .filter(|(_, c)| !state.airports.contains_key(c))
            .collect();
        if let Some((column, code)) = unknown.first() {
            errors.push(ImportError {
                line: row.line,
                reason: format!("{column}: unknown airport {code}"),
            });
        } else {
            known.push(row);
        }
    }
    let (plans, plan_errors) = schedule_csv::materialize(&known, from, days, &|_, cabin| {
        schedule_csv::default_capacity(cabin)
    });
    errors.extend(plan_errors.into_iter().map(|e| ImportError {
        line: e.line,
        reason: e.reason,
    }));
    let (mut scheduled, mut already) = (0, 0);
    // Flights are independent streams: 16 in flight at a time.
    let mut outcomes = futures::stream::iter(&plans)
        .map(|plan| {
            // The command id is derived from the flight instance, so a re-import is recognised
            // even if a concurrent import scheduled it first.
            let command_id = CommandId::derived(&format!("schedule/{}", plan.flight_id));
            let actor = actor.clone();
            let scheduling: futures::future::BoxFuture<'_, _> =
                Box::pin(
                    async move { (plan, schedule_plan(state, plan, command_id, actor).await) },
                );
            scheduling
        })
        .buffer_unordered(16)
        .boxed();
    let mut done = 0;
    while let Some((plan, outcome)) = outcomes.next().await {
        match outcome {
            Ok(Some(_)) => scheduled += 1,
            Ok(None) => already += 1,
            Err(CommandError::Rejected(r)) => errors.push(ImportError {
                line: plan.source_line,
                reason: format!("{}: {r}", plan.flight_id),
            }),
            Err(e) => return Err(e.into()),
        }
        done += 1;
        progress(done, plans.len());
    }
    errors.sort_by_key(|e| e.line);
    Ok(ImportReport {
        rows: row_count,
        scheduled,
        already_scheduled: already,
        errors,
    })
}

#[utoipa::path(post, path = "/api/v1/flights/import", tag = "flights", security(("bearer" = [])), params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "a schedule file in the seed CSV format"),
    responses((status = 200, body = ImportReport), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Query(params): Query<ImportParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let days = params.days.unwrap_or(14);
    if !(1..=366).contains(&days) {
        return Err(ApiError::field(
            "days",
            "invalid_field",
            "days must be 1 to 366",
        ));
    }
    let from = params
        .from
        .unwrap_or_else(|| state.clock.now().date_naive());
    let report = import_schedule(&state, &body, from, days, caller.actor(), &|_, _| {}).await?;
    Ok(json_ok(&report))
}

pub fn parse_flight_id(raw: &str) -> Result<FlightId, ApiError> {
    path_param("flight_id", raw, |s| FlightId::parse(s).ok())
}

#[utoipa::path(get, path = "/api/v1/flights/{flight_id}", tag = "flights",
    params(("flight_id" = String, Path, example = "SF100-2026-12-01")),
    responses((status = 200, body = FlightView), (status = 404, body = Problem)))]
pub async fn get_flight(
    State(state): State<AppState>,
    Path(flight_id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_flight_id(&flight_id).map_err(|_| ApiError::not_found("flight"))?;
    let (inventory, version) = state.bus.load::<FlightInventory>(&id).await?;
    let view = FlightView::of(&inventory, version).ok_or_else(|| ApiError::not_found("flight"))?;
    Ok(with_versions(json_ok(&view), None, Some(version)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    pub flight_id: String,
    pub flight_number: String,
    pub origin: String,
    pub destination: String,
    pub departure: DateTime<Utc>,
    pub arrival: DateTime<Utc>,
    pub cabins: BTreeMap<String, CabinView>,
}

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
