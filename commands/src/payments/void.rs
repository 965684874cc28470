//! Void an authorized payment that was not captured.

use super::on_payment;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::PaymentId;
use skyfly_domain::payment::{Payment, PaymentCommand, VoidPayment};

/// Void an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Void {
    /// The payment.
    pub payment_id: PaymentId,
}

/// Voids the authorization; refused with `not_found` if there is no such payment, or by the
/// payment unless it is authorized and not captured.
pub async fn void(
    app: &Application,
    call: &Call,
    command: Void,
) -> UseCaseResult<Executed<Payment>> {
    on_payment(app, call, command.payment_id, |at| {
        PaymentCommand::VoidPayment(VoidPayment { at })
    })
    .await
}
