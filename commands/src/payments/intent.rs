//! Create a payment intent: an amount a booking is to pay, before any card is seen.

use crate::{Application, Call, Envelope, UseCaseResult};
use skyfly_domain::ids::{BookingId, CommandId, PaymentId, SKYFLY_NAMESPACE};
use skyfly_domain::money::Money;
use skyfly_domain::payment::{CreatePayment, Payment, PaymentCommand};
use uuid::Uuid;

/// Create a payment of `amount` for a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateIntent {
    /// The booking it pays for.
    pub booking_id: BookingId,
    /// What it is for (the payment refuses amounts it does not accept).
    pub amount: Money,
}

/// A created payment intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intent {
    /// The payment's id (derived from the command id: a retry names the same payment).
    pub payment_id: PaymentId,
    /// The payment stream's version.
    pub version: u64,
    /// Global position of the payment's event.
    pub position: Option<u64>,
}

/// The payment id a creating command gives its payment.
pub fn payment_id_for(command_id: CommandId) -> PaymentId {
    PaymentId(Uuid::new_v5(
        &SKYFLY_NAMESPACE,
        format!("payment/{}", command_id.0).as_bytes(),
    ))
}

/// Creates the payment; refused if the amount is not one the payment accepts
/// (`invalid_amount`, `amount_too_large`).
pub async fn create_intent(
    app: &Application,
    call: &Call,
    command: CreateIntent,
) -> UseCaseResult<Intent> {
    let payment_id = payment_id_for(call.command_id);
    let create = PaymentCommand::CreatePayment(CreatePayment {
        payment_id,
        booking_id: command.booking_id,
        amount: command.amount,
        at: app.now(),
    });
    let envelope = Envelope::new(create, call.metadata()).expecting(call.expected_version);
    let done = app.bus.execute::<Payment>(payment_id, envelope).await?;
    Ok(Intent {
        payment_id,
        version: done.version,
        position: done.position,
    })
}
