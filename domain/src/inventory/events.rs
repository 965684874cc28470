//! Events of the flight inventory. Stored type names are the variant names and never change.

use crate::aggregate::DomainEvent;
use crate::cabin::Cabin;
use crate::ids::{BookingId, FlightId, FlightNumber};
use crate::money::Money;
use crate::place::Iata;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A cabin as scheduled: how many seats and the base fare of one seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CabinSpec {
    /// How many seats the cabin has.
    pub capacity: u32,
    /// The base fare of one seat in the cabin.
    pub fare: Money,
}

/// Where released seats came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatState {
    /// The seats were held for the booking, not yet sold.
    Held,
    /// The seats had been sold to the booking.
    Sold,
}

/// Why seats went back on sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    /// The booking saga failed after the seats were held.
    Compensation,
    /// The hold's deadline passed before it was committed.
    Expired,
    /// A confirmed booking was cancelled.
    Cancelled,
    /// Staff released them by hand.
    Manual,
}

impl ReleaseReason {
    /// The reason's stable name (`"compensation"`, `"expired"`, `"cancelled"`, `"manual"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseReason::Compensation => "compensation",
            ReleaseReason::Expired => "expired",
            ReleaseReason::Cancelled => "cancelled",
            ReleaseReason::Manual => "manual",
        }
    }
}

/// What happened to a flight instance's seats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum InventoryEvent {
    /// The flight instance was put on sale with these cabins; every seat starts available.
    FlightScheduled {
        /// The flight instance.
        flight_id: FlightId,
        /// Its flight number.
        flight_number: FlightNumber,
        /// The airport it departs from.
        origin: Iata,
        /// The airport it arrives at.
        destination: Iata,
        /// When it departs (UTC).
        departure: DateTime<Utc>,
        /// When it arrives (UTC).
        arrival: DateTime<Utc>,
        /// The cabins offered, each with its capacity and base fare.
        cabins: BTreeMap<Cabin, CabinSpec>,
    },
    /// Seats moved from available to held for a booking, until `expires_at`.
    SeatsReserved {
        /// The booking the seats are held for.
        booking_id: BookingId,
        /// The cabin of the seats.
        cabin: Cabin,
        /// How many seats are held.
        seats: u32,
        /// When the hold lapses unless the seats are committed.
        expires_at: DateTime<Utc>,
    },
    /// A booking's held or sold seats became available again.
    SeatsReleased {
        /// The booking whose seats were released.
        booking_id: BookingId,
        /// The cabin of the seats.
        cabin: Cabin,
        /// How many seats were released.
        seats: u32,
        /// Whether the seats were held or sold until now.
        was: SeatState,
        /// Why they were released.
        reason: ReleaseReason,
    },
    /// A booking's held seats became sold.
    SeatsCommitted {
        /// The booking the seats were sold to.
        booking_id: BookingId,
        /// The cabin of the seats.
        cabin: Cabin,
        /// How many seats were sold.
        seats: u32,
    },
}

impl DomainEvent for InventoryEvent {
    fn event_type(&self) -> &'static str {
        match self {
            InventoryEvent::FlightScheduled { .. } => "FlightScheduled",
            InventoryEvent::SeatsReserved { .. } => "SeatsReserved",
            InventoryEvent::SeatsReleased { .. } => "SeatsReleased",
            InventoryEvent::SeatsCommitted { .. } => "SeatsCommitted",
        }
    }
}
