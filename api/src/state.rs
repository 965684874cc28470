//! The application state shared by all handlers.

use crate::auth::JwtKeys;
use metrics_exporter_prometheus::PrometheusHandle;
use skyfly_commands::{CommandBus, ProcessManager};
use skyfly_domain::card::PaymentProvider;
use skyfly_domain::clock::Clock;
use skyfly_domain::place::{Airport, Iata};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub bus: Arc<CommandBus>,
    /// Drives the booking sagas (runs in the background of every process that has one).
    pub process: Arc<ProcessManager>,
    /// The read models' projectors (running in the background).
    pub projectors: Vec<Arc<skyfly_projections::Projector>>,
    pub pool: PgPool,
    pub clock: Arc<dyn Clock>,
    pub payments: Arc<dyn PaymentProvider>,
    pub jwt: JwtKeys,
    pub airports: Arc<BTreeMap<Iata, Airport>>,
    pub metrics: Option<PrometheusHandle>,
    /// NATS (JetStream), if configured: the live stream and the health check use it.
    pub nats: Option<skyfly_infra::nats::Nats>,
    /// The event relay to JetStream (runs in worker processes).
    pub relay: Option<Arc<skyfly_infra::nats::Relay>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("airports", &self.airports.len())
            .finish_non_exhaustive()
    }
}
