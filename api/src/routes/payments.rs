//! Payments (staff; the saga's process manager sends the same commands): create an intent,
//! authorize through the payment provider, capture, void, refund. And a payment's state.

use crate::auth::{Caller, Staff};
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::idempotency;
use crate::routes::{
    CommandCall, MoneyDto, command_metadata, created, json_ok, path_param, with_versions,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use skyfly_commands::{Envelope, Executed};
use skyfly_domain::booking::Booking;
use skyfly_domain::card::{AuthorizationRequest, CardDetails, ProviderError};
use skyfly_domain::ids::{BookingId, PaymentId, SKYFLY_NAMESPACE};
use skyfly_domain::payment::{
    CapturePayment, CreatePayment, Payment, PaymentCommand, PaymentStatus, RecordAuthorization,
    RecordDecline, RefundPayment, VoidPayment,
};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentRequest {
    pub booking_id: Uuid,
    pub amount: MoneyDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntentResponse {
    pub payment_id: Uuid,
}

/// Card details. Never logged: `Debug` shows the last four digits only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    #[schema(example = "4242 4242 4242 4242")]
    pub card_number: String,
    #[schema(example = 12)]
    pub exp_month: u32,
    #[schema(example = 2030)]
    pub exp_year: i32,
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

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountRequest {
    /// Defaults to the whole authorized (capture) or remaining captured (refund) amount.
    pub amount: Option<MoneyDto>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardView {
    #[schema(example = "visa")]
    pub brand: String,
    #[schema(example = "4242")]
    pub last4: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub payment_id: Uuid,
    pub booking_id: Uuid,
    /// `created | authorized | captured | partially_refunded | refunded | voided | declined`
    pub status: String,
    pub amount: MoneyDto,
    pub captured: MoneyDto,
    pub refunded: MoneyDto,
    pub card: Option<CardView>,
    pub decline_reason: Option<String>,
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

fn view_response(done: &Executed<Payment>) -> Result<Response, ApiError> {
    let view =
        PaymentView::of(&done.state, done.version).ok_or_else(|| ApiError::not_found("payment"))?;
    Ok(with_versions(
        json_ok(&view),
        done.position,
        Some(done.version),
    ))
}

#[utoipa::path(post, path = "/api/v1/payments/intent", tag = "payments", request_body = IntentRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = IntentResponse), (status = 422, body = Problem)))]
pub async fn create_intent(
    State(state): State<AppState>,
    Staff(caller): Staff,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<IntentRequest>,
) -> Response {
    let JsonBody { value, raw } = body;
    let state = &state;
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        "POST /payments/intent",
        &raw,
        |command_id| async move {
            // Derived from the command id: a retried intent (same key) names the same payment.
            let payment_id = PaymentId(Uuid::new_v5(
                &SKYFLY_NAMESPACE,
                format!("payment/{}", command_id.0).as_bytes(),
            ));
            let command = PaymentCommand::CreatePayment(CreatePayment {
                payment_id,
                booking_id: BookingId(value.booking_id),
                amount: value.amount.to_money("amount")?,
                at: state.clock.now(),
            });
            let done = state
                .bus
                .execute::<Payment>(
                    payment_id,
                    Envelope::new(command, command_metadata(command_id, caller.actor())),
                )
                .await?;
            Ok(created(
                &format!("/api/v1/payments/{payment_id}"),
                &IntentResponse {
                    payment_id: payment_id.0,
                },
                done.position,
                Some(done.version),
            ))
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/payments/{payment_id}/authorize", tag = "payments", request_body = AuthorizeRequest,
    security(("bearer" = [])), params(("payment_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = PaymentView), (status = 402, body = Problem, description = "declined; the decline is recorded"),
        (status = 502, body = Problem, description = "provider error; nothing recorded, retry"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn authorize(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(payment_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<AuthorizeRequest>,
) -> Response {
    let JsonBody { value, raw } = body;
    let state = &state;
    let op = format!("POST /payments/{payment_id}/authorize");
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        &op,
        &raw,
        |command_id| async move {
            let id = parse_payment_id(&payment_id)?;
            let (payment, version) = state.bus.load::<Payment>(id).await?;
            let current = payment
                .state()
                .ok_or_else(|| ApiError::not_found("payment"))?;
            if current.status != PaymentStatus::Created {
                // Already decided: answer with what was decided, ask the provider nothing.
                let view = PaymentView::of(&payment, version)
                    .ok_or_else(|| ApiError::not_found("payment"))?;
                return Ok(with_versions(json_ok(&view), None, Some(version)));
            }
            let card = CardDetails::parse(
                &value.card_number,
                value.exp_month,
                value.exp_year,
                &value.cvc,
            )
            .map_err(|e| ApiError::field(e.field(), "invalid_card", e.to_string()))?;
            let summary = card.summary();
            let now = state.clock.now();
            let request = AuthorizationRequest {
                card,
                amount: current.amount,
                today: now.date_naive(),
                reference: id.to_string(),
            };
            let command = match state.payments.authorize(request).await {
                Ok(authorization) => PaymentCommand::RecordAuthorization(RecordAuthorization {
                    authorization,
                    at: now,
                }),
                Err(ProviderError::Declined(reason)) => {
                    PaymentCommand::RecordDecline(RecordDecline {
                        reason,
                        card: Some(summary),
                        at: now,
                    })
                }
                Err(ProviderError::Retryable(reason)) => {
                    return Err(ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        reason,
                        "the payment provider failed; nothing was recorded, retry",
                    ));
                }
            };
            let done = state
                .bus
                .execute::<Payment>(
                    id,
                    Envelope::new(command, command_metadata(command_id, caller.actor())),
                )
                .await?;
            match done.state.state().and_then(|s| s.decline_reason.clone()) {
                Some(reason) => {
                    let mut e = ApiError::new(
                        StatusCode::PAYMENT_REQUIRED,
                        reason.clone(),
                        format!("the card was declined: {reason}"),
                    );
                    e.errors.push(crate::error::FieldError {
                        field: "card_number".into(),
                        message: reason,
                    });
                    Ok(with_versions(
                        axum::response::IntoResponse::into_response(e),
                        done.position,
                        Some(done.version),
                    ))
                }
                None => view_response(&done),
            }
        },
    )
    .await
}

macro_rules! payment_command {
    ($name:ident, $path:literal, $op:literal, $body:ty, |$v:ident, $now:ident| $make:expr) => {
        #[utoipa::path(post, path = $path, tag = "payments", request_body = $body, security(("bearer" = [])),
            params(("payment_id" = Uuid, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
            responses((status = 200, body = PaymentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
        pub async fn $name(
            State(state): State<AppState>,
            Staff(caller): Staff,
            Path(payment_id): Path<String>,
            IdempotencyKey(key): IdempotencyKey,
            IfMatch(expected): IfMatch,
            body: JsonBody<$body>,
        ) -> Response {
            let JsonBody { value: $v, raw } = body;
            CommandCall {
                state: &state,
                caller,
                key,
                operation: format!(concat!("POST /payments/{}/", $op), payment_id),
                body: raw,
                expected,
            }
            .execute::<Payment, _, _>(
                parse_payment_id(&payment_id),
                |p: &Payment| p.state().is_some(),
                || ApiError::not_found("payment"),
                |$now| $make,
                PaymentView::of,
            )
            .await
        }
    };
}

payment_command!(
    capture,
    "/api/v1/payments/{payment_id}/capture",
    "capture",
    AmountRequest,
    |v, now| Ok(PaymentCommand::CapturePayment(CapturePayment {
        amount: v.amount.map(|m| m.to_money("amount")).transpose()?,
        at: now
    }))
);
payment_command!(
    void,
    "/api/v1/payments/{payment_id}/void",
    "void",
    Empty,
    |_v, now| Ok(PaymentCommand::VoidPayment(VoidPayment { at: now }))
);
payment_command!(
    refund,
    "/api/v1/payments/{payment_id}/refund",
    "refund",
    AmountRequest,
    |v, now| Ok(PaymentCommand::RefundPayment(RefundPayment {
        amount: v.amount.map(|m| m.to_money("amount")).transpose()?,
        at: now
    }))
);

#[utoipa::path(get, path = "/api/v1/payments/{payment_id}", tag = "payments", security(("bearer" = [])),
    params(("payment_id" = Uuid, Path)),
    responses((status = 200, body = PaymentView), (status = 404, body = Problem)))]
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
