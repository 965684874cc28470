//! `ScheduleFlight`: put a flight instance on sale.

use super::events::{CabinSpec, InventoryEvent};
use super::{FlightInventory, InventoryError};
use crate::cabin::Cabin;
use crate::ids::FlightId;
use crate::place::Iata;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most seats a cabin may have.
pub const MAX_CABIN_CAPACITY: u32 = 1_000;

/// Puts a flight instance on sale with its cabins; every seat starts available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleFlight {
    /// The flight instance: flight number and local date of departure at the origin.
    pub flight_id: FlightId,
    /// The airport it departs from.
    pub origin: Iata,
    /// The airport it arrives at; must differ from the origin.
    pub destination: Iata,
    /// When it departs (UTC).
    pub departure: DateTime<Utc>,
    /// When it arrives (UTC); must be after the departure.
    pub arrival: DateTime<Utc>,
    /// The cabins offered (at least one), each with its capacity (1 to [`MAX_CABIN_CAPACITY`])
    /// and base fare (above 0, at most [`Money::MAX_AMOUNT`](crate::money::Money::MAX_AMOUNT)).
    pub cabins: BTreeMap<Cabin, CabinSpec>,
}

pub(super) fn decide(
    state: &FlightInventory,
    cmd: &ScheduleFlight,
) -> Result<Vec<InventoryEvent>, InventoryError> {
    if state.schedule.is_some() {
        return Err(InventoryError::AlreadyScheduled);
    }
    if cmd.origin == cmd.destination {
        return Err(InventoryError::SameOriginAndDestination);
    }
    if cmd.arrival <= cmd.departure {
        return Err(InventoryError::ArrivalNotAfterDeparture);
    }
    if cmd.cabins.is_empty() {
        return Err(InventoryError::NoCabins);
    }
    for (cabin, spec) in &cmd.cabins {
        if spec.capacity == 0 || spec.capacity > MAX_CABIN_CAPACITY {
            return Err(InventoryError::InvalidCapacity { cabin: *cabin });
        }
        if spec.fare.amount <= 0 || spec.fare.amount > crate::money::Money::MAX_AMOUNT {
            return Err(InventoryError::InvalidFare { cabin: *cabin });
        }
    }
    Ok(vec![InventoryEvent::FlightScheduled {
        flight_id: cmd.flight_id.clone(),
        flight_number: cmd.flight_id.number().clone(),
        origin: cmd.origin,
        destination: cmd.destination,
        departure: cmd.departure,
        arrival: cmd.arrival,
        cabins: cmd.cabins.clone(),
    }])
}
