//! Queries served from read models: places, flight search, and the projections themselves.
//! Every answer carries `X-Read-Model-Position`; `?min_position=N` waits (at most 5 s) for it.

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};
use crate::routes::MoneyDto;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use skyfly_commands::read_models;
use skyfly_domain::cabin::Cabin;
use skyfly_projections::ProjectorStatus;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

/// Waits until the named read model reached `min_position` (at most 5 s); returns its position.
pub(crate) async fn position(
    state: &AppState,
    name: &str,
    min_position: Option<u64>,
) -> Result<u64, ApiError> {
    positions(state, &[name], min_position).await
}

/// How long a query waits for a read model to reach the position it asks for.
const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

/// The projectors of the named read models.
fn projectors<'s>(
    state: &'s AppState,
    names: &[&str],
) -> Result<Vec<&'s skyfly_projections::Projector>, ApiError> {
    names
        .iter()
        .map(|name| {
            state
                .projectors
                .iter()
                .find(|p| p.name() == *name)
                .map(AsRef::as_ref)
                .ok_or_else(|| ApiError::internal(format!("no projector {name}")))
        })
        .collect()
}

/// Waits until every named read model reached `min_position` (at most 5 s); returns the lowest
/// of their positions (what the answer, which joins them, reflects at least).
pub(crate) async fn positions(
    state: &AppState,
    names: &[&str],
    min_position: Option<u64>,
) -> Result<u64, ApiError> {
    let projectors = projectors(state, names)?;
    Ok(skyfly_projections::runtime::reached(&projectors, min_position, READ_YOUR_WRITES).await?)
}

/// For a lookup by id that found nothing: waits (at most 5 s) until the read models have caught up
/// with the log as it is now, so that what was just written is found. Returns the new position, or
/// `None` if they were already there (the thing does not exist).
pub(crate) async fn caught_up(
    state: &AppState,
    names: &[&str],
    at: u64,
) -> Result<Option<u64>, ApiError> {
    let projectors = projectors(state, names)?;
    Ok(skyfly_projections::runtime::caught_up(
        state.bus.store().as_ref(),
        &projectors,
        at,
        READ_YOUR_WRITES,
    )
    .await?)
}

pub(crate) fn with_position(mut response: Response, position: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&position.to_string()) {
        response.headers_mut().insert("x-read-model-position", v);
    }
    response
}

/// Query parameters of a flight search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// The origin airport's IATA code.
    #[param(example = "DFW")]
    pub origin: String,
    /// The destination airport's IATA code.
    #[param(example = "ORD")]
    pub destination: String,
    /// The day of departure (UTC).
    #[param(example = "2026-12-01")]
    pub date: NaiveDate,
    /// Only this cabin (all cabins if absent).
    #[param(value_type = Option<String>, example = "economy")]
    pub cabin: Option<Cabin>,
    /// Seats needed (default 1).
    pub passengers: Option<u32>,
    /// Read-your-writes: wait (at most 5 s) until the read model reached this position.
    pub min_position: Option<u64>,
}

/// A cabin of a flight with enough seats for the party, and its price.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlightOffer {
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
    /// The cabin offered.
    pub cabin: String,
    /// Seats available in the cabin.
    pub seats_available: i32,
    /// The quote for `passengers` seats: fare plus taxes.
    pub price: MoneyDto,
}

/// The flights found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    /// Cabins of flights with at least `passengers` seats, at most 200.
    pub flights: Vec<FlightOffer>,
}

#[utoipa::path(get, path = "/api/v1/flights/search", tag = "flights", params(SearchParams),
    responses((status = 200, body = SearchResult), (status = 422, body = Problem)))]
/// Searches flights by route and day, with the party's price per cabin.
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Response, ApiError> {
    let passengers = p.passengers.unwrap_or(1);
    if !(1..=9).contains(&passengers) {
        return Err(ApiError::field("passengers", "invalid_field", "1 to 9"));
    }
    let at = position(&state, skyfly_projections::flights::NAME, p.min_position).await?;
    let rows = skyfly_projections::flights::search(
        &state.pool,
        &skyfly_projections::flights::FlightSearch {
            origin: p.origin,
            destination: p.destination,
            date: p.date,
            cabin: p.cabin,
            seats: passengers,
        },
    )
    .await?;
    let mut flights = Vec::with_capacity(rows.len());
    for row in rows {
        let currency =
            skyfly_domain::Currency::parse(row.currency.trim()).map_err(ApiError::internal)?;
        let base = skyfly_domain::Money::new(row.fare_amount, currency);
        let fare = base
            .checked_mul(i64::from(passengers))
            .map_err(ApiError::internal)?;
        let total = fare
            .checked_add(skyfly_domain::pricing::taxes_on(fare).map_err(ApiError::internal)?)
            .map_err(ApiError::internal)?;
        flights.push(FlightOffer {
            flight_id: row.flight_id,
            flight_number: row.flight_number,
            origin: row.origin.trim().to_owned(),
            destination: row.destination.trim().to_owned(),
            departure: row.departure,
            arrival: row.arrival,
            cabin: row.cabin,
            seats_available: row.available,
            price: total.into(),
        });
    }
    Ok(with_position(
        crate::routes::json_ok(&SearchResult { flights }),
        at,
    ))
}

/// Query parameters of a place lookup.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlacesParams {
    /// A case-insensitive prefix of the code, the city or the name.
    pub q: String,
}

/// An airport.
#[derive(Debug, Serialize, ToSchema)]
pub struct Place {
    /// The airport's IATA code.
    pub code: String,
    /// The airport's name.
    pub name: String,
    /// The city it serves.
    pub city: String,
    /// The country it is in.
    pub country: String,
    /// Its IANA time zone.
    pub time_zone: String,
}

/// The places found.
#[derive(Debug, Serialize, ToSchema)]
pub struct Places {
    /// At most 50 airports, an exact code first.
    pub places: Vec<Place>,
}

/// Looks up airports by a prefix of their code, city or name.
#[utoipa::path(get, path = "/api/v1/places", tag = "flights", params(PlacesParams), responses((status = 200, body = Places)))]
pub async fn places(
    State(state): State<AppState>,
    Query(p): Query<PlacesParams>,
) -> Result<Response, ApiError> {
    let q = p.q.trim();
    if q.is_empty() || q.len() > 100 {
        return Err(ApiError::field("q", "invalid_field", "1 to 100 characters"));
    }
    let places = skyfly_projections::places::search(&state.pool, q)
        .await?
        .into_iter()
        .map(|row| Place {
            code: row.code.trim().to_owned(),
            name: row.name,
            city: row.city,
            country: row.country,
            time_zone: row.time_zone,
        })
        .collect();
    // Reference data: always complete; its position is the log's.
    let head = skyfly_domain::store::EventStore::head_position(state.bus.store().as_ref()).await?;
    Ok(with_position(
        crate::routes::json_ok(&Places { places }),
        head,
    ))
}

/// A read model's progress through the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionView {
    /// The read model's name.
    pub name: String,
    /// The global position the read model has applied the log up to.
    pub position: u64,
    /// How many readable events it has not applied yet.
    pub lag_events: u64,
    /// Age of the oldest event it has not applied yet, in milliseconds (0 when caught up).
    pub lag_ms: u64,
    /// `live | catching_up`
    pub status: String,
    /// The last rebuild of this read model, if it was ever rebuilt: running (with its
    /// progress), succeeded, or failed and why.
    pub rebuild: Option<RebuildView>,
}

/// What the last rebuild of a read model came to.
#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildView {
    /// `running | succeeded | failed`
    pub state: String,
    /// Events applied so far.
    pub done: u64,
    /// Events in the log when it started.
    pub total: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// When it started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// When it ended (`null` while it runs).
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ProjectionView {
    fn of(s: ProjectorStatus, rebuild: Option<skyfly_projections::RebuildState>) -> Self {
        Self {
            name: s.name,
            position: s.position,
            lag_events: s.lag_events,
            lag_ms: s.lag_ms,
            status: s.status,
            rebuild: rebuild.map(|r| RebuildView {
                state: r.state,
                done: r.done,
                total: r.total,
                error: r.error,
                started_at: r.started_at,
                finished_at: r.finished_at,
            }),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/admin/projections", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProjectionView>)))]
/// The read models and how far behind the log they are.
pub async fn projections(
    State(state): State<AppState>,
    Staff(_caller): Staff,
) -> Result<Response, ApiError> {
    let mut rebuilds = skyfly_projections::rebuild_states(&state.pool).await?;
    let mut views = Vec::new();
    for p in &state.projectors {
        let rebuild = rebuilds
            .iter()
            .position(|r| r.name == p.name())
            .map(|i| rebuilds.swap_remove(i));
        views.push(ProjectionView::of(p.status().await?, rebuild));
    }
    Ok(crate::routes::json_ok(&views))
}

#[utoipa::path(post, path = "/api/v1/admin/projections/{name}/rebuild", tag = "operations", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 202, description = "the rebuild runs in the background; queries keep answering; its progress and outcome are in GET /admin/projections"), (status = 404, body = Problem), (status = 409, body = Problem, description = "a rebuild of this read model is already running (rebuild_in_progress)")))]
/// Rebuilds a read model from the log in the background.
pub async fn rebuild(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let command = read_models::RebuildReadModel::parse(&state.app, &name)?;
    tracing::info!(projection = %name, by = %caller.user_id, "rebuild requested");
    read_models::start_rebuild(&state.app, command).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Filters and pagination of the booking list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BookingFilter {
    /// `pending | confirmed | rejected | failed | cancelled`
    pub status: Option<String>,
    /// Staff only.
    pub flight_id: Option<String>,
    /// Staff only.
    pub customer_id: Option<uuid::Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Read-your-writes: wait (at most 5 s) until the read model reached this position.
    pub min_position: Option<u64>,
}

/// A booking in a list, from the `booking_view` read model.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingSummary {
    /// The booking's id.
    pub booking_id: uuid::Uuid,
    /// The booking's 6-character reference (`K7Q2ZD`).
    pub locator: String,
    /// `pending | confirmed | rejected | failed | cancelled`
    pub status: String,
    /// The booked flight.
    pub flight_id: String,
    /// The booked cabin.
    pub cabin: String,
    /// The passengers: `[{ first_name, last_name }]`.
    #[schema(value_type = Vec<Object>)]
    pub passengers: serde_json::Value,
    /// The quote's total.
    pub price: MoneyDto,
    /// Miles redeemed for the booking.
    pub miles_redeemed: i64,
    /// The passengers' ticket numbers, once confirmed.
    #[schema(value_type = Vec<String>)]
    pub ticket_numbers: serde_json::Value,
    /// The saga step that failed, if the booking was rejected or failed.
    pub failure_step: Option<String>,
    /// Why it failed, if it did.
    pub failure_reason: Option<String>,
    /// When the booking was requested.
    pub requested_at: DateTime<Utc>,
}

/// A page of bookings.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingList {
    /// The bookings of this page.
    pub bookings: Vec<BookingSummary>,
    /// The cursor of the next page, or `null` on the last page.
    pub next_cursor: Option<u64>,
    /// Whether another page follows (then `next_cursor` is where it starts).
    pub has_more: bool,
}

const BOOKING_STATUSES: [&str; 5] = ["pending", "confirmed", "rejected", "failed", "cancelled"];

#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", security(("bearer" = [])), params(BookingFilter),
    responses((status = 200, body = BookingList), (status = 422, body = Problem)))]
/// The caller's bookings (every booking for staff), filtered.
pub async fn bookings(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Query(f): Query<BookingFilter>,
) -> Result<Response, ApiError> {
    if let Some(s) = &f.status
        && !BOOKING_STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::field(
            "status",
            "invalid_field",
            format!("one of {}", BOOKING_STATUSES.join(", ")),
        ));
    }
    let limit = crate::routes::page_limit(f.limit, 50, 200)?;
    // A customer sees only their own bookings, whatever they ask for.
    let customer = if caller.is_staff() {
        f.customer_id
    } else {
        Some(caller.user_id.0)
    };
    let at = position(&state, skyfly_projections::bookings::NAME, f.min_position).await?;
    let page = skyfly_projections::bookings::list(
        &state.pool,
        &skyfly_projections::bookings::BookingFilter {
            customer_id: customer,
            status: f.status,
            flight_id: if caller.is_staff() { f.flight_id } else { None },
            before: f.cursor,
            limit,
        },
    )
    .await?;
    let mut bookings = Vec::with_capacity(page.rows.len());
    for r in page.rows {
        let currency =
            skyfly_domain::Currency::parse(r.currency.trim()).map_err(ApiError::internal)?;
        bookings.push(BookingSummary {
            booking_id: r.booking_id,
            locator: r.locator,
            status: r.status,
            flight_id: r.flight_id,
            cabin: r.cabin,
            passengers: r.passengers,
            price: skyfly_domain::Money::new(r.price_amount, currency).into(),
            miles_redeemed: r.miles_redeemed,
            ticket_numbers: r.ticket_numbers,
            failure_step: r.failure_step,
            failure_reason: r.failure_reason,
            requested_at: r.requested_at,
        });
    }
    Ok(with_position(
        crate::routes::json_ok(&BookingList {
            bookings,
            has_more: page.next_cursor.is_some(),
            next_cursor: page.next_cursor,
        }),
        at,
    ))
}

/// Query parameters of a booking's payments.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PaymentFilter {
    /// The booking whose payments to list.
    pub booking_id: uuid::Uuid,
    /// Read-your-writes: wait (at most 5 s) until the read model reached this position.
    pub min_position: Option<u64>,
}

/// A payment in a list, from the `payment_view` read model.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentSummary {
    /// The payment's id.
    pub payment_id: uuid::Uuid,
    /// The booking the payment is for.
    pub booking_id: uuid::Uuid,
    /// `created | authorized | captured | partially_refunded | refunded | voided | declined`
    pub status: String,
    /// The amount of the intent.
    pub amount: MoneyDto,
    /// The amount captured so far.
    pub captured: MoneyDto,
    /// The amount refunded so far.
    pub refunded: MoneyDto,
    /// The card, once one was presented.
    pub card: Option<crate::routes::payments::CardView>,
    /// Why the card was declined, if it was.
    pub decline_reason: Option<String>,
}

/// A booking's payments.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    /// The booking's payments.
    pub payments: Vec<PaymentSummary>,
}

#[utoipa::path(get, path = "/api/v1/payments", tag = "payments", security(("bearer" = [])), params(PaymentFilter),
    responses((status = 200, body = PaymentList), (status = 404, body = Problem)))]
/// A booking's payments, for its owner or staff.
pub async fn payments(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Query(f): Query<PaymentFilter>,
) -> Result<Response, ApiError> {
    if !caller.is_staff() {
        // Only the booking's owner; for anyone else the booking does not exist.
        crate::routes::bookings::visible_booking_id(&state, &caller, &f.booking_id.to_string())
            .await?;
    }
    let at = position(&state, skyfly_projections::payments::NAME, f.min_position).await?;
    let rows = skyfly_projections::payments::by_booking(&state.pool, f.booking_id).await?;
    let mut payments = Vec::with_capacity(rows.len());
    for r in rows {
        let currency =
            skyfly_domain::Currency::parse(r.currency.trim()).map_err(ApiError::internal)?;
        let money = |a: i64| MoneyDto::from(skyfly_domain::Money::new(a, currency));
        payments.push(PaymentSummary {
            payment_id: r.payment_id,
            booking_id: r.booking_id,
            status: r.status,
            amount: money(r.amount),
            captured: money(r.captured),
            refunded: money(r.refunded),
            card: r
                .card_brand
                .zip(r.card_last4)
                .map(|(brand, last4)| crate::routes::payments::CardView { brand, last4 }),
            decline_reason: r.decline_reason,
        });
    }
    Ok(with_position(
        crate::routes::json_ok(&PaymentList { payments }),
        at,
    ))
}
