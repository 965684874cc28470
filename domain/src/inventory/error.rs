//! Why the flight inventory refuses a command.

use crate::cabin::Cabin;
use chrono::{DateTime, Utc};

/// Why the flight inventory refuses a command; each refusal has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// The flight instance is already on sale (`already_scheduled`).
    #[error("the flight is already scheduled")]
    AlreadyScheduled,
    /// The flight would land where it took off (`same_origin_and_destination`).
    #[error("origin and destination are the same airport")]
    SameOriginAndDestination,
    /// The flight would arrive at or before its departure (`arrival_not_after_departure`).
    #[error("arrival must be after departure")]
    ArrivalNotAfterDeparture,
    /// The flight would offer no cabin at all (`no_cabins`).
    #[error("a flight needs at least one cabin")]
    NoCabins,
    /// An offered cabin would have no seats, or more than
    /// [`MAX_CABIN_CAPACITY`](super::MAX_CABIN_CAPACITY) (`invalid_capacity`).
    #[error("cabin {cabin} needs 1 to {max} seats", max = super::MAX_CABIN_CAPACITY)]
    InvalidCapacity {
        /// The cabin scheduled with no seats, or too many.
        cabin: Cabin,
    },
    /// An offered cabin's base fare is not above zero, or above
    /// [`Money::MAX_AMOUNT`](crate::money::Money::MAX_AMOUNT) (`invalid_fare`).
    #[error("cabin {cabin} needs a fare above zero and at most {max} minor units", max = crate::money::Money::MAX_AMOUNT)]
    InvalidFare {
        /// The cabin with the fare refused.
        cabin: Cabin,
    },
    /// The flight instance has not been scheduled (`not_found`).
    #[error("the flight is not scheduled")]
    NotScheduled,
    /// The flight does not offer the cabin asked for (`cabin_not_offered`).
    #[error("the flight has no {cabin} cabin")]
    CabinNotOffered {
        /// The cabin asked for.
        cabin: Cabin,
    },
    /// A booking asked for no seats or for more than
    /// [`MAX_SEATS_PER_BOOKING`](super::MAX_SEATS_PER_BOOKING) (`invalid_seat_count`).
    #[error("a booking holds 1 to 9 seats, not {seats}")]
    InvalidSeatCount {
        /// The seats asked for.
        seats: u32,
    },
    /// The cabin has fewer seats left than requested (`seats_unavailable`).
    #[error("{requested} seats requested, {available} available")]
    NotEnoughSeats {
        /// The seats the booking asked for.
        requested: u32,
        /// The seats still available in the cabin.
        available: u32,
    },
    /// The flight has already departed: its seats are no longer sold (`departed`).
    #[error("the flight departed at {departure}")]
    Departed {
        /// When the flight departed.
        departure: DateTime<Utc>,
    },
    /// The hold would end at or before the instant it is asked for (`invalid_hold_deadline`).
    #[error("a hold must end after it starts")]
    InvalidHoldDeadline,
    /// The booking already holds or bought another number of seats or another cabin on this flight
    /// (`hold_mismatch`).
    #[error("the booking already has {seats} {cabin} seats on this flight")]
    HoldMismatch {
        /// The cabin the booking already has.
        cabin: Cabin,
        /// The seats the booking already has.
        seats: u32,
    },
    /// The booking's seats on this flight were released once; it may never hold seats here again
    /// (`seats_released`).
    #[error("the booking's seats on this flight were released; it cannot hold seats again")]
    AlreadyReleased,
    /// The hold's deadline has not come yet, so it cannot be expired (`hold_not_expired`).
    #[error("the hold runs until {expires_at}")]
    HoldNotExpired {
        /// When the hold lapses.
        expires_at: DateTime<Utc>,
    },
    /// The booking holds no seats on this flight to commit (`no_such_hold`).
    #[error("the booking holds no seats on this flight")]
    NoSuchHold,
    /// The hold lapsed before the seats were committed (`hold_expired`).
    #[error("the hold expired at {expires_at}")]
    HoldExpired {
        /// When the hold lapsed.
        expires_at: DateTime<Utc>,
    },
}

impl InventoryError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            InventoryError::AlreadyScheduled => "already_scheduled",
            InventoryError::SameOriginAndDestination => "same_origin_and_destination",
            InventoryError::ArrivalNotAfterDeparture => "arrival_not_after_departure",
            InventoryError::NoCabins => "no_cabins",
            InventoryError::InvalidCapacity { .. } => "invalid_capacity",
            InventoryError::InvalidFare { .. } => "invalid_fare",
            InventoryError::NotScheduled => "not_found",
            InventoryError::CabinNotOffered { .. } => "cabin_not_offered",
            InventoryError::InvalidSeatCount { .. } => "invalid_seat_count",
            InventoryError::NotEnoughSeats { .. } => "seats_unavailable",
            InventoryError::Departed { .. } => "departed",
            InventoryError::InvalidHoldDeadline => "invalid_hold_deadline",
            InventoryError::HoldMismatch { .. } => "hold_mismatch",
            InventoryError::AlreadyReleased => "seats_released",
            InventoryError::HoldNotExpired { .. } => "hold_not_expired",
            InventoryError::NoSuchHold => "no_such_hold",
            InventoryError::HoldExpired { .. } => "hold_expired",
        }
    }

    /// The request field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            InventoryError::SameOriginAndDestination => Some("destination"),
            InventoryError::ArrivalNotAfterDeparture => Some("arrival"),
            InventoryError::NoCabins => Some("cabins"),
            InventoryError::InvalidCapacity { .. } => Some("capacity"),
            InventoryError::InvalidFare { .. } => Some("fare"),
            InventoryError::CabinNotOffered { .. } => Some("cabin"),
            InventoryError::InvalidSeatCount { .. } => Some("seats"),
            InventoryError::InvalidHoldDeadline => Some("hold_until"),
            InventoryError::AlreadyScheduled
            | InventoryError::NotScheduled
            | InventoryError::NotEnoughSeats { .. }
            | InventoryError::Departed { .. }
            | InventoryError::HoldMismatch { .. }
            | InventoryError::AlreadyReleased
            | InventoryError::HoldNotExpired { .. }
            | InventoryError::NoSuchHold
            | InventoryError::HoldExpired { .. } => None,
        }
    }
}
