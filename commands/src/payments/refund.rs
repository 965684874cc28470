//! Refund a captured payment, wholly or in part.

use super::on_payment;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::PaymentId;
use skyfly_domain::money::Money;
use skyfly_domain::payment::{Payment, PaymentCommand, RefundPayment};

/// Refund (part of) what a payment captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The payment.
    pub payment_id: PaymentId,
    /// How much; whatever remains captured if `None`.
    pub amount: Option<Money>,
}

/// Refunds the amount; refused with `not_found` if there is no such payment, or by the payment
/// (`invalid_state`, `refund_exceeds_captured`, …).
pub async fn refund(
    app: &Application,
    call: &Call,
    command: Refund,
) -> UseCaseResult<Executed<Payment>> {
    let Refund { payment_id, amount } = command;
    on_payment(app, call, payment_id, |at| {
        PaymentCommand::RefundPayment(RefundPayment { amount, at })
    })
    .await
}
