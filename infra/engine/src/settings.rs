//! What the engine is built from, and what a process does.

use skyfly_domain::card::PaymentProvider;
use skyfly_domain::clock::Clock;
use skyfly_domain::identity::CredentialStore;
use skyfly_domain::process::ProcessStore;
use skyfly_domain::store::EventStore;
use std::sync::Arc;

/// Everything the engine is built from. Adapters fill it from their own configuration (the CLI's
/// flags and environment, a test's needs).
pub struct Settings {
    /// PostgreSQL; the database is created and migrated if missing, unless `read_only`.
    pub database_url: String,
    /// A read-only engine (exports, status): the database must exist and be migrated, and
    /// building it writes nothing (no database, migration, reference data, stored setting,
    /// read-model table or NATS relay is created).
    pub read_only: bool,
    /// How long, in all, to keep retrying while PostgreSQL turns connections away (starting
    /// up, too many clients); zero: try once.
    pub connect_wait: std::time::Duration,
    /// Secret for signing access tokens; generated and stored on first start if unset.
    pub jwt_secret: Option<String>,
    /// NATS with JetStream; `None` or empty: run without NATS.
    pub nats_url: Option<String>,
    /// The subject prefix of this engine's events on NATS (default `skyfly.events`).
    pub nats_prefix: Option<String>,
    /// The engine's time.
    pub clock: Arc<dyn Clock>,
    /// The card processor.
    pub payments: Arc<dyn PaymentProvider>,
    /// Size of the PostgreSQL connection pool.
    pub max_connections: u32,
    /// This process's id as a saga worker (claims on sagas name it); random if unset.
    pub worker_id: Option<uuid::Uuid>,
    /// Stores to use instead of the PostgreSQL ones.
    pub stores: Stores,
}

impl Settings {
    /// An engine on `database_url` with `clock`: no NATS, the built-in card processor, a
    /// generated JWT secret, a small pool, PostgreSQL stores. Callers change what they need.
    pub fn new(database_url: &str, clock: Arc<dyn Clock>) -> Self {
        Self {
            database_url: database_url.to_owned(),
            read_only: false,
            connect_wait: std::time::Duration::ZERO,
            jwt_secret: None,
            nats_url: None,
            nats_prefix: None,
            clock,
            payments: Arc::new(skyfly_infra::card::BuiltInCardProcessor),
            max_connections: 10,
            worker_id: None,
            stores: Stores::default(),
        }
    }

    /// The same settings with the in-memory event, process and credential stores (read models
    /// stay in PostgreSQL).
    pub fn in_memory(mut self) -> Self {
        self.stores = Stores::in_memory();
        self
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("nats_url", &self.nats_url)
            .field("max_connections", &self.max_connections)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

/// Where events, the process managers' state and credentials live: PostgreSQL (the database of
/// the settings) unless given. Scenarios and tests may give the in-memory adapters.
#[derive(Clone, Default)]
pub struct Stores {
    /// The event store.
    pub events: Option<Arc<dyn EventStore>>,
    /// The process managers' store (checkpoints, wake-ups, claims).
    pub process: Option<Arc<dyn ProcessStore>>,
    /// Credentials and refresh tokens.
    pub credentials: Option<Arc<dyn CredentialStore>>,
}

impl Stores {
    /// Fresh in-memory stores.
    pub fn in_memory() -> Self {
        Self {
            events: Some(Arc::new(skyfly_infra::MemoryEventStore::new())),
            process: Some(Arc::new(
                skyfly_infra::process::MemoryProcessStore::default(),
            )),
            credentials: Some(Arc::new(skyfly_infra::MemoryCredentialStore::default())),
        }
    }
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores")
            .field("events", &self.events.is_some())
            .field("process", &self.process.is_some())
            .field("credentials", &self.credentials.is_some())
            .finish()
    }
}

/// What a `skyfly serve` process does (docs/adr/0005). Several processes share one database:
/// any number of each role; `all` is one process doing everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessRole {
    /// The HTTP API only (commands and queries).
    Api,
    /// The process manager (sagas, hold and miles expiries) and the event relay to NATS.
    Worker,
    /// The projectors that keep the read models.
    Projector,
    /// Everything in one process.
    All,
}

impl ProcessRole {
    /// Every role's name, as `--role` takes it.
    pub const NAMES: [&'static str; 4] = ["api", "worker", "projector", "all"];

    /// The role named `name` (one of [`ProcessRole::NAMES`]).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "api" => Some(Self::Api),
            "worker" => Some(Self::Worker),
            "projector" => Some(Self::Projector),
            "all" => Some(Self::All),
            _ => None,
        }
    }

    /// Whether this role answers HTTP.
    pub fn serves_http(self) -> bool {
        matches!(self, Self::Api | Self::All)
    }

    /// Whether this role drives sagas and relays the log.
    pub fn works(self) -> bool {
        matches!(self, Self::Worker | Self::All)
    }

    /// Whether this role keeps the read models.
    pub fn projects(self) -> bool {
        matches!(self, Self::Projector | Self::All)
    }
}
