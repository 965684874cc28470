//! Payments (staff; the saga's process manager sends the same commands): create an intent,
//! authorize through the payment provider, capture, void, refund (the use cases are
//! `skyfly_commands::payments`). And a payment's state.

use crate::auth::{Caller, Staff};
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::idempotency;
use crate::routes::{MoneyDto, created, executed, json_ok, path_param, with_versions};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skyfly_commands::payments::{
    self, Authorize, Authorized, Capture, CardInput, CreateIntent, Refund, Void,
};
use skyfly_commands::{Call, Executed};
use skyfly_domain::Money;
use skyfly_domain::booking::Booking;
use skyfly_domain::ids::{BookingId, PaymentId};
use skyfly_domain::payment::Payment;
use utoipa::ToSchema;
use uuid::Uuid;

/// A payment intent for a booking.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentRequest {
    /// The booking to pay for.
    pub booking_id: Uuid,
    /// The amount to pay.
    pub amount: MoneyDto,
}

/// The created payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntentResponse {
    /// The new payment's id.
    pub payment_id: Uuid,
}

/// Card details. Never logged: `Debug` shows the last four digits only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// The card number (spaces allowed).
    #[schema(example = "4242 4242 4242 4242")]
    pub card_number: String,
    /// The expiry month, 1 to 12.
    #[schema(example = 12)]
    pub exp_month: u32,
    /// The expiry year.
    #[schema(example = 2030)]
    pub exp_year: i32,
    /// The card verification code.
    #[schema(example = "123")]
    pub cvc: String,
}

impl std::fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits: String = self
            .card_number
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        write!(
            f,
            "AuthorizeRequest(**** {})",
            &digits[digits.len().saturating_sub(4)..]
        )
    }
}

/// An optional amount for a capture or a refund.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountRequest {
    /// Defaults to the whole authorized (capture) or remaining captured (refund) amount.
    pub amount: Option<MoneyDto>,
}

/// An empty body, for commands without parameters.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// The card a payment was authorized with, masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardView {
    /// The card brand.
    #[schema(example = "visa")]
    pub brand: String,
    /// The card number's last four digits.
    #[schema(example = "4242")]
    pub last4: String,
}

/// A payment and its amounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    /// The payment's id.
    pub payment_id: Uuid,
    /// The booking the payment is for.
    pub booking_id: Uuid,
    /// `created | authorized | captured | partially_refunded | refunded | voided | declined`
    pub status: String,
    /// The amount of the intent.
    pub amount: MoneyDto,
    /// The amount captured so far.
    pub captured: MoneyDto,
    /// The amount refunded so far.
    pub refunded: MoneyDto,
    /// The card, once one was presented.
    pub card: Option<CardView>,
    /// Why the card was declined, if it was.
    pub decline_reason: Option<String>,
    /// The payment aggregate's version (as in `ETag`).
    pub version: u64,
}

impl PaymentView {
    fn of(payment: &Payment, version: u64) -> Option<Self> {
        let s = payment.state()?;
        Some(Self {
            payment_id: s.payment_id.0,
            booking_id: s.booking_id.0,
            status: s.status.as_str().to_owned(),
            amount: s.amount.into(),
            captured: s.captured.into(),
            refunded: s.refunded.into(),
            card: s.card.as_ref().map(|c| CardView {
                brand: serde_json::to_value(c.brand)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                last4: c.last4.clone(),
            }),
            decline_reason: s.decline_reason.clone(),
            version,
        })
    }
}

fn parse_payment_id(raw: &str) -> Result<PaymentId, ApiError> {
    path_param("payment_id", raw, |s| {
        Uuid::parse_str(s).ok().map(PaymentId)
    })
}

/// The payment after a command.
fn answer(done: &Executed<Payment>) -> Result<Response, ApiError> {
    executed(done, PaymentView::of, || ApiError::not_found("payment"))
}

impl TryFrom<&IntentRequest> for CreateIntent {
    type Error = ApiError;

    fn try_from(r: &IntentRequest) -> Result<Self, ApiError> {
        Ok(CreateIntent {
            booking_id: BookingId(r.booking_id),
            amount: r.amount.to_money("amount")?,
        })
    }
}

impl From<&AuthorizeRequest> for CardInput {
    fn from(r: &AuthorizeRequest) -> Self {
        CardInput {
            number: r.card_number.clone(),
            exp_month: r.exp_month,
            exp_year: r.exp_year,
            cvc: r.cvc.clone(),
        }
    }
}

impl AmountRequest {
    fn amount(&self) -> Result<Option<Money>, ApiError> {
        self.amount
            .as_ref()
            .map(|m| m.to_money("amount"))
            .transpose()
    }
}

#[utoipa::path(post, path = "/api/v1/payments/intent", tag = "payments", request_body = IntentRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = IntentResponse), (status = 422, body = Problem)))]
/// Creates a payment intent for a booking.
pub async fn create_intent(
    State(state): State<AppState>,
    Staff(caller): Staff,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<IntentRequest>,
) -> Response {
    let (state, scope) = (&state, caller.user_id.to_string());
    let op = "POST /payments/intent";
    idempotency::once(state, &scope, key, op, &body.raw, |command_id| async move {
        let command = CreateIntent::try_from(&body.value)?;
        let call = Call::by(&caller, command_id);
        let intent = payments::create_intent(&state.app, &call, command).await?;
        let payment_id = intent.payment_id;
        Ok(created(
            &format!("/api/v1/payments/{payment_id}"),
            &IntentResponse {
                payment_id: payment_id.0,
            },
            intent.position,
            Some(intent.version),
        ))
    })
    .await
}

/// A recorded decline: `402` naming the card, with the payment's version and the decline's
/// position.
fn declined(reason: String, done: &Executed<Payment>) -> Response {
    let mut e = ApiError::new(
        StatusCode::PAYMENT_REQUIRED,
        reason.clone(),
        format!("the card was declined: {reason}"),
    );
    e.errors.push(crate::error::FieldError {
        field: "card_number".into(),
        message: reason,
    });
    with_versions(e.into_response(), done.position, Some(done.version))
}

#[utoipa::path(post, path = "/api/v1/payments/{payment_id}/authorize", tag = "payments", request_body = AuthorizeRequest,
    security(("bearer" = [])), params(("payment_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = PaymentView), (status = 402, body = Problem, description = "declined; the decline is recorded"),
        (status = 502, body = Problem, description = "provider error; nothing recorded, retry"), (status = 404, body = Problem), (status = 422, body = Problem)))]
/// Authorizes a payment with a card through the card processor.
pub async fn authorize(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(payment_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<AuthorizeRequest>,
) -> Response {
    let (state, scope) = (&state, caller.user_id.to_string());
    let op = format!("POST /payments/{payment_id}/authorize");
    idempotency::once(
        state,
        &scope,
        key,
        &op,
        &body.raw,
        |command_id| async move {
            let command = Authorize {
                payment_id: parse_payment_id(&payment_id)?,
                card: CardInput::from(&body.value),
            };
            let call = Call::by(&caller, command_id);
            Ok(
                match payments::authorize(&state.app, &call, command).await? {
                    Authorized::AlreadyDecided { payment, version } => {
                        // Already decided: answer with what was decided, ask the provider nothing.
                        let view = PaymentView::of(&payment, version)
                            .ok_or_else(|| ApiError::not_found("payment"))?;
                        with_versions(json_ok(&view), None, Some(version))
                    }
                    Authorized::Approved(done) => answer(&done)?,
                    Authorized::Declined { reason, done } => declined(reason, &done),
                },
            )
        },
    )
    .await
}

macro_rules! payment_command {
    ($name:ident, $path:literal, $body:ty, $summary:literal, |$v:ident, $id:ident| $command:expr) => {
        #[utoipa::path(post, path = $path, tag = "payments", summary = $summary, request_body = $body, security(("bearer" = [])),
            params(("payment_id" = Uuid, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
            responses((status = 200, body = PaymentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
        /// A staff command on a payment (capture, void or refund), answering the payment.
        pub async fn $name(
            State(state): State<AppState>,
            Staff(caller): Staff,
            Path(payment_id): Path<String>,
            IdempotencyKey(key): IdempotencyKey,
            IfMatch(expected): IfMatch,
            body: JsonBody<$body>,
        ) -> Response {
            let (state, scope) = (&state, caller.user_id.to_string());
            let op = format!(concat!("POST /payments/{}/", stringify!($name)), payment_id);
            idempotency::once(state, &scope, key, &op, &body.raw, |command_id| async move {
                let ($v, $id) = (&body.value, parse_payment_id(&payment_id)?);
                let command = $command;
                let call = Call::by(&caller, command_id).expecting(expected);
                answer(&payments::$name(&state.app, &call, command).await?)
            })
            .await
        }
    };
}

payment_command!(
    capture,
    "/api/v1/payments/{payment_id}/capture",
    AmountRequest,
    "Captures an authorized payment, in whole or in part.",
    |v, payment_id| Capture {
        payment_id,
        amount: v.amount()?,
    }
);
payment_command!(
    void,
    "/api/v1/payments/{payment_id}/void",
    Empty,
    "Voids an authorized payment before capture.",
    |_v, payment_id| Void { payment_id }
);
payment_command!(
    refund,
    "/api/v1/payments/{payment_id}/refund",
    AmountRequest,
    "Refunds a captured payment, in whole or in part.",
    |v, payment_id| Refund {
        payment_id,
        amount: v.amount()?,
    }
);

#[utoipa::path(get, path = "/api/v1/payments/{payment_id}", tag = "payments", security(("bearer" = [])),
    params(("payment_id" = Uuid, Path)),
    responses((status = 200, body = PaymentView), (status = 404, body = Problem)))]
/// A payment, for its booking's owner or staff.
pub async fn get_payment(
    State(state): State<AppState>,
    caller: Caller,
    Path(payment_id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_payment_id(&payment_id).map_err(|_| ApiError::not_found("payment"))?;
    let (payment, version) = state.bus.load::<Payment>(id).await?;
    let view = PaymentView::of(&payment, version).ok_or_else(|| ApiError::not_found("payment"))?;
    if !caller.is_staff() {
        // A customer sees only the payments of their own bookings; anything else does not exist.
        let (booking, _) = state
            .bus
            .load::<Booking>(BookingId(view.booking_id))
            .await?;
        if booking.state().map(|b| b.customer) != Some(caller.user_id) {
            return Err(ApiError::not_found("payment"));
        }
    }
    Ok(with_versions(json_ok(&view), None, Some(version)))
}
