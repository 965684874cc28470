//! Events of the payment. Stored type names are the variant names and never change.

use crate::aggregate::DomainEvent;
use crate::card::CardSummary;
use crate::ids::{BookingId, PaymentId};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum PaymentEvent {
    /// A payment of `amount` is to be authorized for a booking.
    PaymentCreated {
        payment_id: PaymentId,
        booking_id: BookingId,
        amount: Money,
        created_at: DateTime<Utc>,
    },
    /// The provider holds `amount` on the card.
    PaymentAuthorized {
        amount: Money,
        authorization_code: String,
        card: CardSummary,
        authorized_at: DateTime<Utc>,
    },
    /// The provider refused (`card_declined`, `insufficient_funds`, `expired_card`, …). Final.
    PaymentDeclined {
        reason: String,
        card: Option<CardSummary>,
        declined_at: DateTime<Utc>,
    },
    /// `amount` (at most the authorized amount) was taken; any remainder of the hold lapses.
    PaymentCaptured {
        amount: Money,
        captured_at: DateTime<Utc>,
    },
    /// The authorization was released without capture.
    PaymentVoided { voided_at: DateTime<Utc> },
    /// `amount` went back to the card; `refunded_total` is the sum of all refunds so far.
    PaymentRefunded {
        amount: Money,
        refunded_total: Money,
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
