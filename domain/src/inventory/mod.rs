//! The seat inventory of one flight instance (`FlightInventory`, stream `flight-<FlightId>`).
//!
//! Owns the seats of every cabin and who holds them: `capacity = available + held + sold` per cabin,
//! always. A booking first *holds* seats (`ReserveSeats`, with a deadline), then either *commits*
//! them (`CommitSeats`: held → sold) or gives them back (`ReleaseSeats`, `ExpireHold`).
//!
//! Key decision: every seat command names its booking, and a booking owns at most one hold or sale
//! per flight, so redelivered commands are recognised and answered with no events (idempotent), and
//! a released booking can never silently grab seats again.

mod commit_seats;
mod error;
mod events;
mod release_seats;
mod reserve_seats;
mod schedule_flight;
mod state;

#[cfg(test)]
mod tests;

pub use commit_seats::CommitSeats;
pub use error::InventoryError;
pub use events::{CabinSpec, InventoryEvent, ReleaseReason, SeatState};
pub use release_seats::{ExpireHold, ReleaseSeats};
pub use reserve_seats::{MAX_SEATS_PER_BOOKING, ReserveSeats};
pub use schedule_flight::{MAX_CABIN_CAPACITY, ScheduleFlight};
pub use state::{CabinInventory, FlightInventory, FlightSchedule, Hold, Sale};

use crate::aggregate::Aggregate;

/// How long reserved seats are held unless committed (DOMAIN.md): the booking saga asks for a hold
/// this long after its `reserve_seats` step starts, and staff reservations get the same.
pub const SEAT_HOLD: chrono::Duration = chrono::Duration::minutes(15);

command_enum! {
    /// Every command the flight inventory accepts.
    pub enum InventoryCommand {
        /// Put a flight instance on sale.
        ScheduleFlight,
        /// Hold seats for a booking until a deadline.
        ReserveSeats,
        /// Give a booking's held or sold seats back.
        ReleaseSeats,
        /// End a hold whose deadline has passed.
        ExpireHold,
        /// Sell a booking the seats it holds.
        CommitSeats,
    }
}

impl Aggregate for FlightInventory {
    const CATEGORY: &'static str = "flight";
    type Event = InventoryEvent;
    type Command = InventoryCommand;
    type Error = InventoryError;

    fn evolve(&mut self, event: &InventoryEvent) {
        self.apply(event);
    }

    fn decide(&self, command: &InventoryCommand) -> Result<Vec<InventoryEvent>, InventoryError> {
        match command {
            InventoryCommand::ScheduleFlight(c) => schedule_flight::decide(self, c),
            InventoryCommand::ReserveSeats(c) => reserve_seats::decide(self, c),
            InventoryCommand::ReleaseSeats(c) => release_seats::decide_release(self, c),
            InventoryCommand::ExpireHold(c) => release_seats::decide_expire(self, c),
            InventoryCommand::CommitSeats(c) => commit_seats::decide(self, c),
        }
    }
}
