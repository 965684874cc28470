//! Booking commands served by the write side. (`POST /bookings` and cancellation start the saga and
//! arrive with it.)

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::routes::{CommandCall, command_metadata, path_param};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use skyfly_domain::Aggregate;
use skyfly_domain::booking::{Booking, BookingCommand, ConfirmBooking};
use skyfly_domain::ids::BookingId;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingStatusView {
    pub booking_id: Uuid,
    pub locator: String,
    /// `pending | confirmed | rejected | failed | cancelled`
    pub status: String,
    pub ticket_numbers: Vec<String>,
    pub version: u64,
}

impl BookingStatusView {
    fn of(booking: &Booking, version: u64) -> Option<Self> {
        let s = booking.state()?;
        Some(Self {
            booking_id: s.booking_id.0,
            locator: s.locator.to_string(),
            status: s.status.as_str().to_owned(),
            ticket_numbers: s.ticket_numbers.clone(),
            version,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/bookings/{booking_id}/confirm", tag = "bookings", security(("bearer" = [])),
    params(("booking_id" = Uuid, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = BookingStatusView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(booking_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<crate::routes::payments::Empty>,
) -> Response {
    CommandCall {
        state: &state,
        caller,
        key,
        operation: format!("POST /bookings/{booking_id}/confirm"),
        body: body.raw,
        expected,
    }
    .execute::<Booking, _, _>(
        path_param("booking_id", &booking_id, |s| {
            Uuid::parse_str(s).ok().map(BookingId)
        }),
        |b: &Booking| b.state().is_some(),
        || ApiError::not_found("booking"),
        |at| Ok(BookingCommand::ConfirmBooking(ConfirmBooking { at })),
        BookingStatusView::of,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Placing, reading and cancelling bookings (the saga does the rest).

use crate::auth::Caller;
use crate::routes::queries::{caught_up, positions, with_position};
use crate::routes::{MoneyDto, created, json_ok, with_versions};
use axum::http::StatusCode;
use serde::Deserialize;
use skyfly_domain::Cabin;
use skyfly_domain::booking::{Passenger, PlaceBooking, RequestCancellation};
use skyfly_domain::card::CardDetails;
use skyfly_domain::identity::{Email, Role};
use skyfly_domain::ids::{FlightId, LoyaltyAccountId, PaymentId, SKYFLY_NAMESPACE};
use skyfly_domain::inventory::FlightInventory;
use skyfly_domain::loyalty::LoyaltyAccount;
use skyfly_domain::saga::{
    BookingSaga, DEFAULT_MAX_PROVIDER_RETRIES, SagaCommand, StartCancellation, StartSaga,
};

/// Step timeout of the saga (DOMAIN.md: 30 s).
pub const STEP_TIMEOUT_SECS: u32 = skyfly_domain::saga::DEFAULT_STEP_TIMEOUT_SECS;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassengerRequest {
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    #[schema(example = "SF100-2026-12-01")]
    pub flight_id: String,
    #[schema(value_type = String, example = "economy")]
    pub cabin: Cabin,
    pub passengers: Vec<PassengerRequest>,
    pub contact: ContactRequest,
    pub payment: crate::routes::payments::AuthorizeRequest,
    /// Miles to pay part of the fare with (1 mile = 1 cent; at most the fare, taxes always by card).
    #[serde(default)]
    pub redeem_miles: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingAccepted {
    pub booking_id: Uuid,
    pub locator: String,
    /// Always `pending`: the saga takes it from here.
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PassengerView {
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailureView {
    pub step: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SagaEntryView {
    pub step: String,
    pub outcome: String,
    pub attempt: Option<u32>,
    pub detail: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    pub booking_id: Uuid,
    pub locator: String,
    /// `pending | confirmed | rejected | failed | cancelled`
    pub status: String,
    pub flight_id: String,
    pub cabin: String,
    pub passengers: Vec<PassengerView>,
    pub price: MoneyDto,
    pub payment_id: Option<Uuid>,
    pub miles_awarded: u64,
    pub miles_redeemed: u64,
    pub ticket_numbers: Vec<String>,
    pub failure: Option<FailureView>,
    pub saga: Vec<SagaEntryView>,
    pub version: u64,
}

fn public_status(status: skyfly_domain::booking::BookingStatus) -> &'static str {
    use skyfly_domain::booking::BookingStatus as S;
    match status {
        S::Pending => "pending",
        S::Confirmed | S::CancellationRequested => "confirmed",
        S::Rejected => "rejected",
        S::Failed => "failed",
        S::Cancelled => "cancelled",
    }
}

fn passengers(requests: &[PassengerRequest]) -> Result<Vec<Passenger>, ApiError> {
    requests
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Passenger::new(&p.first_name, &p.last_name)
                .map_err(|e| ApiError::field(format!("passengers[{i}]"), e.code(), e.to_string()))
        })
        .collect()
}

#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", request_body = BookingRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = BookingAccepted), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn place(
    State(state): State<AppState>,
    caller: Caller,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<BookingRequest>,
) -> Response {
    let JsonBody { value, raw } = body;
    let state = &state;
    crate::idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        "POST /bookings",
        &raw,
        |command_id| async move {
            if caller.role != Role::Customer {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "bookings are placed by customers",
                ));
            }
            let now = state.clock.now();
            let flight_id = FlightId::parse(&value.flight_id)
                .map_err(|e| ApiError::field("flight_id", "invalid_field", e.to_string()))?;
            let (inventory, _) = state.bus.load::<FlightInventory>(&flight_id).await?;
            let schedule = inventory.schedule().ok_or_else(|| {
                ApiError::field("flight_id", "unknown_flight", "no such flight is scheduled")
            })?;
            let cabin = inventory.cabin(value.cabin).ok_or_else(|| {
                ApiError::field(
                    "cabin",
                    "cabin_not_offered",
                    "this flight does not offer that cabin",
                )
            })?;
            let passengers = passengers(&value.passengers)?;
            let contact_email = Email::parse(&value.contact.email)
                .map_err(|e| ApiError::field("contact.email", "invalid_email", e.to_string()))?;
            let p = &value.payment;
            let card = CardDetails::parse(&p.card_number, p.exp_month, p.exp_year, &p.cvc)
                .map_err(|e| {
                    ApiError::field(
                        format!("payment.{}", e.field()),
                        "invalid_card",
                        e.to_string(),
                    )
                })?;
            let count = u32::try_from(passengers.len()).unwrap_or(u32::MAX);
            let quote = skyfly_domain::pricing::quote(
                flight_id.clone(),
                value.cabin,
                count,
                cabin.fare,
                now,
            )
            .map_err(|e| ApiError::field("passengers", "invalid_field", e.to_string()))?;

            let booking_id = BookingId(Uuid::new_v5(
                &SKYFLY_NAMESPACE,
                format!("booking/{}", command_id.0).as_bytes(),
            ));
            let place = PlaceBooking {
                booking_id,
                customer: caller.user_id,
                flight_id: flight_id.clone(),
                departure: schedule.departure,
                cabin: value.cabin,
                passengers,
                contact_email,
                quote: quote.clone(),
                redeem_miles: value.redeem_miles,
                requested_at: now,
            };
            // Everything the booking would refuse is refused before anything is recorded.
            if let Err(e) = Booking::default().decide(&BookingCommand::PlaceBooking(place.clone()))
            {
                let mut err =
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string());
                if let Some(field) = e.field() {
                    err.errors.push(crate::error::FieldError {
                        field: field.to_owned(),
                        message: e.to_string(),
                    });
                }
                return Err(err);
            }
            let token = state.payments.tokenize(card).map_err(|e| {
                ApiError::field("payment.card_number", "card_refused", e.to_string())
            })?;
            let card_amount = skyfly_domain::Money {
                amount: quote.total.amount - i64::try_from(value.redeem_miles).unwrap_or(i64::MAX),
                ..quote.total
            };
            let accrual_fare = skyfly_domain::Money {
                amount: (quote.fare.amount - i64::try_from(value.redeem_miles).unwrap_or(i64::MAX))
                    .max(0),
                ..quote.fare
            };
            let start = SagaCommand::StartSaga(StartSaga {
                booking_id,
                customer: caller.user_id,
                flight_id,
                cabin: value.cabin,
                seats: count,
                payment_id: PaymentId(Uuid::new_v5(
                    &SKYFLY_NAMESPACE,
                    format!("payment/{booking_id}").as_bytes(),
                )),
                account_id: LoyaltyAccountId::for_user(caller.user_id),
                card_amount,
                accrual_fare,
                redeem_miles: value.redeem_miles,
                payment_token: token.token,
                step_timeout_secs: STEP_TIMEOUT_SECS,
                max_provider_retries: DEFAULT_MAX_PROVIDER_RETRIES,
                at: now,
            });
            // The saga first: if we die before the booking is recorded, a retry with the same key
            // finds the saga and records the booking; a booking never exists without its saga.
            let saga_meta = skyfly_domain::event::Metadata {
                correlation_id: booking_id.0,
                ..command_metadata(
                    skyfly_domain::ids::CommandId::derived(&format!("{}/start-saga", command_id.0)),
                    caller.actor(),
                )
            };
            state
                .bus
                .execute::<BookingSaga>(
                    booking_id,
                    skyfly_commands::Envelope::new(start, saga_meta),
                )
                .await?;
            let booking_meta = skyfly_domain::event::Metadata {
                correlation_id: booking_id.0,
                ..command_metadata(command_id, caller.actor())
            };
            let done = state
                .bus
                .execute::<Booking>(
                    booking_id,
                    skyfly_commands::Envelope::new(
                        BookingCommand::PlaceBooking(place),
                        booking_meta,
                    ),
                )
                .await?;
            state.process.enqueue(booking_id).await?;
            let accepted = BookingAccepted {
                booking_id: booking_id.0,
                locator: skyfly_domain::ids::Locator::for_booking(booking_id).to_string(),
                status: "pending".into(),
            };
            let mut response = created(
                &format!("/api/v1/bookings/{booking_id}"),
                &accepted,
                done.position,
                Some(done.version),
            );
            *response.status_mut() = StatusCode::ACCEPTED;
            Ok(response)
        },
    )
    .await
}

/// The id of a booking the caller may see (owner or staff); 404 otherwise.
pub async fn visible_booking_id(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<BookingId, ApiError> {
    visible_booking(state, caller, raw)
        .await
        .map(|(id, _, _)| id)
}

/// Loads a booking the caller may see: its owner or staff. Anything else does not exist.
async fn visible_booking(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<(BookingId, Booking, u64), ApiError> {
    let id = Uuid::parse_str(raw)
        .map(BookingId)
        .map_err(|_| ApiError::not_found("booking"))?;
    let (booking, version) = state.bus.load::<Booking>(id).await?;
    let owner = booking
        .state()
        .map(|b| b.customer)
        .ok_or_else(|| ApiError::not_found("booking"))?;
    if !caller.is_staff() && owner != caller.user_id {
        return Err(ApiError::not_found("booking"));
    }
    Ok((id, booking, version))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BookingQuery {
    /// Time travel: an RFC 3339 instant or a global position; the booking (and its saga and miles)
    /// as they were then, folded from the log.
    pub as_of: Option<String>,
    /// Read-your-writes: wait (at most 5 s) until the read models reached this position.
    pub min_position: Option<u64>,
}

/// Where time travel stops: at a global position, or at an instant.
enum Cutoff {
    Position(u64),
    Time(chrono::DateTime<chrono::Utc>),
}

impl Cutoff {
    fn parse(raw: &str) -> Result<Self, ApiError> {
        if let Ok(position) = raw.parse::<u64>() {
            return Ok(Self::Position(position));
        }
        chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| Self::Time(t.with_timezone(&chrono::Utc)))
            .map_err(|_| {
                ApiError::field(
                    "as_of",
                    "invalid_field",
                    "an RFC 3339 time or a global position",
                )
            })
    }

    fn keeps(&self, e: &skyfly_domain::event::RecordedEvent) -> bool {
        match self {
            Self::Position(p) => e.global_position <= *p,
            Self::Time(t) => e.recorded_at <= *t,
        }
    }
}

/// Folds an aggregate's stream up to the cutoff; returns it with its version then.
async fn fold_until<A: Aggregate>(
    state: &AppState,
    id: impl std::fmt::Display,
    cutoff: &Cutoff,
) -> Result<(A, u64), ApiError> {
    let events = state
        .bus
        .store()
        .read_stream(&skyfly_domain::aggregate::stream_id::<A>(id), 0)
        .await?;
    let mut aggregate = A::default();
    let mut version = 0;
    for e in events.iter().filter(|e| cutoff.keeps(e)) {
        let event: A::Event = skyfly_domain::event::decode(e).map_err(ApiError::internal)?;
        aggregate.evolve(&event);
        version = e.stream_version;
    }
    Ok((aggregate, version))
}

/// The saga's part of the booking view: the payment and the timeline.
fn saga_part(saga: Option<&BookingSaga>) -> (Option<Uuid>, Vec<SagaEntryView>) {
    let Some(saga) = saga else {
        return (None, Vec::new());
    };
    let timeline = saga
        .timeline()
        .iter()
        .map(|t| SagaEntryView {
            step: t.name.clone(),
            outcome: t.kind.as_str().to_owned(),
            attempt: t.attempt,
            detail: t.detail.clone(),
            at: t.at,
        })
        .collect();
    (saga.state().map(|s| s.payment_id.0), timeline)
}

/// The booking as it was at `as_of`, with its saga and miles as they were then: folded from the
/// log (the read models only know the present).
async fn booking_as_of(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    as_of: &str,
) -> Result<Response, ApiError> {
    let cutoff = Cutoff::parse(as_of)?;
    let (id, current, _) = visible_booking(state, caller, raw).await?;
    let (booking, version) = fold_until::<Booking>(state, id, &cutoff).await?;
    let b = booking
        .state()
        .ok_or_else(|| ApiError::not_found("booking at that time"))?;
    let (saga, _) = fold_until::<BookingSaga>(state, id, &cutoff).await?;
    let owner = current.state().map_or(b.customer, |c| c.customer);
    let (account, _) =
        fold_until::<LoyaltyAccount>(state, LoyaltyAccountId::for_user(owner), &cutoff).await?;
    let miles_awarded = account
        .award(id)
        .map_or(0, |a| a.miles - a.revoked.unwrap_or(0).min(a.miles));
    let (payment_id, timeline) = saga_part(Some(&saga));
    let view = BookingView {
        booking_id: id.0,
        locator: b.locator.to_string(),
        status: public_status(b.status).to_owned(),
        flight_id: b.flight_id.to_string(),
        cabin: b.cabin.as_str().to_owned(),
        passengers: b
            .passengers
            .iter()
            .map(|p| PassengerView {
                first_name: p.first_name().to_owned(),
                last_name: p.last_name().to_owned(),
            })
            .collect(),
        price: b.quote.total.into(),
        payment_id,
        miles_awarded,
        miles_redeemed: b.redeem_miles,
        ticket_numbers: b.ticket_numbers.clone(),
        failure: b
            .failure
            .as_ref()
            .map(|f| FailureView {
                step: f.step.as_str().to_owned(),
                reason: f.reason.clone(),
            })
            .or_else(|| {
                b.rejection.as_ref().map(|r| FailureView {
                    step: "reserve_seats".into(),
                    reason: r.reason.clone(),
                })
            }),
        saga: timeline,
        version,
    };
    Ok(with_versions(json_ok(&view), None, Some(version)))
}

/// The booking view's read models: the booking row joined with its saga's document.
const BOOKING_READ_MODELS: [&str; 2] = [
    skyfly_projections::bookings::NAME,
    <BookingSaga as skyfly_projections::documents::DocumentModel>::TABLE,
];

/// Reads the booking view row with its saga's document; `None` if the read model has no such
/// booking.
async fn booking_row(state: &AppState, id: Uuid) -> Result<Option<(Uuid, BookingView)>, ApiError> {
    let Some(found) = skyfly_projections::bookings::get(&state.pool, id).await? else {
        return Ok(None);
    };
    let r = found.booking;
    let currency = skyfly_domain::Currency::parse(r.currency.trim()).map_err(ApiError::internal)?;
    let (payment_id, timeline) = saga_part(found.saga.as_ref());
    let unsigned = |n: i64| u64::try_from(n).unwrap_or(0);
    let failure = r
        .failure_step
        .zip(r.failure_reason)
        .map(|(step, reason)| FailureView { step, reason });
    let view = BookingView {
        booking_id: id,
        locator: r.locator,
        status: r.status,
        flight_id: r.flight_id,
        cabin: r.cabin,
        passengers: serde_json::from_value(r.passengers).map_err(ApiError::internal)?,
        price: skyfly_domain::Money::new(r.price_amount, currency).into(),
        payment_id,
        miles_awarded: unsigned(r.miles_awarded),
        miles_redeemed: unsigned(r.miles_redeemed),
        ticket_numbers: serde_json::from_value(r.ticket_numbers).map_err(ApiError::internal)?,
        failure,
        saga: timeline,
        version: unsigned(r.version),
    };
    Ok(Some((r.customer_id, view)))
}

#[utoipa::path(get, path = "/api/v1/bookings/{booking_id}", tag = "bookings", security(("bearer" = [])),
    params(("booking_id" = Uuid, Path), BookingQuery),
    responses((status = 200, body = BookingView), (status = 404, body = Problem)))]
pub async fn get_booking(
    State(state): State<AppState>,
    caller: Caller,
    Path(booking_id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<BookingQuery>,
) -> Result<Response, ApiError> {
    if let Some(as_of) = &q.as_of {
        return booking_as_of(&state, &caller, &booking_id, as_of).await;
    }
    let id = Uuid::parse_str(&booking_id).map_err(|_| ApiError::not_found("booking"))?;
    // The saga's document must be at least as recent as the booking row it is shown with.
    let booking_at = positions(&state, &BOOKING_READ_MODELS[..1], q.min_position).await?;
    let mut at = positions(&state, &BOOKING_READ_MODELS, Some(booking_at)).await?;
    let mut found = booking_row(&state, id).await?;
    // Just placed and not projected yet: wait for the read models to reach the log's head.
    if found.is_none()
        && let Some(now) = caught_up(&state, &BOOKING_READ_MODELS, at).await?
    {
        at = now;
        found = booking_row(&state, id).await?;
    }
    let (owner, view) = found.ok_or_else(|| ApiError::not_found("booking"))?;
    if !caller.is_staff() && owner != caller.user_id.0 {
        return Err(ApiError::not_found("booking"));
    }
    let version = view.version;
    Ok(with_position(
        with_versions(json_ok(&view), None, Some(version)),
        at,
    ))
}

#[utoipa::path(post, path = "/api/v1/bookings/{booking_id}/cancel", tag = "bookings", security(("bearer" = [])),
    params(("booking_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = BookingAccepted), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(booking_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<crate::routes::payments::Empty>,
) -> Response {
    let state = &state;
    let op = format!("POST /bookings/{booking_id}/cancel");
    crate::idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &body.raw,
        |command_id| async move {
            let (id, _, _) = visible_booking(state, &caller, &booking_id).await?;
            let now = state.clock.now();
            let request = BookingCommand::RequestCancellation(RequestCancellation {
                at: now,
                by: caller.user_id,
            });
            let meta = skyfly_domain::event::Metadata {
                correlation_id: id.0,
                ..command_metadata(command_id, caller.actor())
            };
            let done = state
                .bus
                .execute::<Booking>(id, skyfly_commands::Envelope::new(request, meta.clone()))
                .await?;
            let b = done
                .state
                .state()
                .ok_or_else(|| ApiError::not_found("booking"))?;
            if let Some(c) = &b.cancellation {
                let start = SagaCommand::StartCancellation(StartCancellation {
                    refund: c.refund,
                    requested_by: c.requested_by,
                    at: now,
                });
                let saga_meta = skyfly_domain::event::Metadata {
                    command_id: skyfly_domain::ids::CommandId::derived(&format!(
                        "{id}/start-cancellation"
                    )),
                    ..meta
                };
                state
                    .bus
                    .execute::<BookingSaga>(id, skyfly_commands::Envelope::new(start, saga_meta))
                    .await?;
                state.process.enqueue(id).await?;
            }
            let accepted = BookingAccepted {
                booking_id: id.0,
                locator: b.locator.to_string(),
                status: public_status(b.status).to_owned(),
            };
            let mut response = with_versions(json_ok(&accepted), done.position, Some(done.version));
            *response.status_mut() = StatusCode::ACCEPTED;
            Ok(response)
        },
    )
    .await
}
