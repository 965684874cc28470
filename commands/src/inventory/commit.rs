//! Commit a booking's held seats: held → sold.

use super::on_scheduled_flight;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::{BookingId, FlightId};
use skyfly_domain::inventory::{CommitSeats, FlightInventory, InventoryCommand};

/// Turn the seats a booking holds on a flight into sold seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The flight.
    pub flight_id: FlightId,
    /// The booking whose hold is committed.
    pub booking_id: BookingId,
}

/// Commits the hold now; refused if the flight is not scheduled, the booking holds nothing there
/// (`no_such_hold`) or the hold has expired (`hold_expired`).
pub async fn commit(
    app: &Application,
    call: &Call,
    command: Commit,
) -> UseCaseResult<Executed<FlightInventory>> {
    let Commit {
        flight_id,
        booking_id,
    } = command;
    on_scheduled_flight(app, call, &flight_id, |now| {
        InventoryCommand::CommitSeats(CommitSeats { booking_id, now })
    })
    .await
}
