//! `ReserveSeats`: hold seats for a booking until a deadline.

use super::events::InventoryEvent;
use super::{FlightInventory, InventoryError};
use crate::cabin::Cabin;
use crate::ids::BookingId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most seats one booking may hold (one per passenger).
pub const MAX_SEATS_PER_BOOKING: u32 = 9;

/// Holds seats in one cabin for a booking until a deadline: the first step of a booking's saga.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReserveSeats {
    /// The booking the seats are for; it may own at most one hold or sale on the flight.
    pub booking_id: BookingId,
    /// The cabin to hold seats in.
    pub cabin: Cabin,
    /// How many seats: one per passenger, 1 to [`MAX_SEATS_PER_BOOKING`].
    pub seats: u32,
    /// The instant of the request; refused at or after departure.
    pub now: DateTime<Utc>,
    /// When the hold lapses unless committed.
    pub hold_until: DateTime<Utc>,
}

pub(super) fn decide(
    state: &FlightInventory,
    cmd: &ReserveSeats,
) -> Result<Vec<InventoryEvent>, InventoryError> {
    let schedule = state
        .schedule
        .as_ref()
        .ok_or(InventoryError::NotScheduled)?;
    if cmd.seats == 0 || cmd.seats > MAX_SEATS_PER_BOOKING {
        return Err(InventoryError::InvalidSeatCount { seats: cmd.seats });
    }
    let cabin = schedule
        .cabins
        .get(&cmd.cabin)
        .ok_or(InventoryError::CabinNotOffered { cabin: cmd.cabin })?;

    // A redelivered reservation finds its own hold (or, later, its sale): nothing more to do.
    let existing = state
        .holds
        .get(&cmd.booking_id)
        .map(|h| (h.cabin, h.seats))
        .or_else(|| state.sold.get(&cmd.booking_id).map(|s| (s.cabin, s.seats)));
    if let Some((cabin, seats)) = existing {
        return if cabin == cmd.cabin && seats == cmd.seats {
            Ok(vec![])
        } else {
            Err(InventoryError::HoldMismatch { cabin, seats })
        };
    }
    // A late redelivery after compensation or expiry must not take seats again.
    if state.released.contains(&cmd.booking_id) {
        return Err(InventoryError::AlreadyReleased);
    }
    if cmd.now >= schedule.departure {
        return Err(InventoryError::Departed {
            departure: schedule.departure,
        });
    }
    if cmd.hold_until <= cmd.now {
        return Err(InventoryError::InvalidHoldDeadline);
    }
    if cabin.available < cmd.seats {
        return Err(InventoryError::NotEnoughSeats {
            requested: cmd.seats,
            available: cabin.available,
        });
    }
    Ok(vec![InventoryEvent::SeatsReserved {
        booking_id: cmd.booking_id,
        cabin: cmd.cabin,
        seats: cmd.seats,
        expires_at: cmd.hold_until,
    }])
}
