//! `ReleaseSeats` and `ExpireHold`: seats go back on sale.

use super::events::{InventoryEvent, ReleaseReason, SeatState};
use super::{FlightInventory, InventoryError};
use crate::ids::BookingId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Gives a booking's seats back, whether held or sold (compensation, cancellation, staff).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseSeats {
    /// The booking whose seats go back on sale.
    pub booking_id: BookingId,
    /// Why they go back on sale.
    pub reason: ReleaseReason,
}

/// Ends a hold whose deadline has passed (sent by the expiry scheduler).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpireHold {
    /// The booking whose hold is to expire.
    pub booking_id: BookingId,
    /// The instant of the expiry; refused while it is before the hold's deadline.
    pub now: DateTime<Utc>,
}

pub(super) fn decide_release(
    state: &FlightInventory,
    cmd: &ReleaseSeats,
) -> Result<Vec<InventoryEvent>, InventoryError> {
    let released = if let Some(hold) = state.holds.get(&cmd.booking_id) {
        Some((hold.cabin, hold.seats, SeatState::Held))
    } else {
        state
            .sold
            .get(&cmd.booking_id)
            .map(|sale| (sale.cabin, sale.seats, SeatState::Sold))
    };
    // Nothing held or sold: already released (or never reserved). A compensation must be able to
    // run any number of times.
    Ok(released
        .map(|(cabin, seats, was)| InventoryEvent::SeatsReleased {
            booking_id: cmd.booking_id,
            cabin,
            seats,
            was,
            reason: cmd.reason,
        })
        .into_iter()
        .collect())
}

pub(super) fn decide_expire(
    state: &FlightInventory,
    cmd: &ExpireHold,
) -> Result<Vec<InventoryEvent>, InventoryError> {
    let Some(hold) = state.holds.get(&cmd.booking_id) else {
        return Ok(vec![]);
    };
    if cmd.now < hold.expires_at {
        return Err(InventoryError::HoldNotExpired {
            expires_at: hold.expires_at,
        });
    }
    Ok(vec![InventoryEvent::SeatsReleased {
        booking_id: cmd.booking_id,
        cabin: hold.cabin,
        seats: hold.seats,
        was: SeatState::Held,
        reason: ReleaseReason::Expired,
    }])
}
