//! The state of a booking, how events change it, and what cancelling it would refund.

use super::cancellation::FULL_REFUND_NOTICE;
use super::events::BookingEvent;
use super::{Passenger, SagaStep};
use crate::cabin::Cabin;
use crate::identity::Email;
use crate::ids::{BookingId, FlightId, Locator, UserId};
use crate::money::Money;
use crate::pricing::Quote;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    /// Placed; the saga is still running.
    Pending,
    /// Every step succeeded and the tickets are issued.
    Confirmed,
    /// No seats were available; nothing had to be undone.
    Rejected,
    /// A step failed and what had been done was undone.
    Failed,
    /// A cancellation was asked for and is being carried out; over HTTP it still shows as
    /// confirmed.
    CancellationRequested,
    /// The cancellation is complete: seats released, card refunded, miles settled.
    Cancelled,
}

impl BookingStatus {
    /// The status's stable name, e.g. `"cancellation_requested"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Rejected => "rejected",
            BookingStatus::Failed => "failed",
            BookingStatus::CancellationRequested => "cancellation_requested",
            BookingStatus::Cancelled => "cancelled",
        }
    }

    /// The saga's terminal states: `Confirmed`, `Rejected`, `Failed` and `Cancelled`.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            BookingStatus::Confirmed
                | BookingStatus::Rejected
                | BookingStatus::Failed
                | BookingStatus::Cancelled
        )
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A booking. `Default` is a booking not placed yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Booking {
    state: Option<BookingState>,
}

/// A placed booking.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingState {
    /// The booking.
    pub booking_id: BookingId,
    /// Its 6-character booking reference.
    pub locator: Locator,
    /// The customer who placed it.
    pub customer: UserId,
    /// The flight instance booked.
    pub flight_id: FlightId,
    /// When the flight departs.
    pub departure: DateTime<Utc>,
    /// The cabin booked.
    pub cabin: Cabin,
    /// The passengers, one seat each, in ticket order.
    pub passengers: Vec<Passenger>,
    /// The e-mail address given to contact the customer about this booking.
    pub contact_email: Email,
    /// The price the booking charges.
    pub quote: Quote,
    /// Miles paying part of the fare (1 mile = 1 cent; 0 for none).
    pub redeem_miles: u64,
    /// When the customer placed the booking.
    pub requested_at: DateTime<Utc>,
    /// Where the booking stands.
    pub status: BookingStatus,
    /// One per passenger, in order, once confirmed.
    pub ticket_numbers: Vec<String>,
    /// When the booking was confirmed, once it is.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Why the booking was rejected, if it was.
    pub rejection: Option<Rejection>,
    /// Where and why the saga failed, if it did.
    pub failure: Option<Failure>,
    /// The cancellation, once one is asked for.
    pub cancellation: Option<Cancellation>,
}

/// Why the booking was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The refusal's stable code, e.g. `seats_unavailable`.
    pub reason: String,
    /// When the booking was rejected.
    pub rejected_at: DateTime<Utc>,
}

/// Why and where the saga failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The saga step that failed.
    pub step: SagaStep,
    /// Why it failed: the refusal's stable code, `timeout`, or the fault that was injected.
    pub reason: String,
    /// When the booking was marked failed.
    pub failed_at: DateTime<Utc>,
}

/// A cancellation, from request to completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The user who asked: the customer, or a member of staff.
    pub requested_by: UserId,
    /// When the cancellation was asked for.
    pub requested_at: DateTime<Utc>,
    /// The refund due when it was requested.
    pub refund: Money,
    /// What was actually refunded, once cancelled.
    pub refunded: Option<Money>,
    /// When the cancellation completed, once it has.
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl BookingState {
    /// What the card pays: `quote.total − redeem_miles` (1 mile = 1 cent).
    pub fn card_amount(&self) -> Money {
        let miles = i64::try_from(self.redeem_miles).unwrap_or(i64::MAX);
        Money {
            amount: self.quote.total.amount.saturating_sub(miles),
            ..self.quote.total
        }
    }

    /// What the card paid for the fare alone, `quote.fare − redeem_miles`: the base that earns
    /// miles ([`crate::loyalty::Accrual::Fare`]); taxes earn nothing.
    pub fn card_fare(&self) -> Money {
        let miles = i64::try_from(self.redeem_miles).unwrap_or(i64::MAX);
        Money {
            amount: self.quote.fare.amount.saturating_sub(miles).max(0),
            ..self.quote.fare
        }
    }
}

impl Booking {
    /// The placed booking, or `None` before it is placed.
    pub fn state(&self) -> Option<&BookingState> {
        self.state.as_ref()
    }

    /// Where the booking stands, or `None` before it is placed.
    pub fn status(&self) -> Option<BookingStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    /// What the card would get back if a cancellation were requested at `at`; `None` unless the
    /// booking is confirmed and the flight has not departed.
    ///
    /// docs/domain.md: "full refund more than 24 h before departure, otherwise 50% of the fare, taxes
    /// always refunded", and redeemed miles are restored in full by the loyalty account. Our reading
    /// for the card, which paid `total − miles`:
    /// - more than 24 h before departure: everything the card paid;
    /// - otherwise the customer forfeits the half of the fare that the refund keeps back,
    ///   `fare − round_half_up(fare / 2) = floor(fare / 2)`, taken from what the card paid for the
    ///   fare (`fare − miles`, floored at 0: restored miles are never clawed back in cash), and
    ///   the taxes are refunded in full. So `refund = taxes + max(0, fare − miles − floor(fare / 2))`,
    ///   which without miles is exactly `round_half_up(fare / 2) + taxes`.
    pub fn refund_due(&self, at: DateTime<Utc>) -> Option<Money> {
        let s = self.state.as_ref()?;
        if s.status != BookingStatus::Confirmed || at >= s.departure {
            return None;
        }
        if s.departure - at > FULL_REFUND_NOTICE {
            return Some(s.card_amount());
        }
        let fare = s.quote.fare;
        let miles = i64::try_from(s.redeem_miles).unwrap_or(i64::MAX);
        let card_fare = fare.amount.saturating_sub(miles).max(0);
        let kept = fare.amount.max(0) / 2;
        let refund = s
            .quote
            .taxes
            .amount
            .saturating_add(card_fare.saturating_sub(kept).max(0));
        Some(Money {
            amount: refund,
            ..fare
        })
    }

    pub(super) fn apply(&mut self, event: &BookingEvent) {
        if let BookingEvent::BookingRequested {
            booking_id,
            locator,
            customer,
            flight_id,
            departure,
            cabin,
            passengers,
            contact_email,
            quote,
            redeem_miles,
            requested_at,
        } = event
        {
            self.state = Some(BookingState {
                booking_id: *booking_id,
                locator: locator.clone(),
                customer: *customer,
                flight_id: flight_id.clone(),
                departure: *departure,
                cabin: *cabin,
                passengers: passengers.clone(),
                contact_email: contact_email.clone(),
                quote: quote.clone(),
                redeem_miles: *redeem_miles,
                requested_at: *requested_at,
                status: BookingStatus::Pending,
                ticket_numbers: Vec::new(),
                confirmed_at: None,
                rejection: None,
                failure: None,
                cancellation: None,
            });
            return;
        }
        let Some(s) = self.state.as_mut() else {
            return;
        };
        match event {
            BookingEvent::BookingRequested { .. } => {}
            BookingEvent::BookingConfirmed {
                ticket_numbers,
                confirmed_at,
            } => {
                s.status = BookingStatus::Confirmed;
                s.ticket_numbers = ticket_numbers.clone();
                s.confirmed_at = Some(*confirmed_at);
            }
            BookingEvent::BookingRejected {
                reason,
                rejected_at,
            } => {
                s.status = BookingStatus::Rejected;
                s.rejection = Some(Rejection {
                    reason: reason.clone(),
                    rejected_at: *rejected_at,
                });
            }
            BookingEvent::BookingFailed {
                step,
                reason,
                failed_at,
            } => {
                s.status = BookingStatus::Failed;
                s.failure = Some(Failure {
                    step: *step,
                    reason: reason.clone(),
                    failed_at: *failed_at,
                });
            }
            BookingEvent::BookingCancellationRequested {
                requested_by,
                requested_at,
                refund,
            } => {
                s.status = BookingStatus::CancellationRequested;
                s.cancellation = Some(Cancellation {
                    requested_by: *requested_by,
                    requested_at: *requested_at,
                    refund: *refund,
                    refunded: None,
                    cancelled_at: None,
                });
            }
            BookingEvent::BookingCancelled {
                refunded,
                cancelled_at,
            } => {
                s.status = BookingStatus::Cancelled;
                if let Some(c) = s.cancellation.as_mut() {
                    c.refunded = Some(*refunded);
                    c.cancelled_at = Some(*cancelled_at);
                }
            }
        }
    }
}
