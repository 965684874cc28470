//! Reserve seats for a booking: a hold that lasts [`SEAT_HOLD`] unless committed.

use super::{SEAT_HOLD, on_scheduled_flight};
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::{BookingId, FlightId};
use skyfly_domain::inventory::{FlightInventory, InventoryCommand, ReserveSeats};

/// Hold `seats` seats of a cabin of a flight for a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserve {
    /// The flight.
    pub flight_id: FlightId,
    /// The booking the seats are held for.
    pub booking_id: BookingId,
    /// The cabin.
    pub cabin: Cabin,
    /// How many seats (1 to 9; the inventory refuses others).
    pub seats: u32,
}

/// Holds the seats until [`SEAT_HOLD`] from now; refused if the flight is not scheduled
/// (`unknown_flight`) or the inventory refuses (`seats_unavailable`, `invalid_seat_count`, …).
pub async fn reserve(
    app: &Application,
    call: &Call,
    command: Reserve,
) -> UseCaseResult<Executed<FlightInventory>> {
    let Reserve {
        flight_id,
        booking_id,
        cabin,
        seats,
    } = command;
    on_scheduled_flight(app, call, &flight_id, |now| {
        InventoryCommand::ReserveSeats(ReserveSeats {
            booking_id,
            cabin,
            seats,
            now,
            hold_until: now + SEAT_HOLD,
        })
    })
    .await
}
