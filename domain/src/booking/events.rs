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
/// What happened to a booking.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum BookingEvent {
    /// A customer asked for seats at a quoted price; the saga starts here.
    BookingRequested {
        /// The booking.
        booking_id: BookingId,
        /// Its 6-character booking reference, derived from the booking id.
        locator: Locator,
        /// The customer who placed it.
        customer: UserId,
        /// The flight instance booked.
        flight_id: FlightId,
        /// When the flight departs.
        departure: DateTime<Utc>,
        /// The cabin booked.
        cabin: Cabin,
        /// The passengers, one seat each, in the order their tickets are numbered.
        passengers: Vec<Passenger>,
        /// The e-mail address given to contact the customer about this booking.
        contact_email: Email,
        /// The price the booking charges, made at the instant it was placed.
        quote: Quote,
        /// Miles paying part of the fare (1 mile = 1 cent); the card pays `quote.total − redeem_miles`.
        redeem_miles: u64,
        /// When the customer placed the booking.
        requested_at: DateTime<Utc>,
    },
    /// Seats committed, payment captured, miles awarded: tickets issued, one per passenger in order.
    BookingConfirmed {
        /// One ticket number per passenger, in the order of the passengers.
        ticket_numbers: Vec<String>,
        /// When the booking was confirmed.
        confirmed_at: DateTime<Utc>,
    },
    /// No seats: nothing had to be undone.
    BookingRejected {
        /// The refusal's stable code, e.g. `seats_unavailable`.
        reason: String,
        /// When the booking was rejected.
        rejected_at: DateTime<Utc>,
    },
    /// A step failed and the completed steps were compensated.
    BookingFailed {
        /// The saga step that failed.
        step: SagaStep,
        /// Why it failed: the refusal's stable code, `timeout`, or the fault that was injected.
        reason: String,
        /// When the booking was marked failed.
        failed_at: DateTime<Utc>,
    },
    /// Cancellation asked for; `refund` is what the card gets back under the rule in force at
    /// `requested_at` (see [`super::Booking::refund_due`]).
    BookingCancellationRequested {
        /// The user who asked: the customer, or a member of staff.
        requested_by: UserId,
        /// When the cancellation was asked for; it fixes the refund.
        requested_at: DateTime<Utc>,
        /// What the card is to get back.
        refund: Money,
    },
    /// Seats released, payment refunded, miles revoked and restored.
    BookingCancelled {
        /// What the card actually got back.
        refunded: Money,
        /// When the cancellation was completed.
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
