//! Seat inventory use cases (staff; the saga's process manager sends the same commands): reserve
//! seats for a booking (a hold for [`SEAT_HOLD`]), release them, commit them (held → sold).

mod commit;
mod release;
mod reserve;

#[cfg(test)]
mod tests;

pub use commit::{Commit, commit};
pub use release::{Release, release};
pub use reserve::{Reserve, reserve};
pub use skyfly_domain::saga::SEAT_HOLD;

use crate::{Application, Call, Executed, UseCaseError, UseCaseResult};
use chrono::{DateTime, Utc};
use skyfly_domain::ids::FlightId;
use skyfly_domain::inventory::{FlightInventory, InventoryCommand};

/// The refusal for a seat command on a flight that is not scheduled: it names the `flight_id`.
pub fn unknown_flight() -> UseCaseError {
    UseCaseError::invalid("flight_id", "unknown_flight", "no such flight is scheduled")
}

/// Runs a seat command on a scheduled flight.
async fn on_scheduled_flight(
    app: &Application,
    call: &Call,
    flight_id: &FlightId,
    command: impl FnOnce(DateTime<Utc>) -> InventoryCommand + Send,
) -> UseCaseResult<Executed<FlightInventory>> {
    app.execute_existing::<FlightInventory>(
        call,
        flight_id,
        FlightInventory::is_scheduled,
        unknown_flight,
        command,
    )
    .await
}
