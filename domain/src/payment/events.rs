//! Events of the payment. Stored type names are the variant names and never change.

use crate::aggregate::DomainEvent;
use crate::card::CardSummary;
use crate::ids::{BookingId, PaymentId};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to a payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum PaymentEvent {
    /// A payment of `amount` is to be authorized for a booking.
    PaymentCreated {
        /// The payment.
        payment_id: PaymentId,
        /// The booking it pays for.
        booking_id: BookingId,
        /// The amount to authorize.
        amount: Money,
        /// When the payment was created.
        created_at: DateTime<Utc>,
    },
    /// The provider holds `amount` on the card.
    PaymentAuthorized {
        /// The amount held: the payment's whole amount.
        amount: Money,
        /// The provider's code for the authorization.
        authorization_code: String,
        /// The card authorized, as it may be kept.
        card: CardSummary,
        /// When the provider authorized.
        authorized_at: DateTime<Utc>,
    },
    /// The provider refused (`card_declined`, `insufficient_funds`, `expired_card`, …). Final.
    PaymentDeclined {
        /// The provider's reason, e.g. `card_declined`.
        reason: String,
        /// The card declined, as it may be kept, when it could be read at all.
        card: Option<CardSummary>,
        /// When the provider declined.
        declined_at: DateTime<Utc>,
    },
    /// `amount` (at most the authorized amount) was taken; any remainder of the hold lapses.
    PaymentCaptured {
        /// The amount taken.
        amount: Money,
        /// When it was taken.
        captured_at: DateTime<Utc>,
    },
    /// The authorization was released without capture.
    PaymentVoided {
        /// When the authorization was released.
        voided_at: DateTime<Utc>,
    },
    /// `amount` went back to the card; `refunded_total` is the sum of all refunds so far.
    PaymentRefunded {
        /// The amount given back by this refund.
        amount: Money,
        /// All refunds of the payment so far, this one included.
        refunded_total: Money,
        /// When the money went back.
        refunded_at: DateTime<Utc>,
    },
}

impl DomainEvent for PaymentEvent {
    fn event_type(&self) -> &'static str {
        match self {
            PaymentEvent::PaymentCreated { .. } => "PaymentCreated",
            PaymentEvent::PaymentAuthorized { .. } => "PaymentAuthorized",
            PaymentEvent::PaymentDeclined { .. } => "PaymentDeclined",
            PaymentEvent::PaymentCaptured { .. } => "PaymentCaptured",
            PaymentEvent::PaymentVoided { .. } => "PaymentVoided",
            PaymentEvent::PaymentRefunded { .. } => "PaymentRefunded",
        }
    }
}
