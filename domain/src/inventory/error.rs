//! Why the flight inventory refuses a command.

use crate::cabin::Cabin;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    #[error("the flight is already scheduled")]
    AlreadyScheduled,
    #[error("origin and destination are the same airport")]
    SameOriginAndDestination,
    #[error("arrival must be after departure")]
    ArrivalNotAfterDeparture,
    #[error("a flight needs at least one cabin")]
    NoCabins,
    #[error("cabin {cabin} has no seats")]
    ZeroCapacity { cabin: Cabin },
    #[error("cabin {cabin} needs a fare above zero")]
    InvalidFare { cabin: Cabin },
    #[error("the flight is not scheduled")]
    NotScheduled,
    #[error("the flight has no {cabin} cabin")]
    CabinNotOffered { cabin: Cabin },
    #[error("a booking holds 1 to 9 seats, not {seats}")]
    InvalidSeatCount { seats: u32 },
    #[error("{requested} seats requested, {available} available")]
    NotEnoughSeats { requested: u32, available: u32 },
    #[error("the flight departed at {departure}")]
    Departed { departure: DateTime<Utc> },
    #[error("a hold must end after it starts")]
    InvalidHoldDeadline,
    #[error("the booking already has {seats} {cabin} seats on this flight")]
    HoldMismatch { cabin: Cabin, seats: u32 },
    #[error("the booking's seats on this flight were released; it cannot hold seats again")]
    AlreadyReleased,
    #[error("the hold runs until {expires_at}")]
    HoldNotExpired { expires_at: DateTime<Utc> },
    #[error("the booking holds no seats on this flight")]
    NoSuchHold,
    #[error("the hold expired at {expires_at}")]
    HoldExpired { expires_at: DateTime<Utc> },
}

impl InventoryError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            InventoryError::AlreadyScheduled => "already_scheduled",
            InventoryError::SameOriginAndDestination => "same_origin_and_destination",
            InventoryError::ArrivalNotAfterDeparture => "arrival_not_after_departure",
            InventoryError::NoCabins => "no_cabins",
            InventoryError::ZeroCapacity { .. } => "invalid_capacity",
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
            InventoryError::ZeroCapacity { .. } => Some("capacity"),
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
