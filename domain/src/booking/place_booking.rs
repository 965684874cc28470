//! `PlaceBooking`: a customer asks for seats at a quoted price.

use super::events::BookingEvent;
use super::{Booking, BookingError, Passenger};
use crate::cabin::Cabin;
use crate::identity::Email;
use crate::ids::{BookingId, FlightId, Locator, UserId};
use crate::pricing::Quote;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most passengers on one booking: one seat each, so the inventory's limit per booking.
pub const MAX_PASSENGERS: usize = crate::inventory::MAX_SEATS_PER_BOOKING as usize;

/// A customer asks for seats for a party on a flight at a quoted price; the booking saga starts
/// from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceBooking {
    /// The new booking's id.
    pub booking_id: BookingId,
    /// The customer placing the booking.
    pub customer: UserId,
    /// The flight instance to book.
    pub flight_id: FlightId,
    /// When the flight departs; a booking is refused at or after it.
    pub departure: DateTime<Utc>,
    /// The cabin to book.
    pub cabin: Cabin,
    /// The passengers, 1 to [`MAX_PASSENGERS`], one seat each.
    pub passengers: Vec<Passenger>,
    /// The e-mail address given to contact the customer about this booking.
    pub contact_email: Email,
    /// The price to charge: must be for this flight, cabin and party size, and still hold at
    /// `requested_at`.
    pub quote: Quote,
    /// Miles to pay part of the fare with (0 for none).
    pub redeem_miles: u64,
    /// When the customer places the booking.
    pub requested_at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &Booking,
    cmd: &PlaceBooking,
) -> Result<Vec<BookingEvent>, BookingError> {
    if state.state().is_some() {
        return Err(BookingError::AlreadyPlaced);
    }
    if cmd.passengers.is_empty() {
        return Err(BookingError::NoPassengers);
    }
    if cmd.passengers.len() > MAX_PASSENGERS {
        return Err(BookingError::TooManyPassengers {
            count: cmd.passengers.len(),
        });
    }
    let q = &cmd.quote;
    let quoted_passengers = usize::try_from(q.passengers).unwrap_or(usize::MAX);
    if q.flight_id != cmd.flight_id
        || q.cabin != cmd.cabin
        || quoted_passengers != cmd.passengers.len()
    {
        return Err(BookingError::QuoteMismatch);
    }
    if cmd.requested_at > q.expires_at {
        return Err(BookingError::QuoteExpired {
            expires_at: q.expires_at,
        });
    }
    if cmd.requested_at >= cmd.departure {
        return Err(BookingError::Departed {
            departure: cmd.departure,
        });
    }
    // Miles pay at most the fare; taxes are always paid by card.
    let max = u64::try_from(q.fare.amount).unwrap_or(0);
    if cmd.redeem_miles > max {
        return Err(BookingError::RedeemExceedsFare { max });
    }
    Ok(vec![BookingEvent::BookingRequested {
        booking_id: cmd.booking_id,
        locator: Locator::for_booking(cmd.booking_id),
        customer: cmd.customer,
        flight_id: cmd.flight_id.clone(),
        departure: cmd.departure,
        cabin: cmd.cabin,
        passengers: cmd.passengers.clone(),
        contact_email: cmd.contact_email.clone(),
        quote: cmd.quote.clone(),
        redeem_miles: cmd.redeem_miles,
        requested_at: cmd.requested_at,
    }])
}
