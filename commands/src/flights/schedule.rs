//! Schedule a flight instance: its route, times and cabins (capacity and base fare).

use crate::{Application, Call, CommandError, Envelope, UseCaseResult};
use skyfly_domain::inventory::{
    CabinSpec, FlightInventory, InventoryCommand, InventoryError, ScheduleFlight,
};
use skyfly_fixtures::schedule_csv::FlightPlan;

/// Schedule a flight instance (staff): a validated plan.
#[derive(Debug, Clone)]
pub struct ScheduleFlightPlan(pub FlightPlan);

/// A scheduled flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    /// The inventory's version after scheduling.
    pub version: u64,
    /// Global position of the event.
    pub position: Option<u64>,
}

fn command(plan: &FlightPlan) -> InventoryCommand {
    InventoryCommand::ScheduleFlight(ScheduleFlight {
        flight_id: plan.flight_id.clone(),
        origin: plan.origin,
        destination: plan.destination,
        departure: plan.departure,
        arrival: plan.arrival,
        cabins: plan
            .cabins
            .iter()
            .map(|(c, (capacity, fare))| {
                let spec = CabinSpec {
                    capacity: *capacity,
                    fare: *fare,
                };
                (*c, spec)
            })
            .collect(),
    })
}

/// Schedules a flight; refused (`already_scheduled`) if it exists.
pub async fn schedule(
    app: &Application,
    call: &Call,
    ScheduleFlightPlan(plan): &ScheduleFlightPlan,
) -> UseCaseResult<Scheduled> {
    let envelope = Envelope::new(command(plan), call.metadata());
    let done = app
        .bus
        .execute::<FlightInventory>(&plan.flight_id, envelope)
        .await?;
    Ok(Scheduled {
        version: done.version,
        position: done.position,
    })
}

/// Schedules a flight unless it exists: `Ok(None)` if it was already scheduled (imports and the
/// demo loader are idempotent).
pub async fn schedule_plan(
    app: &Application,
    call: &Call,
    plan: &FlightPlan,
) -> Result<Option<Scheduled>, CommandError<InventoryError>> {
    let envelope = Envelope::new(command(plan), call.metadata());
    match app
        .bus
        .execute::<FlightInventory>(&plan.flight_id, envelope)
        .await
    {
        Ok(done) if done.already_applied => Ok(None),
        Ok(done) => Ok(Some(Scheduled {
            version: done.version,
            position: done.position,
        })),
        Err(CommandError::Rejected(InventoryError::AlreadyScheduled)) => Ok(None),
        Err(e) => Err(e),
    }
}
