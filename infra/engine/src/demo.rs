//! The demo: accounts and a generated network for the next days, loaded through the use cases.
//! Idempotent: loading it twice adds nothing.

use crate::Engine;
use futures::StreamExt;
use skyfly_commands::flights::schedule_plan;
use skyfly_commands::identity::{RegisterAccount, register};
use skyfly_commands::{Application, Call, UseCaseError, UseCaseResult};
use skyfly_domain::event::Actor;
use skyfly_domain::identity::Role;
use skyfly_domain::ids::{CommandId, UserId};
use skyfly_fixtures::demo;
pub use skyfly_fixtures::demo::{DemoAccount, demo_customers, demo_staff};
pub use skyfly_fixtures::schedule_csv::FlightPlan;

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A use case failed.
    #[error("{what}: {source}")]
    UseCase {
        /// What was being loaded.
        what: String,
        /// Why it failed.
        source: UseCaseError,
    },
    /// PostgreSQL failed.
    #[error("PostgreSQL: {0}")]
    Database(#[from] sqlx::Error),
}

/// What the demo loaded.
#[derive(Debug, Default)]
pub struct DemoSummary {
    /// The demo accounts: e-mail, password (demo passwords, not secrets), role.
    pub accounts: Vec<(String, String, &'static str)>,
    /// Flights this load scheduled.
    pub flights_scheduled: usize,
    /// Flights that were there already.
    pub flights_existing: usize,
    /// A flight a reader can book right away.
    pub sample_flight: Option<String>,
}

/// Creates a staff account (`skyfly staff create`, and the demo's staff account). A retry with the
/// same password completes a registration cut short.
pub async fn create_staff(
    app: &Application,
    email: &str,
    password: &str,
    name: &str,
) -> UseCaseResult<UserId> {
    let command = RegisterAccount::parse(email, password, name, Role::Staff)?;
    let command_id = CommandId::derived(&format!("staff/{}", email.trim().to_lowercase()));
    Ok(register(app, command_id, command).await?.user_id)
}

/// Registers `email` unless it is registered already (the demo is loaded at every start).
async fn ensure(
    what: &str,
    registration: impl std::future::Future<Output = UseCaseResult<UserId>>,
) -> Result<(), DemoError> {
    match registration.await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("email_taken") => Ok(()),
        Err(source) => Err(DemoError::UseCase {
            what: what.to_owned(),
            source,
        }),
    }
}

/// Loads the demo: accounts and a generated network for the next `days` days.
pub async fn load(engine: &Engine, days: u32) -> Result<DemoSummary, DemoError> {
    let app = &engine.app;
    let staff = demo::demo_staff();
    let mut summary = DemoSummary::default();
    ensure(
        "demo staff account",
        create_staff(app, staff.email, staff.password, staff.name),
    )
    .await?;
    summary
        .accounts
        .push((staff.email.to_owned(), staff.password.to_owned(), "staff"));
    for c in demo::demo_customers() {
        let customer = async {
            let command = RegisterAccount::parse(c.email, c.password, c.name, Role::Customer)?;
            let command_id = CommandId::derived(&format!("demo-customer/{}", c.email));
            Ok(register(app, command_id, command).await?.user_id)
        };
        ensure(&format!("demo customer {}", c.email), customer).await?;
        summary
            .accounts
            .push((c.email.to_owned(), c.password.to_owned(), "customer"));
    }
    let now = app.now();
    let plans = demo::demo_schedule(SEED, now.date_naive(), days);
    let streams: Vec<String> = plans
        .iter()
        .map(|p| {
            skyfly_domain::aggregate::stream_id::<skyfly_domain::inventory::FlightInventory>(
                &p.flight_id,
            )
        })
        .collect();
    let existing = skyfly_infra::pg::existing_streams(&engine.pool, &streams).await?;
    summary.flights_existing = existing.len();
    let missing: Vec<_> = plans
        .iter()
        .zip(&streams)
        .filter(|(_, s)| !existing.contains(*s))
        .map(|(p, _)| p)
        .collect();
    // Distinct streams, so they can go in parallel; the pool bounds the concurrency anyway.
    let results: Vec<_> = futures::stream::iter(missing)
        .map(|plan| async move {
            let call = Call::new(
                CommandId::derived(&format!("schedule/{}", plan.flight_id)),
                Actor::system("demo"),
            );
            (plan, schedule_plan(app, &call, plan).await)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (plan, result) in results {
        match result {
            Ok(Some(_)) => summary.flights_scheduled += 1,
            Ok(None) => summary.flights_existing += 1,
            Err(e) => {
                return Err(DemoError::UseCase {
                    what: format!("demo flight {}", plan.flight_id),
                    source: e.into(),
                });
            }
        }
    }
    summary.sample_flight = sample_of(&plans, now).map(|p| p.flight_id.to_string());
    Ok(summary)
}

/// The demo's seed: every load generates the same network.
const SEED: u64 = 42;

/// A demo flight a reader can book right away, `now` being the time of the demo's load or later:
/// the first DFW→ORD departure tomorrow or later (the first departure then, if there were none).
/// The OpenAPI document's examples name it, so that they work against the demo.
pub fn sample_flight(now: chrono::DateTime<chrono::Utc>) -> Option<FlightPlan> {
    sample_of(&demo::demo_schedule(SEED, now.date_naive(), 3), now).cloned()
}

fn sample_of(plans: &[FlightPlan], now: chrono::DateTime<chrono::Utc>) -> Option<&FlightPlan> {
    let tomorrow = now + chrono::Duration::days(1);
    plans
        .iter()
        .filter(|p| p.departure >= tomorrow)
        .min_by_key(|p| {
            (
                p.origin.as_str() != "DFW" || p.destination.as_str() != "ORD",
                p.departure,
            )
        })
}
