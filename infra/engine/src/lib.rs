//! # skyfly-engine
//!
//! **Owns** the one place where SkyFly is wired: [`Engine::build`] connects to PostgreSQL
//! (creating and migrating the database, or, for a read-only engine, requiring both and writing
//! nothing), loads the reference data, picks the event, process and
//! credential stores (PostgreSQL, or the in-memory ones a test or scenario asks for), and builds
//! the command bus, the application (use cases), the process manager, the projectors and the NATS
//! relay. [`Engine::start`] starts the background work of a process's role, and [`Running::stop`]
//! drains it within a deadline when the process goes down ([`Shutdown`]). The demo loader
//! ([`demo`]) fills a fresh engine through the use cases.
//!
//! **Must not depend on** `skyfly-api` or any other adapter that uses the engine (HTTP, CLI,
//! scenario runner, benchmark): they all build the engine here, and nothing here knows them.
//!
//! **Key decision** (docs/adr/0006): every entry point — `skyfly serve` in each role, the CLI
//! commands, the scenario runner, the benchmark and the tests — constructs the engine through this
//! one builder, so a wiring change is made once and exercised by every test.

#![warn(missing_docs)]

pub mod demo;
mod read_models;
mod settings;
mod shutdown;

pub use read_models::{ProjectorSet, read_models};
pub use settings::{ProcessRole, Settings, Stores};
pub use shutdown::{Running, Shutdown};

use skyfly_commands::{Application, CommandBus, ProcessManager};
use skyfly_domain::clock::Clock;
use skyfly_domain::identity::CredentialStore;
use skyfly_domain::place::{Airport, Iata};
use skyfly_domain::store::EventStore;
use skyfly_infra::PgEventStore;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why the engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// PostgreSQL could not be connected to, or its database or schema is missing.
    #[error(transparent)]
    Connect(#[from] skyfly_infra::pg::ConnectError),
    /// PostgreSQL refused or failed (reading reference data).
    #[error("PostgreSQL: {0}")]
    Database(#[from] sqlx::Error),
    /// NATS could not be reached or configured.
    #[error("NATS: {0}")]
    Nats(#[from] skyfly_infra::nats::NatsError),
}

/// A built engine: everything a process of any role needs.
#[derive(Clone)]
pub struct Engine {
    /// The use cases and the ports they run on.
    pub app: Application,
    /// PostgreSQL: the read models, credentials, settings (and the events, unless another event
    /// store was chosen).
    pub pool: PgPool,
    /// One projector per read model.
    pub projectors: Vec<Arc<skyfly_projections::Projector>>,
    /// NATS (JetStream), if configured.
    pub nats: Option<skyfly_infra::nats::Nats>,
    /// The relay of the log to JetStream (run by workers), if NATS is configured.
    pub relay: Option<Arc<skyfly_infra::nats::Relay>>,
    /// The secret access tokens are signed with (configured, or generated once and stored).
    pub jwt_secret: String,
    /// Tells long-lived work (live streams, the HTTP server) that the process is going down.
    pub shutdown: Shutdown,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("app", &self.app)
            .field("projectors", &self.projectors.len())
            .field("nats", &self.nats.is_some())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Connects (creating the database if missing), migrates, loads airports, and wires
    /// everything; a read-only engine ([`Settings::read_only`]) requires the database and its
    /// schema and writes nothing. Starts nothing: see [`Engine::start`].
    pub async fn build(settings: Settings) -> Result<Self, BuildError> {
        let writes = !settings.read_only;
        let schema = if writes {
            skyfly_infra::pg::Schema::Migrate
        } else {
            skyfly_infra::pg::Schema::Require
        };
        let connect = skyfly_infra::pg::Connect {
            max_connections: settings.max_connections,
            schema,
            wait: settings.connect_wait,
        };
        let pool = skyfly_infra::pg::connect(&settings.database_url, connect).await?;
        let airports = load_airports(&pool, writes).await?;
        let jwt_secret = match settings.jwt_secret {
            Some(s) if !s.is_empty() => s,
            _ => stored_setting(&pool, "jwt_secret", &generate_secret(), writes).await?,
        };
        let stores = settings.stores;
        let store: Arc<dyn EventStore> = stores
            .events
            .unwrap_or_else(|| Arc::new(PgEventStore::new(pool.clone())));
        let bus = Arc::new(CommandBus::new(store, Arc::clone(&settings.clock)));
        let process_store = stores.process.unwrap_or_else(|| {
            let worker = settings.worker_id.unwrap_or_else(uuid::Uuid::now_v7);
            Arc::new(skyfly_infra::process::PgProcessStore::for_worker(
                pool.clone(),
                worker,
                skyfly_infra::process::DEFAULT_LEASE,
            ))
        });
        let credentials: Arc<dyn CredentialStore> = stores
            .credentials
            .unwrap_or_else(|| Arc::new(skyfly_infra::PgCredentialStore::new(pool.clone())));
        let process = Arc::new(ProcessManager::new(
            Arc::clone(&bus),
            process_store,
            Arc::clone(&settings.payments),
        ));
        let projectors = read_models()
            .into_iter()
            .map(|projection| {
                Arc::new(skyfly_projections::Projector::new(
                    pool.clone(),
                    Arc::clone(bus.store()),
                    projection,
                ))
            })
            .collect::<Vec<_>>();
        for projection in read_models().into_iter().filter(|_| writes) {
            if skyfly_projections::runtime::install(&pool, projection.as_ref()).await? {
                tracing::warn!(
                    projection = projection.name(),
                    "read model built by another release: the projector rebuilds it"
                );
            }
        }
        // The relay records where it is (and is run by workers only): a read-only engine has none.
        let nats = match settings.nats_url.as_deref().map(str::trim) {
            Some(url) if writes && !url.is_empty() => {
                let subjects = match &settings.nats_prefix {
                    Some(p) => skyfly_infra::nats::Subjects::new(p)?,
                    None => skyfly_infra::nats::Subjects::default(),
                };
                Some(skyfly_infra::nats::Nats::connect(url, subjects).await?)
            }
            _ => None,
        };
        let relay = match &nats {
            Some(n) => Some(Arc::new(skyfly_infra::nats::Relay::new(
                n.clone(),
                stored_setting(&pool, "log_id", &uuid::Uuid::now_v7().to_string(), writes).await?,
                pool.clone(),
                Arc::clone(bus.store()),
            ))),
            None => None,
        };
        let app = Application {
            read_models: Arc::new(ProjectorSet::new(
                pool.clone(),
                Arc::clone(bus.store()),
                projectors.clone(),
            )),
            bus,
            process,
            payments: settings.payments,
            credentials,
            airports: Arc::new(airports),
        };
        Ok(Self {
            app,
            pool,
            projectors,
            nats,
            relay,
            jwt_secret,
            shutdown: Shutdown::default(),
        })
    }

    /// The command bus.
    pub fn bus(&self) -> &Arc<CommandBus> {
        &self.app.bus
    }

    /// The process manager.
    pub fn process(&self) -> &Arc<ProcessManager> {
        &self.app.process
    }

    /// The engine's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.app.bus.clock()
    }

    /// Starts the background work of `role`: the process manager (which first resumes every saga
    /// in flight and fires deadlines that came due while down) and the relay for workers, one
    /// projector per read model for projectors. Only servers run them; CLI commands do not.
    /// Dropping the returned [`Running`] leaves them running; [`Running::stop`] drains them.
    pub fn start(&self, role: ProcessRole) -> Running {
        let mut running = Running::new(Arc::clone(&self.app.process));
        if role.works() {
            running.process(tokio::spawn(Arc::clone(&self.app.process).run()));
            if let Some(relay) = &self.relay {
                running.other(tokio::spawn(Arc::clone(relay).run()));
            }
        }
        if role.projects() {
            for projector in &self.projectors {
                running.other(tokio::spawn(Arc::clone(projector).run()));
            }
        }
        running
    }

    /// Stops the process manager (at its next turn).
    pub fn stop(&self) {
        self.app.process.stop();
    }
}

/// Airport reference data is always present: upserted from the embedded list on every start
/// that `writes`.
async fn load_airports(
    pool: &PgPool,
    writes: bool,
) -> Result<BTreeMap<Iata, Airport>, sqlx::Error> {
    let airports = skyfly_fixtures::airports::airports();
    if writes {
        skyfly_projections::places::upsert(pool, &airports).await?;
    }
    Ok(airports.into_iter().map(|a| (a.code, a)).collect())
}

/// A random secret for signing tokens, generated on first start when none is configured.
fn generate_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore;
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

/// A setting stored on first start (`first` if there is none yet) and the same ever after; an
/// engine that does not write reads it, or uses `first` without storing it.
async fn stored_setting(
    pool: &PgPool,
    key: &str,
    first: &str,
    writes: bool,
) -> Result<String, sqlx::Error> {
    if writes {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(key)
            .bind(first)
            .execute(pool)
            .await?;
    }
    let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await?;
    Ok(stored.unwrap_or_else(|| first.to_owned()))
}
