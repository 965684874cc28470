//! The application state shared by all handlers.

use crate::auth::JwtKeys;
use metrics_exporter_prometheus::PrometheusHandle;
use skyfly_commands::{Application, CommandBus, ProcessManager};
use skyfly_domain::card::PaymentProvider;
use skyfly_domain::clock::Clock;
use skyfly_domain::place::{Airport, Iata};
use skyfly_engine::Engine;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What every handler can reach: the use cases, and what queries read.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: Application,
    /// The command path (queries load aggregates through it).
    pub bus: Arc<CommandBus>,
    /// Drives the booking sagas (runs in the background of every process that has one).
    pub process: Arc<ProcessManager>,
    /// The read models' projectors (their positions gate read-your-writes).
    pub projectors: Vec<Arc<skyfly_projections::Projector>>,
    /// PostgreSQL: the read models, idempotency keys.
    pub pool: PgPool,
    /// The engine's time.
    pub clock: Arc<dyn Clock>,
    /// The card processor.
    pub payments: Arc<dyn PaymentProvider>,
    /// Signs and checks access tokens.
    pub jwt: JwtKeys,
    /// The airports the engine knows.
    pub airports: Arc<BTreeMap<Iata, Airport>>,
    /// The Prometheus recorder, if this process installed one.
    pub metrics: Option<PrometheusHandle>,
    /// NATS (JetStream), if configured: the live stream and the health check use it.
    pub nats: Option<skyfly_infra::nats::Nats>,
    /// The event relay to JetStream (runs in worker processes).
    pub relay: Option<Arc<skyfly_infra::nats::Relay>>,
    /// `Idempotency-Key` settings: how long keys are kept, how many requests hold one at once.
    pub idempotency: crate::idempotency::IdempotencyKeys,
    /// The process is going down: live streams end when it is triggered.
    pub shutdown: skyfly_engine::Shutdown,
}

impl AppState {
    /// The HTTP adapter's state over a built engine.
    pub fn new(engine: &Engine, metrics: Option<PrometheusHandle>) -> Self {
        let app = engine.app.clone();
        Self {
            bus: Arc::clone(&app.bus),
            process: Arc::clone(&app.process),
            clock: Arc::clone(app.bus.clock()),
            payments: Arc::clone(&app.payments),
            airports: Arc::clone(&app.airports),
            projectors: engine.projectors.clone(),
            pool: engine.pool.clone(),
            jwt: JwtKeys::from_secret(engine.jwt_secret.as_bytes()),
            metrics,
            nats: engine.nats.clone(),
            relay: engine.relay.clone(),
            idempotency: crate::idempotency::IdempotencyKeys::new(
                crate::idempotency::DEFAULT_TTL,
                engine.pool.options().get_max_connections(),
            ),
            shutdown: engine.shutdown.clone(),
            app,
        }
    }

    /// The same state keeping idempotency keys for `ttl`.
    pub fn with_idempotency_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.idempotency = self.idempotency.with_ttl(ttl);
        self
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("airports", &self.airports.len())
            .finish_non_exhaustive()
    }
}
