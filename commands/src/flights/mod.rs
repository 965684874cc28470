//! Flight use cases: schedule one flight instance (staff), import a schedule file.

mod import;
mod schedule;

#[cfg(test)]
mod tests;

pub use import::{ImportError, ImportReport, ImportSchedule, MAX_IMPORT_DAYS, import_schedule};
pub use schedule::{ScheduleFlightPlan, Scheduled, schedule, schedule_plan};
pub use skyfly_fixtures::schedule_csv::FlightPlan;

use crate::{Application, UseCaseError, UseCaseResult};
use chrono::{DateTime, Utc};
use skyfly_domain::ids::{FlightId, FlightNumber};
use skyfly_domain::place::Iata;

/// `code` as an airport the engine knows, or an invalid `field`.
pub fn known_airport(app: &Application, field: &str, code: &str) -> UseCaseResult<Iata> {
    let iata = Iata::parse(code).map_err(|e| UseCaseError::invalid(field, "invalid_field", e))?;
    if app.airports.contains_key(&iata) {
        Ok(iata)
    } else {
        Err(UseCaseError::invalid(
            field,
            "unknown_airport",
            format!("no airport {code} is known"),
        ))
    }
}

/// The id of the flight instance `number` departing `origin` at `departure`: the flight number
/// and the local date of departure at the origin, as a timetable (and a schedule import) names
/// it. The UTC date only for an airport whose zone is not in the tz database.
pub fn flight_id(
    app: &Application,
    number: FlightNumber,
    origin: Iata,
    departure: DateTime<Utc>,
) -> FlightId {
    let zone = app
        .airports
        .get(&origin)
        .and_then(skyfly_fixtures::airports::time_zone);
    let date = zone.map_or(departure.date_naive(), |zone| {
        departure.with_timezone(&zone).date_naive()
    });
    FlightId::new(number, date)
}
