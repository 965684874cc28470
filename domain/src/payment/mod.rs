//! Payments (`Payment`, stream `payment-<PaymentId>`): one card authorization and what follows.
//!
//! `Created → Authorized → Captured → (PartiallyRefunded | Refunded)`, or `Authorized → Voided`, or
//! `Created → Declined`. The aggregate records what the payment provider answered; it never calls
//! the provider itself (the command handler does, through [`crate::card::PaymentProvider`]), so
//! deciding stays pure and a provider's answer is recorded exactly once.
//!
//! Key decision: amounts only ever shrink along the way: capture ≤ authorized, refunds ≤ captured,
//! all in the payment's currency. Only the brand and last four digits of a card are ever kept.

mod capture_payment;
mod create_payment;
mod error;
mod events;
mod record_outcome;
mod refund_payment;
mod state;
mod void_payment;

#[cfg(test)]
mod tests;

pub use capture_payment::CapturePayment;
pub use create_payment::{CreatePayment, MAX_PAYMENT_CENTS};
pub use error::PaymentError;
pub use events::PaymentEvent;
pub use record_outcome::{RecordAuthorization, RecordDecline};
pub use refund_payment::RefundPayment;
pub use state::{Payment, PaymentState, PaymentStatus};
pub use void_payment::VoidPayment;

use crate::aggregate::Aggregate;

command_enum! {
    /// Every command the payment accepts.
    pub enum PaymentCommand {
        /// Open a payment to authorize for a booking.
        CreatePayment,
        /// Record that the provider authorized the payment.
        RecordAuthorization,
        /// Record that the provider declined the payment.
        RecordDecline,
        /// Take the authorized money.
        CapturePayment,
        /// Release the authorization without taking the money.
        VoidPayment,
        /// Give captured money back.
        RefundPayment,
    }
}

impl Aggregate for Payment {
    const CATEGORY: &'static str = "payment";
    type Event = PaymentEvent;
    type Command = PaymentCommand;
    type Error = PaymentError;

    fn evolve(&mut self, event: &PaymentEvent) {
        self.apply(event);
    }

    fn decide(&self, command: &PaymentCommand) -> Result<Vec<PaymentEvent>, PaymentError> {
        match command {
            PaymentCommand::CreatePayment(c) => create_payment::decide(self, c),
            PaymentCommand::RecordAuthorization(c) => record_outcome::decide_authorization(self, c),
            PaymentCommand::RecordDecline(c) => record_outcome::decide_decline(self, c),
            PaymentCommand::CapturePayment(c) => capture_payment::decide(self, c),
            PaymentCommand::VoidPayment(c) => void_payment::decide(self, c),
            PaymentCommand::RefundPayment(c) => refund_payment::decide(self, c),
        }
    }
}
