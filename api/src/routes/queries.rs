//! Queries served from read models: places, flight search, and the projections themselves.
//! Every answer carries `X-Read-Model-Position`; `?min_position=N` waits (at most 5 s) for it.

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::routes::MoneyDto;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
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

/// Waits until every named read model reached `min_position` (at most 5 s); returns the lowest
/// of their positions (what the answer, which joins them, reflects at least).
pub(crate) async fn positions(
    state: &AppState,
    names: &[&str],
    min_position: Option<u64>,
) -> Result<u64, ApiError> {
    let projectors = names
        .iter()
        .map(|name| {
            state
                .projectors
                .iter()
                .find(|p| p.name() == *name)
                .ok_or_else(|| ApiError::internal(format!("no projector {name}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let give_up = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut pause = Duration::from_millis(2);
    loop {
        let mut at = u64::MAX;
        for p in &projectors {
            // What this process saw committed is enough if it answers the question; else ask
            // (another process's projector may be further, or none runs here).
            let known = p.known_position();
            let position = match min_position {
                Some(min) if known >= min => known,
                None if known > 0 => known,
                _ => p.position().await?,
            };
            at = at.min(position);
        }
        if min_position.is_none_or(|min| at >= min) || tokio::time::Instant::now() >= give_up {
            return Ok(at);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// For a lookup by id that found nothing: waits (at most 5 s) until the read models have caught up
/// with the log as it is now, so that what was just written is found. Returns the new position, or
/// `None` if they were already there (the thing does not exist).
pub(crate) async fn caught_up(
    state: &AppState,
    names: &[&str],
    at: u64,
) -> Result<Option<u64>, ApiError> {
    // Committed, not only readable: what was just written may still sit above the watermark while
    // other transactions run, and it must be waited for, not reported missing.
    let head = skyfly_domain::store::EventStore::committed_head(state.bus.store().as_ref()).await?;
    if at >= head {
        return Ok(None);
    }
    Ok(Some(positions(state, names, Some(head)).await?))
}

pub(crate) fn with_position(mut response: Response, position: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&position.to_string()) {
        response.headers_mut().insert("x-read-model-position", v);
    }
    response
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    #[param(example = "DFW")]
    pub origin: String,
    #[param(example = "ORD")]
    pub destination: String,
    pub date: NaiveDate,
    #[param(value_type = Option<String>, example = "economy")]
    pub cabin: Option<Cabin>,
    /// Seats needed (default 1).
    pub passengers: Option<u32>,
    pub min_position: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlightOffer {
    pub flight_id: String,
    pub flight_number: String,
    pub origin: String,
    pub destination: String,
    pub departure: DateTime<Utc>,
    pub arrival: DateTime<Utc>,
    pub cabin: String,
    pub seats_available: i32,
    /// The quote for `passengers` seats: fare plus taxes.
    pub price: MoneyDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub flights: Vec<FlightOffer>,
}

type OfferRow = (
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    String,
    i32,
    i64,
    String,
);

#[utoipa::path(get, path = "/api/v1/flights/search", tag = "flights", params(SearchParams),
    responses((status = 200, body = SearchResult), (status = 422, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Response, ApiError> {
    let passengers = p.passengers.unwrap_or(1);
    if !(1..=9).contains(&passengers) {
        return Err(ApiError::field("passengers", "invalid_field", "1 to 9"));
    }
    let at = position(&state, skyfly_projections::flights::NAME, p.min_position).await?;
    let day_start = p
        .date
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .ok_or_else(|| ApiError::field("date", "invalid_field", "not a date"))?;
    let rows: Vec<OfferRow> = sqlx::query_as(
        "SELECT flight_id, flight_number, origin, destination, departure, arrival, cabin, available, fare_amount, currency \
         FROM flight_availability WHERE origin = $1 AND destination = $2 AND departure >= $3 AND departure < $3 + interval '1 day' \
         AND ($4::text IS NULL OR cabin = $4) AND available >= $5 ORDER BY departure, flight_id, cabin LIMIT 200",
    )
    .bind(p.origin.to_uppercase())
    .bind(p.destination.to_uppercase())
    .bind(day_start)
    .bind(p.cabin.map(Cabin::as_str))
    .bind(i32::try_from(passengers).unwrap_or(1))
    .fetch_all(&state.pool)
    .await?;
    let mut flights = Vec::with_capacity(rows.len());
    for (
        flight_id,
        flight_number,
        origin,
        destination,
        departure,
        arrival,
        cabin,
        available,
        fare,
        currency,
    ) in rows
    {
        let currency = skyfly_domain::Currency::parse(&currency).map_err(ApiError::internal)?;
        let base = skyfly_domain::Money::new(fare, currency);
        let fare = base
            .checked_mul(i64::from(passengers))
            .map_err(ApiError::internal)?;
        let total = fare
            .checked_add(skyfly_domain::pricing::taxes_on(fare).map_err(ApiError::internal)?)
            .map_err(ApiError::internal)?;
        flights.push(FlightOffer {
            flight_id,
            flight_number,
            origin: origin.trim().to_owned(),
            destination: destination.trim().to_owned(),
            departure,
            arrival,
            cabin,
            seats_available: available,
            price: total.into(),
        });
    }
    Ok(with_position(
        crate::routes::json_ok(&SearchResult { flights }),
        at,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlacesParams {
    /// A case-insensitive prefix of the code, the city or the name.
    pub q: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Place {
    pub code: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub time_zone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Places {
    pub places: Vec<Place>,
}

#[utoipa::path(get, path = "/api/v1/places", tag = "flights", params(PlacesParams), responses((status = 200, body = Places)))]
pub async fn places(
    State(state): State<AppState>,
    Query(p): Query<PlacesParams>,
) -> Result<Response, ApiError> {
    let q = p.q.trim();
    if q.is_empty() || q.len() > 100 {
        return Err(ApiError::field("q", "invalid_field", "1 to 100 characters"));
    }
    let pattern = format!(
        "{}%",
        q.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT code, name, city, country, time_zone FROM airports \
         WHERE lower(code) LIKE $1 OR lower(city) LIKE $1 OR lower(name) LIKE $1 \
         ORDER BY (lower(code) = $2) DESC, code LIMIT 50",
    )
    .bind(&pattern)
    .bind(q.to_lowercase())
    .fetch_all(&state.pool)
    .await?;
    let places = rows
        .into_iter()
        .map(|(code, name, city, country, time_zone)| Place {
            code: code.trim().to_owned(),
            name,
            city,
            country,
            time_zone,
        })
        .collect();
    // Reference data: always complete; its position is the log's.
    let head = skyfly_domain::store::EventStore::head_position(state.bus.store().as_ref()).await?;
    Ok(with_position(
        crate::routes::json_ok(&Places { places }),
        head,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionView {
    pub name: String,
    pub position: u64,
    pub lag_events: u64,
    pub lag_ms: u64,
    /// `live | catching_up`
    pub status: String,
}

impl From<ProjectorStatus> for ProjectionView {
    fn from(s: ProjectorStatus) -> Self {
        Self {
            name: s.name,
            position: s.position,
            lag_events: s.lag_events,
            lag_ms: s.lag_ms,
            status: s.status,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/admin/projections", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProjectionView>)))]
pub async fn projections(
    State(state): State<AppState>,
    Staff(_caller): Staff,
) -> Result<Response, ApiError> {
    let mut views = Vec::new();
    for p in &state.projectors {
        views.push(ProjectionView::from(p.status().await?));
    }
    Ok(crate::routes::json_ok(&views))
}

#[utoipa::path(post, path = "/api/v1/admin/projections/{name}/rebuild", tag = "operations", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 202, description = "the rebuild runs in the background; queries keep answering"), (status = 404, body = Problem)))]
pub async fn rebuild(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let command = read_models::RebuildReadModel::parse(&state.app, &name)?;
    tracing::info!(projection = %name, by = %caller.user_id, "rebuild requested");
    read_models::start_rebuild(&state.app, command);
    Ok(StatusCode::ACCEPTED.into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BookingFilter {
    /// `pending | confirmed | rejected | failed | cancelled`
    pub status: Option<String>,
    /// Staff only.
    pub flight_id: Option<String>,
    /// Staff only.
    pub customer_id: Option<uuid::Uuid>,
    /// 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    pub min_position: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingSummary {
    pub booking_id: uuid::Uuid,
    pub locator: String,
    pub status: String,
    pub flight_id: String,
    pub cabin: String,
    #[schema(value_type = Vec<Object>)]
    pub passengers: serde_json::Value,
    pub price: MoneyDto,
    pub miles_redeemed: i64,
    #[schema(value_type = Vec<String>)]
    pub ticket_numbers: serde_json::Value,
    pub failure_step: Option<String>,
    pub failure_reason: Option<String>,
    pub requested_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingList {
    pub bookings: Vec<BookingSummary>,
    pub next_cursor: Option<u64>,
}

const BOOKING_STATUSES: [&str; 5] = ["pending", "confirmed", "rejected", "failed", "cancelled"];

#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", security(("bearer" = [])), params(BookingFilter),
    responses((status = 200, body = BookingList), (status = 422, body = Problem)))]
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
    // A customer sees only their own bookings, whatever they ask for.
    let customer = if caller.is_staff() {
        f.customer_id
    } else {
        Some(caller.user_id.0)
    };
    let limit = i64::from(f.limit.unwrap_or(50).clamp(1, 200));
    let at = position(&state, skyfly_projections::bookings::NAME, f.min_position).await?;
    let rows = sqlx::query(
        "SELECT booking_id, locator, status, flight_id, cabin, passengers, price_amount, currency, miles_redeemed, \
         ticket_numbers, failure_step, failure_reason, requested_at, placed_position FROM booking_view \
         WHERE ($1::uuid IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2) \
         AND ($3::text IS NULL OR flight_id = $3) AND ($4::bigint IS NULL OR placed_position < $4) \
         ORDER BY placed_position DESC LIMIT $5",
    )
    .bind(customer)
    .bind(&f.status)
    .bind(if caller.is_staff() { f.flight_id.clone() } else { None })
    .bind(f.cursor.map(|c| i64::try_from(c).unwrap_or(i64::MAX)))
    .bind(limit)
    .fetch_all(&state.pool)
    .await?;
    use sqlx::Row;
    let mut bookings = Vec::with_capacity(rows.len());
    let mut last = None;
    for r in &rows {
        let currency = skyfly_domain::Currency::parse(r.try_get::<String, _>("currency")?.trim())
            .map_err(ApiError::internal)?;
        last = Some(u64::try_from(r.try_get::<i64, _>("placed_position")?).unwrap_or(0));
        bookings.push(BookingSummary {
            booking_id: r.try_get("booking_id")?,
            locator: r.try_get("locator")?,
            status: r.try_get("status")?,
            flight_id: r.try_get("flight_id")?,
            cabin: r.try_get("cabin")?,
            passengers: r.try_get("passengers")?,
            price: skyfly_domain::Money::new(r.try_get("price_amount")?, currency).into(),
            miles_redeemed: r.try_get("miles_redeemed")?,
            ticket_numbers: r.try_get("ticket_numbers")?,
            failure_step: r.try_get("failure_step")?,
            failure_reason: r.try_get("failure_reason")?,
            requested_at: r.try_get("requested_at")?,
        });
    }
    let next_cursor = if rows.len() as i64 == limit {
        last
    } else {
        None
    };
    Ok(with_position(
        crate::routes::json_ok(&BookingList {
            bookings,
            next_cursor,
        }),
        at,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PaymentFilter {
    pub booking_id: uuid::Uuid,
    pub min_position: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentSummary {
    pub payment_id: uuid::Uuid,
    pub booking_id: uuid::Uuid,
    /// `created | authorized | captured | partially_refunded | refunded | voided | declined`
    pub status: String,
    pub amount: MoneyDto,
    pub captured: MoneyDto,
    pub refunded: MoneyDto,
    pub card: Option<crate::routes::payments::CardView>,
    pub decline_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    pub payments: Vec<PaymentSummary>,
}

type PaymentRow = (
    uuid::Uuid,
    uuid::Uuid,
    String,
    i64,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[utoipa::path(get, path = "/api/v1/payments", tag = "payments", security(("bearer" = [])), params(PaymentFilter),
    responses((status = 200, body = PaymentList), (status = 404, body = Problem)))]
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
    let rows: Vec<PaymentRow> = sqlx::query_as(
        "SELECT payment_id, booking_id, status, amount, currency, captured, refunded, card_brand, card_last4, decline_reason \
         FROM payment_view WHERE booking_id = $1 ORDER BY created_at",
    )
    .bind(f.booking_id)
    .fetch_all(&state.pool)
    .await?;
    let mut payments = Vec::with_capacity(rows.len());
    for (
        payment_id,
        booking_id,
        status,
        amount,
        currency,
        captured,
        refunded,
        brand,
        last4,
        decline_reason,
    ) in rows
    {
        let currency =
            skyfly_domain::Currency::parse(currency.trim()).map_err(ApiError::internal)?;
        let money = |a: i64| MoneyDto::from(skyfly_domain::Money::new(a, currency));
        payments.push(PaymentSummary {
            payment_id,
            booking_id,
            status,
            amount: money(amount),
            captured: money(captured),
            refunded: money(refunded),
            card: brand
                .zip(last4)
                .map(|(brand, last4)| crate::routes::payments::CardView { brand, last4 }),
            decline_reason,
        });
    }
    Ok(with_position(
        crate::routes::json_ok(&PaymentList { payments }),
        at,
    ))
}
