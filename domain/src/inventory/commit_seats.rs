//! `CommitSeats`: a booking's held seats become sold.

use super::events::InventoryEvent;
use super::{FlightInventory, InventoryError};
use crate::ids::BookingId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Sells a booking the seats it holds, before the hold lapses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitSeats {
    /// The booking whose hold is committed.
    pub booking_id: BookingId,
    /// The instant of the commit; refused from the hold's deadline on.
    pub now: DateTime<Utc>,
}

pub(super) fn decide(
    state: &FlightInventory,
    cmd: &CommitSeats,
) -> Result<Vec<InventoryEvent>, InventoryError> {
    if state.sold.contains_key(&cmd.booking_id) {
        return Ok(vec![]);
    }
    let hold = state
        .holds
        .get(&cmd.booking_id)
        .ok_or(InventoryError::NoSuchHold)?;
    if cmd.now >= hold.expires_at {
        return Err(InventoryError::HoldExpired {
            expires_at: hold.expires_at,
        });
    }
    Ok(vec![InventoryEvent::SeatsCommitted {
        booking_id: cmd.booking_id,
        cabin: hold.cabin,
        seats: hold.seats,
    }])
}
