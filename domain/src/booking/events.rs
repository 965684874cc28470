//! Events of the booking. Stored type names are the variant names and never change.

use super::{Passenger, SagaStep};
use crate::aggregate::DomainEvent;
use crate::cabin::Cabin;
use crate::identity::Email;
use crate::ids::{BookingId, FlightId, Locator, UserId};
use crate::money::Money;
use crate::pricing::Quote;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

// `BookingRequested` carries the whole request; events are built once and stored, so boxing it
// would buy nothing but noisier constructors and patterns.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum BookingEvent {
    /// A customer asked for seats at a quoted price; the saga starts here.
    BookingRequested {
        booking_id: BookingId,
        locator: Locator,
        customer: UserId,
        flight_id: FlightId,
        departure: DateTime<Utc>,
        cabin: Cabin,
        passengers: Vec<Passenger>,
        contact_email: Email,
        quote: Quote,
        /// Miles paying part of the fare (1 mile = 1 cent); the card pays `quote.total − redeem_miles`.
        redeem_miles: u64,
        requested_at: DateTime<Utc>,
    },
    /// Seats committed, payment captured, miles awarded: tickets issued, one per passenger in order.
    BookingConfirmed {
        ticket_numbers: Vec<String>,
        confirmed_at: DateTime<Utc>,
    },
    /// No seats: nothing had to be undone.
    BookingRejected {
        reason: String,
        rejected_at: DateTime<Utc>,
    },
    /// A step failed and the completed steps were compensated.
    BookingFailed {
        step: SagaStep,
        reason: String,
        failed_at: DateTime<Utc>,
    },
    /// Cancellation asked for; `refund` is what the card gets back under the rule in force at
    /// `requested_at` (see [`super::Booking::refund_due`]).
    BookingCancellationRequested {
        requested_by: UserId,
        requested_at: DateTime<Utc>,
        refund: Money,
    },
    /// Seats released, payment refunded, miles revoked and restored.
    BookingCancelled {
        refunded: Money,
        cancelled_at: DateTime<Utc>,
    },
}

impl DomainEvent for BookingEvent {
    fn event_type(&self) -> &'static str {
        match self {
            BookingEvent::BookingRequested { .. } => "BookingRequested",
            BookingEvent::BookingConfirmed { .. } => "BookingConfirmed",
            BookingEvent::BookingRejected { .. } => "BookingRejected",
            BookingEvent::BookingFailed { .. } => "BookingFailed",
            BookingEvent::BookingCancellationRequested { .. } => "BookingCancellationRequested",
            BookingEvent::BookingCancelled { .. } => "BookingCancelled",
        }
    }
}
