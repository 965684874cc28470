//! The read models the engine maintains, and the application's port to them.

use async_trait::async_trait;
use skyfly_commands::read_models::{Progress, ReadModelStatus, ReadModels, rebuild_in_progress};
use skyfly_commands::{UseCaseError, UseCaseResult};
use skyfly_domain::store::EventStore;
use skyfly_projections::runtime::ProjectionError;
use skyfly_projections::{Projection, Projector, RebuildClaim};
use sqlx::PgPool;
use std::sync::Arc;

/// Every read model the engine maintains.
pub fn read_models() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(skyfly_projections::flights::FlightAvailabilityProjection),
        Arc::new(skyfly_projections::bookings::BookingProjection),
        Arc::new(skyfly_projections::payments::PaymentProjection),
        Arc::new(skyfly_projections::documents::SagaProjection::default()),
        Arc::new(skyfly_projections::documents::LoyaltyAccountProjection::default()),
        Arc::new(skyfly_projections::loyalty::LoyaltyHistoryProjection),
    ]
}

/// The engine's projectors, as the application's [`ReadModels`] port.
pub struct ProjectorSet {
    pool: PgPool,
    store: Arc<dyn EventStore>,
    projectors: Vec<Arc<Projector>>,
}

impl ProjectorSet {
    /// The port over `projectors`, rebuilding from `store` into `pool`.
    pub fn new(pool: PgPool, store: Arc<dyn EventStore>, projectors: Vec<Arc<Projector>>) -> Self {
        Self {
            pool,
            store,
            projectors,
        }
    }
}

fn failed(e: impl std::fmt::Display) -> UseCaseError {
    UseCaseError::Internal(e.to_string())
}

#[async_trait]
impl ReadModels for ProjectorSet {
    fn names(&self) -> Vec<&'static str> {
        self.projectors.iter().map(|p| p.name()).collect()
    }

    async fn statuses(&self) -> UseCaseResult<Vec<ReadModelStatus>> {
        let mut statuses = Vec::with_capacity(self.projectors.len());
        for p in &self.projectors {
            let s = p.status().await.map_err(failed)?;
            statuses.push(ReadModelStatus {
                name: s.name,
                position: s.position,
                lag_events: s.lag_events,
                lag_ms: s.lag_ms,
                status: s.status,
            });
        }
        Ok(statuses)
    }

    async fn rebuild(&self, name: &str, progress: Progress<'_>) -> UseCaseResult<u64> {
        let projection = projection(name)?;
        RebuildClaim::acquire(&self.pool, name)
            .await
            .map_err(refused)?
            .run(self.store.as_ref(), projection.as_ref(), progress)
            .await
            .map_err(refused)
    }

    async fn start_rebuild(&self, name: &str) -> UseCaseResult<()> {
        let projection = projection(name)?;
        let claim = RebuildClaim::acquire(&self.pool, name)
            .await
            .map_err(refused)?;
        let store = Arc::clone(&self.store);
        tokio::spawn(async move {
            // What it came to is recorded with the claim (and logged there if it failed).
            if let Ok(n) = claim
                .run(store.as_ref(), projection.as_ref(), &|_, _| {})
                .await
            {
                tracing::info!(projection = projection.name(), events = n, "rebuilt");
            }
        });
        Ok(())
    }
}

fn projection(name: &str) -> UseCaseResult<Arc<dyn Projection>> {
    read_models()
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or(UseCaseError::NotFound("projection"))
}

/// A rebuild already running is the client's to wait for; anything else is ours.
fn refused(e: ProjectionError) -> UseCaseError {
    match e {
        ProjectionError::RebuildRunning(name) => rebuild_in_progress(&name),
        e => failed(e),
    }
}
