//! `ConfirmBooking`: the saga completed; issue the tickets.

use super::events::BookingEvent;
use super::{Booking, BookingError, BookingStatus, ticket_number};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every step of the saga succeeded: confirm the booking and issue one ticket per passenger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfirmBooking {
    /// When the booking is confirmed.
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &Booking,
    cmd: &ConfirmBooking,
) -> Result<Vec<BookingEvent>, BookingError> {
    let s = state.state().ok_or(BookingError::NotFound)?;
    match s.status {
        BookingStatus::Pending => Ok(vec![BookingEvent::BookingConfirmed {
            ticket_numbers: (0..s.passengers.len())
                .map(|i| ticket_number(s.booking_id, i))
                .collect(),
            confirmed_at: cmd.at,
        }]),
        BookingStatus::Confirmed => Ok(vec![]),
        status => Err(BookingError::NotPending { status }),
    }
}
