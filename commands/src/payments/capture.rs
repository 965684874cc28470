//! Capture an authorized payment, wholly or in part.

use super::on_payment;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::PaymentId;
use skyfly_domain::money::Money;
use skyfly_domain::payment::{CapturePayment, Payment, PaymentCommand};

/// Capture (part of) an authorized payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The payment.
    pub payment_id: PaymentId,
    /// How much; the whole authorized amount if `None`.
    pub amount: Option<Money>,
}

/// Captures the amount; refused with `not_found` if there is no such payment, or by the payment
/// (`invalid_state`, `capture_exceeds_authorized`, …).
pub async fn capture(
    app: &Application,
    call: &Call,
    command: Capture,
) -> UseCaseResult<Executed<Payment>> {
    let Capture { payment_id, amount } = command;
    on_payment(app, call, payment_id, |at| {
        PaymentCommand::CapturePayment(CapturePayment { amount, at })
    })
    .await
}
