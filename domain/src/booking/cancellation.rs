//! `RequestCancellation` and `CompleteCancellation`: a confirmed booking is undone before departure.

use super::events::BookingEvent;
use super::{Booking, BookingError, BookingStatus};
use crate::ids::UserId;
use crate::money::Money;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Cancelling more than this long before departure refunds everything the card paid.
pub const FULL_REFUND_NOTICE: Duration = Duration::hours(24);

/// The customer or staff asks to cancel. Who may ask is checked at the API (the domain does not
/// know roles); the booking records who did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestCancellation {
    /// When the cancellation is asked for: it must be before departure, and it fixes the refund.
    pub at: DateTime<Utc>,
    /// The user who asks: the customer, or a member of staff.
    pub by: UserId,
}

/// The cancellation process released the seats, refunded the card and settled the miles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompleteCancellation {
    /// What was actually refunded to the card.
    pub refunded: Money,
    /// When the cancellation completed.
    pub at: DateTime<Utc>,
}

pub(super) fn decide_request(
    state: &Booking,
    cmd: &RequestCancellation,
) -> Result<Vec<BookingEvent>, BookingError> {
    let s = state.state().ok_or(BookingError::NotFound)?;
    match s.status {
        // A second cancel is a no-op, not an error.
        BookingStatus::CancellationRequested | BookingStatus::Cancelled => return Ok(vec![]),
        BookingStatus::Confirmed => {}
        status => return Err(BookingError::NotConfirmed { status }),
    }
    let refund = state.refund_due(cmd.at).ok_or(BookingError::Departed {
        departure: s.departure,
    })?;
    Ok(vec![BookingEvent::BookingCancellationRequested {
        requested_by: cmd.by,
        requested_at: cmd.at,
        refund,
    }])
}

pub(super) fn decide_complete(
    state: &Booking,
    cmd: &CompleteCancellation,
) -> Result<Vec<BookingEvent>, BookingError> {
    let s = state.state().ok_or(BookingError::NotFound)?;
    match s.status {
        BookingStatus::CancellationRequested => Ok(vec![BookingEvent::BookingCancelled {
            refunded: cmd.refunded,
            cancelled_at: cmd.at,
        }]),
        BookingStatus::Cancelled => Ok(vec![]),
        status => Err(BookingError::CancellationNotRequested { status }),
    }
}
