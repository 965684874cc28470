//! Payment use cases (staff; the saga's process manager sends the same commands): create an
//! intent, authorize it through the card processor, capture, void, refund.

mod authorize;
mod capture;
mod intent;
mod refund;
mod void;

#[cfg(test)]
mod tests;

pub use authorize::{Authorize, Authorized, CardInput, authorize};
pub use capture::{Capture, capture};
pub use intent::{CreateIntent, Intent, create_intent, payment_id_for};
pub use refund::{Refund, refund};
pub use void::{Void, void};

use crate::{Application, Call, Executed, UseCaseError, UseCaseResult};
use chrono::{DateTime, Utc};
use skyfly_domain::ids::PaymentId;
use skyfly_domain::payment::{Payment, PaymentCommand};

/// Runs a command on a payment that exists (else `not_found`).
async fn on_payment(
    app: &Application,
    call: &Call,
    payment_id: PaymentId,
    command: impl FnOnce(DateTime<Utc>) -> PaymentCommand + Send,
) -> UseCaseResult<Executed<Payment>> {
    app.execute_existing::<Payment>(
        call,
        payment_id,
        |p: &Payment| p.state().is_some(),
        || UseCaseError::NotFound("payment"),
        command,
    )
    .await
}
