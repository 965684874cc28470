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
    pub capacity: u32,
    pub fare: Money,
}

/// Where released seats came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatState {
    Held,
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
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseReason::Compensation => "compensation",
            ReleaseReason::Expired => "expired",
            ReleaseReason::Cancelled => "cancelled",
            ReleaseReason::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum InventoryEvent {
    /// The flight instance was put on sale with these cabins; every seat starts available.
    FlightScheduled {
        flight_id: FlightId,
        flight_number: FlightNumber,
        origin: Iata,
        destination: Iata,
        departure: DateTime<Utc>,
        arrival: DateTime<Utc>,
        cabins: BTreeMap<Cabin, CabinSpec>,
    },
    /// Seats moved from available to held for a booking, until `expires_at`.
    SeatsReserved {
        booking_id: BookingId,
        cabin: Cabin,
        seats: u32,
        expires_at: DateTime<Utc>,
    },
    /// A booking's held or sold seats became available again.
    SeatsReleased {
        booking_id: BookingId,
        cabin: Cabin,
        seats: u32,
        was: SeatState,
        reason: ReleaseReason,
    },
    /// A booking's held seats became sold.
    SeatsCommitted {
        booking_id: BookingId,
        cabin: Cabin,
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
