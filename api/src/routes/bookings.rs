//! Booking commands served by the write side. (`POST /bookings` and cancellation start the saga and
//! arrive with it.)

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::routes::path_param;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use skyfly_commands::Call;
use skyfly_commands::booking::{self, CancelBooking, ConfirmBookingNow, PlaceBookingRequest};
use skyfly_domain::Aggregate;
use skyfly_domain::booking::Booking;
use skyfly_domain::ids::BookingId;
use utoipa::ToSchema;
use uuid::Uuid;

/// A booking's status after a command.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingStatusView {
    /// The booking's id.
    pub booking_id: Uuid,
    /// The booking's 6-character reference (`K7Q2ZD`).
    pub locator: String,
    /// `pending | confirmed | rejected | failed | cancelled`
    pub status: String,
    /// The passengers' ticket numbers, once confirmed.
    pub ticket_numbers: Vec<String>,
    /// The booking aggregate's version (as in `ETag`).
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
/// Confirms a pending booking, issuing its tickets.
pub async fn confirm(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(booking_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<crate::routes::payments::Empty>,
) -> Response {
    let state = &state;
    let op = format!("POST /bookings/{booking_id}/confirm");
    crate::idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &body.raw,
        |command_id| async move {
            let booking_id = path_param("booking_id", &booking_id, |s| {
                Uuid::parse_str(s).ok().map(BookingId)
            })?;
            let call = Call::by(&caller, command_id).expecting(expected);
            let done =
                booking::confirm(&state.app, &call, ConfirmBookingNow { booking_id }).await?;
            let view = BookingStatusView::of(&done.state, done.version)
                .ok_or_else(|| ApiError::not_found("booking"))?;
            Ok(with_versions(
                json_ok(&view),
                done.position,
                Some(done.version),
            ))
        },
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
use skyfly_domain::ids::LoyaltyAccountId;
use skyfly_domain::loyalty::LoyaltyAccount;
use skyfly_domain::saga::BookingSaga;

/// A passenger to book.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassengerRequest {
    /// The passenger's first name.
    pub first_name: String,
    /// The passenger's last name.
    pub last_name: String,
}

/// How to reach the customer about the booking.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    /// The contact email address.
    pub email: String,
}

/// A booking to place: seats on a flight for a party, paid by card (and optionally miles).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    /// The flight to book.
    #[schema(example = "SF100-2026-12-01")]
    pub flight_id: String,
    /// The cabin to book.
    #[schema(value_type = String, example = "economy")]
    pub cabin: Cabin,
    /// The party, 1 to 9 passengers.
    pub passengers: Vec<PassengerRequest>,
    /// The contact for the booking.
    pub contact: ContactRequest,
    /// The card that pays the booking.
    pub payment: crate::routes::payments::AuthorizeRequest,
    /// Miles to pay part of the fare with (1 mile = 1 cent; at most the fare and at most
    /// 10,000,000, taxes always by card).
    #[serde(default)]
    #[schema(maximum = 10_000_000)]
    pub redeem_miles: u64,
}

/// A booking accepted for processing.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingAccepted {
    /// The booking's id.
    pub booking_id: Uuid,
    /// The booking's 6-character reference (`K7Q2ZD`).
    pub locator: String,
    /// Always `pending`: the saga takes it from here.
    pub status: String,
}

/// A booked passenger.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PassengerView {
    /// The passenger's first name.
    pub first_name: String,
    /// The passenger's last name.
    pub last_name: String,
}

/// Why a booking was rejected or failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailureView {
    /// The saga step that failed.
    pub step: String,
    /// The step's failure reason.
    pub reason: String,
}

/// One saga step of a booking's timeline: where the step stands, and everything done for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SagaEntryView {
    /// `reserve_seats | redeem_miles | authorize_payment | award_miles | confirm_booking`
    pub step: String,
    /// What happened last to the step: its latest action's outcome (`step_succeeded`,
    /// `step_failed`, `timed_out`, `compensated`, …).
    pub outcome: String,
    /// The latest action's attempt, when there is one.
    pub attempt: Option<u32>,
    /// The latest action's reason, deadline or plan, if any.
    pub detail: Option<String>,
    /// When the latest action happened.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Everything done for the step, oldest first: its attempts, its sub-actions
    /// (`confirm_booking` is `commit_seats`, `capture_payment`, `confirm_booking`) and what undid it.
    pub actions: Vec<SagaActionView>,
}

/// One action within a saga step: an attempt, a sub-action, a compensation or cancellation step.
#[derive(Debug, Serialize, ToSchema)]
pub struct SagaActionView {
    /// The action: the step itself, a sub-action (`commit_seats`, `capture_payment`), a
    /// compensation (`void_payment`, …) or a cancellation step (`refund_payment`, …).
    pub action: String,
    /// What happened (`step_started`, `step_succeeded`, `compensated`, …).
    pub outcome: String,
    /// The attempt concerned, when there is one.
    pub attempt: Option<u32>,
    /// A reason, a deadline or a plan, if any.
    pub detail: Option<String>,
    /// When it happened.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A booking, with its payment, miles, tickets and saga timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    /// The booking's id.
    pub booking_id: Uuid,
    /// The booking's 6-character reference (`K7Q2ZD`).
    pub locator: String,
    /// `pending | confirmed | rejected | failed | cancelled`
    pub status: String,
    /// The booked flight.
    pub flight_id: String,
    /// The booked cabin.
    pub cabin: String,
    /// The party.
    pub passengers: Vec<PassengerView>,
    /// The quote's total.
    pub price: MoneyDto,
    /// The booking's payment, once the saga created it.
    pub payment_id: Option<Uuid>,
    /// Miles awarded for the booking.
    pub miles_awarded: u64,
    /// Miles redeemed for the booking.
    pub miles_redeemed: u64,
    /// The passengers' ticket numbers, once confirmed.
    pub ticket_numbers: Vec<String>,
    /// Why the booking was rejected or failed, if it was.
    pub failure: Option<FailureView>,
    /// The saga's timeline.
    pub saga: Vec<SagaEntryView>,
    /// The booking aggregate's version (as in `ETag`).
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

impl TryFrom<&BookingRequest> for PlaceBookingRequest {
    type Error = ApiError;

    fn try_from(r: &BookingRequest) -> Result<Self, ApiError> {
        let passengers: Vec<(&str, &str)> = r
            .passengers
            .iter()
            .map(|p| (p.first_name.as_str(), p.last_name.as_str()))
            .collect();
        let p = &r.payment;
        let card = (
            p.card_number.as_str(),
            p.exp_month,
            p.exp_year,
            p.cvc.as_str(),
        );
        Ok(PlaceBookingRequest::parse(
            &r.flight_id,
            r.cabin,
            &passengers,
            &r.contact.email,
            card,
            r.redeem_miles,
        )?)
    }
}

#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", request_body = BookingRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = BookingAccepted), (status = 403, body = Problem), (status = 422, body = Problem)))]
/// Places a booking; the booking saga takes it from there.
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
            let request = PlaceBookingRequest::try_from(&value)?;
            let placed = booking::place(&state.app, &caller, command_id, request).await?;
            let accepted = BookingAccepted {
                booking_id: placed.booking_id.0,
                locator: placed.locator.to_string(),
                status: "pending".into(),
            };
            let location = format!("/api/v1/bookings/{}", placed.booking_id);
            let mut response = created(&location, &accepted, placed.position, Some(placed.version));
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
    Ok(booking::visible_booking(&state.app, caller, raw).await?)
}

/// Query parameters of a booking.
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

/// The saga's part of the booking view: the payment and the timeline, one entry per saga step
/// (the saga as a whole is the booking's `status` and `failure`; staff see its full timeline at
/// `/admin/sagas/{id}`).
fn saga_part(saga: Option<&BookingSaga>) -> (Option<Uuid>, Vec<SagaEntryView>) {
    let Some(saga) = saga else {
        return (None, Vec::new());
    };
    let timeline = skyfly_domain::saga::by_saga_step(saga.timeline())
        .into_iter()
        .filter_map(|(step, entries)| {
            let actions: Vec<SagaActionView> = entries
                .into_iter()
                .map(|t| SagaActionView {
                    action: t.name.clone(),
                    outcome: t.kind.as_str().to_owned(),
                    attempt: t.attempt,
                    detail: t.detail.clone(),
                    at: t.at,
                })
                .collect();
            let last = actions.last()?;
            Some(SagaEntryView {
                step: step.as_str().to_owned(),
                outcome: last.outcome.clone(),
                attempt: last.attempt,
                detail: last.detail.clone(),
                at: last.at,
                actions,
            })
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
/// A booking, for its owner or staff, now or as of a past instant or position.
pub async fn get_booking(
    State(state): State<AppState>,
    caller: Caller,
    Path(booking_id): Path<String>,
    crate::extract::Query(q): crate::extract::Query<BookingQuery>,
) -> Result<Response, ApiError> {
    if let Some(as_of) = &q.as_of {
        return booking_as_of(&state, &caller, &booking_id, as_of).await;
    }
    let id = Uuid::parse_str(&booking_id).map_err(|_| ApiError::not_found("booking"))?;
    // The saga's document must be at least as recent as the booking row it is shown with.
    let booking_at = positions(&state, &BOOKING_READ_MODELS[..1], q.min_position).await?;
    let mut at = positions(&state, &BOOKING_READ_MODELS, Some(booking_at)).await?;
    let mut found = booking_row(&state, id).await?;
    // Just placed and not projected yet — or its row projected before its saga's document (they
    // are recorded together, and two projectors write them): wait for the read models to reach
    // the log's head.
    if found.as_ref().is_none_or(|(_, v)| v.payment_id.is_none())
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
    params(("booking_id" = Uuid, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = BookingAccepted), (status = 404, body = Problem), (status = 409, body = Problem)))]
/// Starts cancelling a confirmed booking (`If-Match`: only if the booking is at that version).
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(booking_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
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
            let command = CancelBooking { booking_id };
            let call = Call::by(&caller, command_id).expecting(expected);
            let done = booking::cancel(&state.app, &caller, &call, &command).await?;
            let accepted = BookingAccepted {
                booking_id: done.booking_id.0,
                locator: done.locator.to_string(),
                status: public_status(done.status).to_owned(),
            };
            let mut response = with_versions(json_ok(&accepted), done.position, Some(done.version));
            *response.status_mut() = StatusCode::ACCEPTED;
            Ok(response)
        },
    )
    .await
}
