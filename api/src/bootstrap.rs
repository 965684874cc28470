//! Building the application state: database, migrations, reference data, secrets, demo data.

use crate::auth::{self, JwtKeys};
use crate::error::ApiError;
use crate::routes::flights::schedule_plan;
use crate::state::AppState;
use futures::StreamExt;
use skyfly_commands::CommandBus;
use skyfly_domain::card::PaymentProvider;
use skyfly_domain::clock::Clock;
use skyfly_domain::event::Actor;
use skyfly_domain::identity::Role;
use skyfly_domain::ids::CommandId;
use skyfly_domain::place::Airport;
use skyfly_domain::store::EventStore;
use skyfly_infra::PgEventStore;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the engine needs to start.
pub struct Options {
    pub database_url: String,
    pub jwt_secret: Option<String>,
    pub nats_url: Option<String>,
    /// The subject prefix of this engine's events on NATS (default `skyfly.events`).
    pub nats_prefix: Option<String>,
    pub clock: Arc<dyn Clock>,
    pub payments: Arc<dyn PaymentProvider>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Size of the PostgreSQL connection pool.
    pub max_connections: u32,
    /// This process's id as a saga worker (claims on sagas name it); random if unset.
    pub worker_id: Option<uuid::Uuid>,
}

impl Options {
    /// An engine on `database_url` with `clock`: no NATS, the built-in card processor, no metrics
    /// recorder, a generated JWT secret and a small pool. Callers change what they need.
    pub fn new(database_url: &str, clock: Arc<dyn Clock>) -> Self {
        Self {
            database_url: database_url.to_owned(),
            jwt_secret: None,
            nats_url: None,
            nats_prefix: None,
            clock,
            payments: Arc::new(skyfly_infra::card::BuiltInCardProcessor),
            metrics: None,
            max_connections: 10,
            worker_id: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("nats_url", &self.nats_url)
            .finish_non_exhaustive()
    }
}

/// Where events and the process managers' state live. PostgreSQL (the database of `Options`)
/// unless given; scenarios and tests may give the in-memory adapters (accounts, idempotency keys
/// and read models stay in PostgreSQL).
#[derive(Clone, Default)]
pub struct Stores {
    pub events: Option<Arc<dyn EventStore>>,
    pub process: Option<Arc<dyn skyfly_domain::process::ProcessStore>>,
}

/// Connects (creating the database if missing), migrates, loads airports, and builds the state.
pub async fn build(options: Options) -> anyhow::Result<AppState> {
    build_with(options, Stores::default()).await
}

/// [`build`], with the event and process stores chosen by the caller.
pub async fn build_with(options: Options, stores: Stores) -> anyhow::Result<AppState> {
    let pool =
        skyfly_infra::pg::connect_and_migrate(&options.database_url, options.max_connections)
            .await?;
    let airports = load_airports(&pool).await?;
    let secret = match options.jwt_secret {
        Some(s) if !s.is_empty() => s,
        _ => stored_secret(&pool).await?,
    };
    let store: Arc<dyn EventStore> = stores
        .events
        .unwrap_or_else(|| Arc::new(PgEventStore::new(pool.clone())));
    let bus = Arc::new(CommandBus::new(store, Arc::clone(&options.clock)));
    let process_store = stores.process.unwrap_or_else(|| {
        let worker = options.worker_id.unwrap_or_else(uuid::Uuid::now_v7);
        Arc::new(skyfly_infra::process::PgProcessStore::for_worker(
            pool.clone(),
            worker,
            skyfly_infra::process::DEFAULT_LEASE,
        ))
    });
    let process = Arc::new(skyfly_commands::ProcessManager::new(
        Arc::clone(&bus),
        process_store,
        Arc::clone(&options.payments),
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
    for projection in read_models() {
        if skyfly_projections::runtime::install(&pool, projection.as_ref()).await? {
            tracing::warn!(
                projection = projection.name(),
                "read model built by another release: the projector rebuilds it"
            );
        }
    }
    let nats = match options.nats_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => {
            let subjects = match &options.nats_prefix {
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
            stored_setting(&pool, "log_id", &uuid::Uuid::now_v7().to_string()).await?,
            pool.clone(),
            Arc::clone(bus.store()),
        ))),
        None => None,
    };
    Ok(AppState {
        bus,
        process,
        projectors,
        pool,
        clock: options.clock,
        payments: options.payments,
        jwt: JwtKeys::from_secret(secret.as_bytes()),
        airports: Arc::new(airports),
        metrics: options.metrics,
        nats,
        relay,
    })
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
    All,
}

impl ProcessRole {
    pub fn serves_http(self) -> bool {
        matches!(self, ProcessRole::Api | ProcessRole::All)
    }
    fn works(self) -> bool {
        matches!(self, ProcessRole::Worker | ProcessRole::All)
    }
    fn projects(self) -> bool {
        matches!(self, ProcessRole::Projector | ProcessRole::All)
    }
}

/// Starts all of the engine's background work (role `all`).
pub fn start_workers(state: &AppState) {
    start_role(state, ProcessRole::All);
}

/// Starts the background work of `role`: the process manager (which first resumes every saga in
/// flight and fires deadlines that came due while down) and the relay for workers, one projector
/// per read model for projectors. Only the server runs them; CLI commands do not.
pub fn start_role(state: &AppState, role: ProcessRole) {
    if role.works() {
        tokio::spawn(Arc::clone(&state.process).run());
        if let Some(relay) = &state.relay {
            tokio::spawn(Arc::clone(relay).run());
        }
    }
    if role.projects() {
        for projector in &state.projectors {
            tokio::spawn(Arc::clone(projector).run());
        }
    }
}

/// Every read model the engine maintains.
pub fn read_models() -> Vec<Arc<dyn skyfly_projections::Projection>> {
    vec![
        Arc::new(skyfly_projections::flights::FlightAvailabilityProjection),
        Arc::new(skyfly_projections::bookings::BookingProjection),
        Arc::new(skyfly_projections::payments::PaymentProjection),
        Arc::new(skyfly_projections::documents::SagaProjection::default()),
        Arc::new(skyfly_projections::documents::LoyaltyAccountProjection::default()),
        Arc::new(skyfly_projections::loyalty::LoyaltyHistoryProjection),
    ]
}

/// Airport reference data is always present: upserted from the embedded list on every start.
async fn load_airports(
    pool: &PgPool,
) -> anyhow::Result<BTreeMap<skyfly_domain::place::Iata, Airport>> {
    let airports = skyfly_fixtures::airports::airports();
    skyfly_projections::places::upsert(pool, &airports).await?;
    Ok(airports.into_iter().map(|a| (a.code, a)).collect())
}

/// The JWT secret generated on first start, so that tokens survive restarts without configuration.
async fn stored_secret(pool: &PgPool) -> anyhow::Result<String> {
    stored_setting(pool, "jwt_secret", &auth::generate_secret()).await
}

/// A setting stored on first start (`first` if there is none yet) and the same ever after.
async fn stored_setting(pool: &PgPool, key: &str, first: &str) -> anyhow::Result<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(key)
        .bind(first)
        .execute(pool)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await?,
    )
}

/// Creates a staff account (CLI `skyfly staff create`, and the demo's staff account).
pub async fn create_staff(
    state: &AppState,
    email: &str,
    password: &str,
    name: &str,
) -> Result<uuid::Uuid, ApiError> {
    let command_id = CommandId::derived(&format!("staff/{}", email.trim().to_lowercase()));
    let (user, _) = crate::routes::identity::register_user(
        state,
        email,
        password,
        name,
        Role::Staff,
        command_id,
    )
    .await?;
    Ok(user.0)
}

/// Loads the demo: accounts and a generated network for the next `days` days. Idempotent.
pub async fn load_demo(state: &AppState, days: u32) -> anyhow::Result<DemoSummary> {
    use skyfly_fixtures::demo;
    let staff = demo::demo_staff();
    let mut summary = DemoSummary::default();
    match create_staff(state, staff.email, staff.password, staff.name).await {
        Ok(_) => {}
        Err(e) if e.code == "email_taken" => {}
        Err(e) => anyhow::bail!("demo staff account: {}", e.detail),
    }
    summary
        .accounts
        .push((staff.email.to_owned(), staff.password.to_owned(), "staff"));
    for c in demo::demo_customers() {
        let command_id = CommandId::derived(&format!("demo-customer/{}", c.email));
        match crate::routes::identity::register_user(
            state,
            c.email,
            c.password,
            c.name,
            Role::Customer,
            command_id,
        )
        .await
        {
            Ok(_) => {}
            Err(e) if e.code == "email_taken" => {}
            Err(e) => anyhow::bail!("demo customer {}: {}", c.email, e.detail),
        }
        summary
            .accounts
            .push((c.email.to_owned(), c.password.to_owned(), "customer"));
    }
    let from = state.clock.now().date_naive();
    let plans = demo::demo_schedule(42, from, days);
    let streams: Vec<String> = plans
        .iter()
        .map(|p| {
            skyfly_domain::aggregate::stream_id::<skyfly_domain::inventory::FlightInventory>(
                &p.flight_id,
            )
        })
        .collect();
    let existing = skyfly_infra::pg::existing_streams(&state.pool, &streams).await?;
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
            let command_id = CommandId::derived(&format!("schedule/{}", plan.flight_id));
            (
                plan,
                schedule_plan(state, plan, command_id, Actor::system("demo")).await,
            )
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (plan, result) in results {
        match result {
            Ok(Some(_)) => summary.flights_scheduled += 1,
            Ok(None) => summary.flights_existing += 1,
            Err(e) => anyhow::bail!("demo flight {}: {e}", plan.flight_id),
        }
    }
    // A flight a reader can book right away: the first hub-to-hub departure tomorrow or later.
    let tomorrow = state.clock.now() + chrono::Duration::days(1);
    summary.sample_flight = plans
        .iter()
        .filter(|p| p.departure >= tomorrow)
        .min_by_key(|p| {
            (
                p.origin.as_str() != "DFW" || p.destination.as_str() != "ORD",
                p.departure,
            )
        })
        .map(|p| p.flight_id.to_string());
    Ok(summary)
}

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub accounts: Vec<(String, String, &'static str)>,
    pub flights_scheduled: usize,
    pub flights_existing: usize,
    pub sample_flight: Option<String>,
}
