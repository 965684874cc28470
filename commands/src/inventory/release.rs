//! Release a booking's seats by hand: held or sold seats go back to the cabin.

use super::on_scheduled_flight;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::{BookingId, FlightId};
use skyfly_domain::inventory::{FlightInventory, InventoryCommand, ReleaseReason, ReleaseSeats};

/// Give back the seats a booking holds (or bought) on a flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The flight.
    pub flight_id: FlightId,
    /// The booking whose seats go back.
    pub booking_id: BookingId,
}

/// Releases the booking's seats (reason `manual`); refused if the flight is not scheduled or the
/// booking holds nothing there.
pub async fn release(
    app: &Application,
    call: &Call,
    command: Release,
) -> UseCaseResult<Executed<FlightInventory>> {
    let Release {
        flight_id,
        booking_id,
    } = command;
    on_scheduled_flight(app, call, &flight_id, |_now| {
        InventoryCommand::ReleaseSeats(ReleaseSeats {
            booking_id,
            reason: ReleaseReason::Manual,
        })
    })
    .await
}
