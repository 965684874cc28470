//! Why a booking refuses a command.

use super::BookingStatus;
use chrono::{DateTime, Utc};

/// Why a booking refuses a command; each refusal has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    /// A booking with this id was already placed (`already_placed`).
    #[error("the booking was already placed")]
    AlreadyPlaced,
    /// The booking names no passenger (`no_passengers`).
    #[error("a booking needs at least one passenger")]
    NoPassengers,
    /// The booking names more passengers than [`MAX_PASSENGERS`](super::MAX_PASSENGERS)
    /// (`too_many_passengers`).
    #[error("a booking has at most {max} passengers, not {count}", max = super::MAX_PASSENGERS)]
    TooManyPassengers {
        /// The passengers named.
        count: usize,
    },
    /// A passenger's first or last name is empty or longer than
    /// [`MAX_PASSENGER_NAME_LEN`](super::MAX_PASSENGER_NAME_LEN) characters once trimmed
    /// (`invalid_passenger_name`).
    #[error("a passenger's first and last name must each be 1 to 50 characters")]
    InvalidPassengerName,
    /// The quote is for another flight, cabin or number of passengers than the booking
    /// (`quote_mismatch`).
    #[error("the quote is for another flight, cabin or number of passengers")]
    QuoteMismatch,
    /// The quote had stopped holding when the booking was placed (`quote_expired`).
    #[error("the quote expired at {expires_at}")]
    QuoteExpired {
        /// When the quote stopped holding.
        expires_at: DateTime<Utc>,
    },
    /// More miles were offered than the fare costs in cents; miles never pay the taxes
    /// (`redeem_exceeds_fare`).
    #[error("at most {max} miles can pay for this fare")]
    RedeemExceedsFare {
        /// The most miles that can pay for this fare: the fare in cents.
        max: u64,
    },
    /// No booking was placed with this id (`not_found`).
    #[error("no such booking")]
    NotFound,
    /// The saga's outcome arrived for a booking that is no longer pending (`not_pending`).
    #[error("the booking is {status}, not pending")]
    NotPending {
        /// Where the booking stands.
        status: BookingStatus,
    },
    /// Only a confirmed booking can be cancelled (`not_confirmed`).
    #[error("the booking is {status}, not confirmed")]
    NotConfirmed {
        /// Where the booking stands.
        status: BookingStatus,
    },
    /// The flight has departed: it can no longer be booked or cancelled (`departed`).
    #[error("the flight departed at {departure}")]
    Departed {
        /// When the flight departed.
        departure: DateTime<Utc>,
    },
    /// The cancellation was completed without having been requested (`cancellation_not_requested`).
    #[error("the booking is {status}; no cancellation was requested")]
    CancellationNotRequested {
        /// Where the booking stands.
        status: BookingStatus,
    },
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
