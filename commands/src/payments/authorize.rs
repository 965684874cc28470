//! Authorize a payment with the card processor: the authorization or the decline is recorded; a
//! processor failure records nothing (the same command may succeed later).

use crate::{Application, Call, Envelope, Executed, UseCaseError, UseCaseResult};
use skyfly_domain::card::{AuthorizationRequest, CardDetails, ProviderError};
use skyfly_domain::ids::PaymentId;
use skyfly_domain::payment::{
    Payment, PaymentCommand, PaymentStatus, RecordAuthorization, RecordDecline,
};

/// A card as the caller typed it. It is validated only when the payment still needs an
/// authorization (a decided payment answers with its decision, whatever card comes with the
/// retry). Never logged: `Debug` shows the last four digits only.
#[derive(Clone, PartialEq, Eq)]
pub struct CardInput {
    /// The card number (spaces and dashes allowed).
    pub number: String,
    /// Expiry month, 1 to 12.
    pub exp_month: u32,
    /// Expiry year.
    pub exp_year: i32,
    /// The card's security code.
    pub cvc: String,
}

impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits: String = self.number.chars().filter(char::is_ascii_digit).collect();
        write!(
            f,
            "CardInput(**** {})",
            &digits[digits.len().saturating_sub(4)..]
        )
    }
}

impl CardInput {
    /// The card, or an invalid input naming the field (`card_number`, `exp_month`, …).
    fn parse(&self) -> UseCaseResult<CardDetails> {
        CardDetails::parse(&self.number, self.exp_month, self.exp_year, &self.cvc)
            .map_err(|e| UseCaseError::invalid(e.field(), "invalid_card", &e))
    }
}

/// Authorize a payment with a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorize {
    /// The payment.
    pub payment_id: PaymentId,
    /// The card to charge.
    pub card: CardInput,
}

/// What an authorization came to.
#[derive(Debug)]
pub enum Authorized {
    /// The payment had been decided before: the processor was not asked, nothing was recorded.
    AlreadyDecided {
        /// The payment as it is.
        payment: Payment,
        /// Its version.
        version: u64,
    },
    /// The processor authorized the amount; the authorization is recorded.
    Approved(Executed<Payment>),
    /// The processor declined the card; the decline is recorded.
    Declined {
        /// The processor's reason (`card_declined`, `insufficient_funds`, `expired_card`, …).
        reason: String,
        /// The recorded decline.
        done: Executed<Payment>,
    },
}

/// Asks the card processor to authorize the payment's amount and records its answer. Refused
/// with `not_found` if there is no such payment and `invalid_card` (naming the field) for a
/// malformed card; a processor failure is [`UseCaseError::ProviderFailed`].
pub async fn authorize(
    app: &Application,
    call: &Call,
    command: Authorize,
) -> UseCaseResult<Authorized> {
    let id = command.payment_id;
    let (payment, version) = app.bus.load::<Payment>(id).await?;
    let current = payment.state().ok_or(UseCaseError::NotFound("payment"))?;
    if current.status != PaymentStatus::Created {
        return Ok(Authorized::AlreadyDecided { payment, version });
    }
    let card = command.card.parse()?;
    let summary = card.summary();
    let now = app.now();
    let request = AuthorizationRequest {
        card,
        amount: current.amount,
        today: now.date_naive(),
        reference: id.to_string(),
    };
    let outcome = match app.payments.authorize(request).await {
        Ok(authorization) => PaymentCommand::RecordAuthorization(RecordAuthorization {
            authorization,
            at: now,
        }),
        Err(ProviderError::Declined(reason)) => PaymentCommand::RecordDecline(RecordDecline {
            reason,
            card: Some(summary),
            at: now,
        }),
        Err(ProviderError::Retryable(reason)) => {
            return Err(UseCaseError::ProviderFailed { reason });
        }
    };
    let envelope = Envelope::new(outcome, call.metadata()).expecting(call.expected_version);
    let done = app.bus.execute::<Payment>(id, envelope).await?;
    Ok(
        match done.state.state().and_then(|s| s.decline_reason.clone()) {
            Some(reason) => Authorized::Declined { reason, done },
            None => Authorized::Approved(done),
        },
    )
}
