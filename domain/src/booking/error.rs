//! Why a booking refuses a command.

use super::BookingStatus;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    #[error("the booking was already placed")]
    AlreadyPlaced,
    #[error("a booking needs at least one passenger")]
    NoPassengers,
    #[error("a booking has at most {max} passengers, not {count}", max = super::MAX_PASSENGERS)]
    TooManyPassengers { count: usize },
    #[error("a passenger's first and last name must each be 1 to 50 characters")]
    InvalidPassengerName,
    #[error("the quote is for another flight, cabin or number of passengers")]
    QuoteMismatch,
    #[error("the quote expired at {expires_at}")]
    QuoteExpired { expires_at: DateTime<Utc> },
    #[error("at most {max} miles can pay for this fare")]
    RedeemExceedsFare { max: u64 },
    #[error("no such booking")]
    NotFound,
    #[error("the booking is {status}, not pending")]
    NotPending { status: BookingStatus },
    #[error("the booking is {status}, not confirmed")]
    NotConfirmed { status: BookingStatus },
    #[error("the flight departed at {departure}")]
    Departed { departure: DateTime<Utc> },
    #[error("the booking is {status}; no cancellation was requested")]
    CancellationNotRequested { status: BookingStatus },
}

impl BookingError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            BookingError::AlreadyPlaced => "already_placed",
            BookingError::NoPassengers => "no_passengers",
            BookingError::TooManyPassengers { .. } => "too_many_passengers",
            BookingError::InvalidPassengerName => "invalid_passenger_name",
            BookingError::QuoteMismatch => "quote_mismatch",
            BookingError::QuoteExpired { .. } => "quote_expired",
            BookingError::RedeemExceedsFare { .. } => "redeem_exceeds_fare",
            BookingError::NotFound => "not_found",
            BookingError::NotPending { .. } => "not_pending",
            BookingError::NotConfirmed { .. } => "not_confirmed",
            BookingError::Departed { .. } => "departed",
            BookingError::CancellationNotRequested { .. } => "cancellation_not_requested",
        }
    }

    /// The request field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            BookingError::NoPassengers
            | BookingError::TooManyPassengers { .. }
            | BookingError::InvalidPassengerName => Some("passengers"),
            BookingError::RedeemExceedsFare { .. } => Some("redeem_miles"),
            BookingError::AlreadyPlaced
            | BookingError::QuoteMismatch
            | BookingError::QuoteExpired { .. }
            | BookingError::NotFound
            | BookingError::NotPending { .. }
            | BookingError::NotConfirmed { .. }
            | BookingError::Departed { .. }
            | BookingError::CancellationNotRequested { .. } => None,
        }
    }
}
