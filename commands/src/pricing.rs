//! Quote a fare: what `passengers` seats in a cabin of a flight cost now (`fare = n × base_fare`,
//! `taxes = round_half_up(7.5% × fare)`, valid [`QUOTE_VALIDITY`]).
//!
//! A quote is a calculation, not a reservation: nothing is recorded, and a booking placed later
//! is priced again by the same rule at its own time. The quote's id names its content (flight,
//! cabin, party, amounts, expiry), so the same question at the same instant gets the same id.

#[cfg(test)]
mod tests;

use crate::{Application, UseCaseError, UseCaseResult};
use skyfly_domain::booking::MAX_PASSENGERS;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::{FlightId, SKYFLY_NAMESPACE};
use skyfly_domain::inventory::FlightInventory;
pub use skyfly_domain::pricing::{QUOTE_VALIDITY, Quote};
use uuid::Uuid;

/// Ask what seats cost; every value already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSeats {
    /// The flight.
    pub flight_id: FlightId,
    /// The cabin.
    pub cabin: Cabin,
    /// How many seats (1 to 9).
    pub passengers: u32,
}

impl PriceSeats {
    /// The question from raw values, naming the first invalid field (`passengers`, then
    /// `flight_id`).
    pub fn parse(flight_id: &str, cabin: Cabin, passengers: u32) -> UseCaseResult<Self> {
        if passengers == 0 || passengers as usize > MAX_PASSENGERS {
            return Err(UseCaseError::invalid(
                "passengers",
                "out_of_range",
                format!("a party is 1 to {MAX_PASSENGERS} passengers"),
            ));
        }
        let flight_id = FlightId::parse(flight_id)
            .map_err(|e| UseCaseError::invalid("flight_id", "invalid_field", e))?;
        Ok(Self {
            flight_id,
            cabin,
            passengers,
        })
    }
}

/// A quote and the id naming its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    /// Names the quote's content: the same question at the same instant, the same id.
    pub quote_id: Uuid,
    /// The amounts and until when they hold.
    pub quote: Quote,
}

/// Prices the seats at the engine's time; refused if the flight is not scheduled
/// (`unknown_flight`) or has no such cabin (`cabin_not_offered`). Records nothing.
pub async fn quote(app: &Application, question: PriceSeats) -> UseCaseResult<Quoted> {
    let PriceSeats {
        flight_id,
        cabin,
        passengers,
    } = question;
    let (inventory, _) = app.bus.load::<FlightInventory>(&flight_id).await?;
    if inventory.schedule().is_none() {
        return Err(crate::inventory::unknown_flight());
    }
    let offered = inventory.cabin(cabin).ok_or_else(|| {
        UseCaseError::invalid(
            "cabin",
            "cabin_not_offered",
            "this flight does not offer that cabin",
        )
    })?;
    let quote =
        skyfly_domain::pricing::quote(flight_id, cabin, passengers, offered.fare, app.now())
            .map_err(|e| UseCaseError::invalid("passengers", "invalid_field", e))?;
    let content =
        serde_json::to_string(&quote).map_err(|e| UseCaseError::Internal(e.to_string()))?;
    Ok(Quoted {
        quote_id: Uuid::new_v5(&SKYFLY_NAMESPACE, format!("quote/{content}").as_bytes()),
        quote,
    })
}
