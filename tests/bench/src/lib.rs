//! `skyfly bench <suite>`: measures what SkyFly exists for, against the PostgreSQL server it is
//! pointed at, in a scratch database made for the run (created, then dropped). Every figure is a
//! closed loop of `writers` (or `clients`) running for a fixed time, so every run is bounded.
//!
//! Suites:
//! - `raw`: single-row insert transactions/s into an event-shaped table (`LIKE events`: the same
//!   columns, constraints and indexes): the database's own capacity, the yardstick for `append`.
//! - `append`: the event store — single-event appends on distinct streams (ratio to `raw` at the
//!   same concurrency, measured in the same run), 10-event batches, contended appends on one
//!   stream (conflicts/s), and commands on one hot flight through the command bus.
//! - `saga`: bookings through HTTP, `POST /bookings` until the booking view says confirmed.
//! - `projection`: projection lag during a saga load, and the rebuild rate over many events.
//! - `load`: loading an aggregate with 10,000 events.
//! - `all`: every suite.
//!
//! Figures print as a table, or as one JSON object per line with `--json`.

use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::{Value, json};
use skyfly_api::AppState;
use skyfly_commands::Call;
use skyfly_commands::identity::{RegisterAccount, register};
use skyfly_commands::{CommandBus, CommandError, Envelope};
use skyfly_domain::Money;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::{Actor, Metadata, NewEvent, encode};
use skyfly_domain::ids::{BookingId, CommandId, EventId, FlightId, FlightNumber};
use skyfly_domain::inventory::{
    CabinSpec, FlightInventory, InventoryCommand, InventoryEvent, ReleaseReason, ReserveSeats,
    SeatState,
};
use skyfly_domain::place::Iata;
use skyfly_domain::store::{EventStore, ExpectedVersion, StoreError};
use skyfly_engine::{Engine, ProcessRole, Settings};
use skyfly_infra::PgEventStore;
use skyfly_infra::pg::{drop_database, with_database};
use sqlx::PgPool;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How a run is bounded and what it prints.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// A PostgreSQL URL; its server gets the scratch database.
    pub server_url: String,
    /// How long each figure's load runs.
    pub seconds: f64,
    /// Events the rebuild figure is measured over.
    pub rebuild_events: u64,
    pub json: bool,
}

pub const SUITES: [&str; 6] = ["raw", "append", "saga", "projection", "load", "all"];

/// Runs `suite`; prints each figure as it is measured, returns them all.
pub async fn run(suite: &str, options: &BenchOptions) -> anyhow::Result<Vec<Value>> {
    if !SUITES.contains(&suite) {
        bail!("no suite {suite:?}: one of {}", SUITES.join(", "));
    }
    // Two scratch databases: the store suites', and the engine's (whose projectors then start on
    // an empty log, not behind the store suites' events).
    let name = format!("skyfly_bench_{}", Uuid::new_v4().simple());
    let engine_name = format!("{name}_engine");
    let url = with_database(&options.server_url, &name);
    let engine_url = with_database(&options.server_url, &engine_name);
    let result = run_in(suite, options, &url, &engine_url).await;
    let dropped = drop_database(&options.server_url, &name).await;
    let engine_dropped = drop_database(&options.server_url, &engine_name).await;
    let figures = result?;
    dropped?;
    engine_dropped?;
    Ok(figures)
}

async fn run_in(
    suite: &str,
    options: &BenchOptions,
    url: &str,
    engine_url: &str,
) -> anyhow::Result<Vec<Value>> {
    // PostgreSQL allows 100 connections by default: the store suites' pool (64 writers) is
    // closed before the engine opens its own.
    let mut out = Report {
        json: options.json,
        figures: Vec::new(),
    };
    let load = Duration::from_secs_f64(options.seconds.max(0.2));
    let all = suite == "all";
    if all || ["raw", "append", "load"].contains(&suite) {
        let pool = skyfly_infra::pg::connect_and_migrate(url, 70)
            .await
            .context("the scratch database")?;
        if all || suite == "raw" || suite == "append" {
            let raw = raw_suite(&pool, load, &mut out).await?;
            if all || suite == "append" {
                append_suite(&pool, load, &raw, &mut out).await?;
            }
        }
        if all || suite == "load" {
            load_suite(&pool, &mut out).await?;
        }
        pool.close().await;
    }
    if all || suite == "saga" || suite == "projection" {
        let state = engine(engine_url).await?;
        let clients: &[usize] = if suite == "projection" {
            &[64]
        } else {
            &[1, 16, 64]
        };
        saga_suite(&state, load, clients, &mut out).await?;
        // Its background work stops with its connections.
        state.process.stop();
        state.pool.close().await;
    }
    if all || suite == "projection" {
        let pool = skyfly_infra::pg::connect_and_migrate(url, 16)
            .await
            .context("the scratch database")?;
        rebuild_suite(&pool, options.rebuild_events, &mut out).await?;
        pool.close().await;
    }
    Ok(out.figures)
}

struct Report {
    json: bool,
    figures: Vec<Value>,
}

impl Report {
    fn figure(&mut self, figure: Value) {
        if self.json {
            println!("{figure}");
        } else {
            let fields: Vec<String> = figure
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| k.as_str() != "suite")
                        .map(|(k, v)| match v.as_f64() {
                            Some(f) if v.is_f64() => format!("{k}={f:.2}"),
                            _ => format!("{k}={v}"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            println!(
                "{:<11} {}",
                figure["suite"].as_str().unwrap_or("?"),
                fields.join("  ")
            );
        }
        self.figures.push(figure);
    }
}

/// Latencies of one figure, and what came of the operations.
#[derive(Debug, Default)]
struct Stats {
    latencies: Vec<Duration>,
    ok: u64,
    conflicts: u64,
    failed: u64,
    elapsed: Duration,
}

impl Stats {
    fn per_s(&self, n: u64) -> f64 {
        n as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile (0–100) in milliseconds.
    fn ms(&mut self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.sort_unstable();
        let rank = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)].as_secs_f64() * 1000.0
    }
}

/// What one operation came to.
enum Outcome {
    Ok,
    Conflict,
    Failed,
}

/// `workers` loops, each running `op(worker, iteration)` back to back until `duration` is over.
async fn closed_loop<F, Fut>(workers: usize, duration: Duration, op: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let until = started + duration;
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let op = Arc::clone(&op);
            tokio::spawn(async move {
                let mut stats = Stats::default();
                let mut i = 0;
                while Instant::now() < until {
                    let t = Instant::now();
                    match op(w, i).await {
                        Outcome::Ok => stats.ok += 1,
                        Outcome::Conflict => stats.conflicts += 1,
                        Outcome::Failed => stats.failed += 1,
                    }
                    stats.latencies.push(t.elapsed());
                    i += 1;
                }
                stats
            })
        })
        .collect();
    let mut total = Stats::default();
    for task in tasks {
        if let Ok(s) = task.await {
            total.latencies.extend(s.latencies);
            total.ok += s.ok;
            total.conflicts += s.conflicts;
            total.failed += s.failed;
        }
    }
    total.elapsed = started.elapsed();
    total
}

const CONCURRENCIES: [usize; 4] = [1, 4, 16, 64];

/// Raw insert transactions/s per concurrency, for the ratios.
type Raw = Vec<(usize, f64)>;

async fn raw_suite(pool: &PgPool, load: Duration, out: &mut Report) -> anyhow::Result<Raw> {
    // The same columns, constraints and indexes as `events`, taken from it; positions from a
    // plain sequence instead of the append function.
    skyfly_infra::baseline::create(pool).await?;
    let sample = sample_event()?;
    let mut raw = Vec::new();
    for writers in CONCURRENCIES {
        let pool = pool.clone();
        let sample = sample.clone();
        let mut stats = closed_loop(writers, load, move |w, i| {
            let pool = pool.clone();
            let sample = sample.clone();
            async move {
                let stream = format!("raw{writers}-{w}");
                let version = i + 1;
                let r = skyfly_infra::baseline::insert(&pool, &stream, version, &sample).await;
                if r.is_ok() {
                    Outcome::Ok
                } else {
                    Outcome::Failed
                }
            }
        })
        .await;
        let tx_per_s = stats.per_s(stats.ok);
        raw.push((writers, tx_per_s));
        out.figure(json!({
            "suite": "raw", "writers": writers, "tx_per_s": tx_per_s,
            "p50_ms": stats.ms(50.0), "p99_ms": stats.ms(99.0), "failed": stats.failed,
        }));
    }
    Ok(raw)
}

/// A representative event (a seat reservation, ~300 bytes of JSON).
fn sample_event() -> anyhow::Result<NewEvent> {
    let event = InventoryEvent::SeatsReserved {
        booking_id: BookingId(Uuid::now_v7()),
        cabin: Cabin::Economy,
        seats: 2,
        expires_at: Utc::now() + skyfly_domain::inventory::SEAT_HOLD,
    };
    let meta = Metadata::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
    Ok(encode(&event, EventId(Uuid::now_v7()), meta, Utc::now())?)
}

fn fresh(template: &NewEvent) -> NewEvent {
    NewEvent {
        event_id: EventId(Uuid::now_v7()),
        ..template.clone()
    }
}

fn outcome(r: Result<skyfly_domain::store::AppendOutcome, StoreError>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(StoreError::VersionConflict { .. }) => Outcome::Conflict,
        Err(_) => Outcome::Failed,
    }
}

async fn append_suite(
    pool: &PgPool,
    load: Duration,
    raw: &Raw,
    out: &mut Report,
) -> anyhow::Result<()> {
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::new(pool.clone()));
    let sample = sample_event()?;
    for writers in CONCURRENCIES {
        let (store, sample) = (Arc::clone(&store), sample.clone());
        let mut stats = closed_loop(writers, load, move |w, i| {
            let (store, event) = (Arc::clone(&store), fresh(&sample));
            async move {
                let r = store
                    .append(
                        &format!("bench{writers}-{w}"),
                        ExpectedVersion::Exact(i),
                        Some(CommandId(Uuid::now_v7())),
                        vec![event],
                    )
                    .await;
                outcome(r)
            }
        })
        .await;
        let events_per_s = stats.per_s(stats.ok);
        let raw_tx = raw
            .iter()
            .find(|(w, _)| *w == writers)
            .map_or(0.0, |(_, r)| *r);
        out.figure(json!({
            "suite": "append", "writers": writers, "events_per_s": events_per_s,
            "raw_tx_per_s": raw_tx, "ratio": if raw_tx > 0.0 { events_per_s / raw_tx } else { 0.0 },
            "p50_ms": stats.ms(50.0), "p99_ms": stats.ms(99.0), "failed": stats.failed + stats.conflicts,
        }));
    }
    // 10-event batches.
    for writers in [1, 16] {
        let (store, sample) = (Arc::clone(&store), sample.clone());
        let mut stats = closed_loop(writers, load, move |w, i| {
            let store = Arc::clone(&store);
            let batch: Vec<NewEvent> = (0..10).map(|_| fresh(&sample)).collect();
            async move {
                let r = store
                    .append(
                        &format!("batch{writers}-{w}"),
                        ExpectedVersion::Exact(i * 10),
                        Some(CommandId(Uuid::now_v7())),
                        batch,
                    )
                    .await;
                outcome(r)
            }
        })
        .await;
        out.figure(json!({
            "suite": "append", "kind": "batch10", "writers": writers,
            "events_per_s": stats.per_s(stats.ok * 10), "appends_per_s": stats.per_s(stats.ok),
            "p50_ms": stats.ms(50.0), "p99_ms": stats.ms(99.0), "failed": stats.failed,
        }));
    }
    // Contended: 16 writers append to one stream, each at the version it last saw.
    {
        let (store2, sample) = (Arc::clone(&store), sample.clone());
        let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut stats = closed_loop(16, load, move |_, _| {
            let (store, event, seen) = (Arc::clone(&store2), fresh(&sample), Arc::clone(&seen));
            async move {
                let expected = seen.load(std::sync::atomic::Ordering::SeqCst);
                let r = store
                    .append(
                        "contended",
                        ExpectedVersion::Exact(expected),
                        Some(CommandId(Uuid::now_v7())),
                        vec![event],
                    )
                    .await;
                match &r {
                    Ok(a) => {
                        seen.fetch_max(
                            a.appended().stream_version,
                            std::sync::atomic::Ordering::SeqCst,
                        );
                    }
                    Err(StoreError::VersionConflict { actual, .. }) => {
                        seen.fetch_max(*actual, std::sync::atomic::Ordering::SeqCst);
                    }
                    Err(_) => {}
                }
                outcome(r)
            }
        })
        .await;
        out.figure(json!({
            "suite": "append", "kind": "contended", "writers": 16,
            "appends_per_s": stats.per_s(stats.ok), "conflicts_per_s": stats.per_s(stats.conflicts),
            "p50_ms": stats.ms(50.0), "p99_ms": stats.ms(99.0), "failed": stats.failed,
        }));
    }
    // One hot flight: 16 writers reserving seats through the command bus (load, decide, append).
    {
        let bus = Arc::new(CommandBus::new(
            Arc::clone(&store),
            Arc::new(skyfly_infra::clock::SystemClock),
        ));
        let flight = FlightId::parse("SF1-2031-01-10").map_err(|e| anyhow::anyhow!("{e}"))?;
        schedule_flight(&bus, &flight, 10_000_000).await?;
        let (bus2, flight2) = (Arc::clone(&bus), flight.clone());
        let mut stats = closed_loop(16, load, move |_, _| {
            let (bus, flight) = (Arc::clone(&bus2), flight2.clone());
            async move {
                let now = bus.clock().now();
                let command = InventoryCommand::ReserveSeats(ReserveSeats {
                    booking_id: BookingId(Uuid::now_v7()),
                    cabin: Cabin::Economy,
                    seats: 1,
                    now,
                    hold_until: now + skyfly_domain::inventory::SEAT_HOLD,
                });
                let meta = Metadata::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
                match bus
                    .execute::<FlightInventory>(&flight, Envelope::new(command, meta))
                    .await
                {
                    Ok(_) => Outcome::Ok,
                    Err(CommandError::Conflict { .. }) => Outcome::Conflict,
                    Err(_) => Outcome::Failed,
                }
            }
        })
        .await;
        out.figure(json!({
            "suite": "append", "kind": "hot_flight", "writers": 16,
            "commands_per_s": stats.per_s(stats.ok), "p50_ms": stats.ms(50.0),
            "p99_ms": stats.ms(99.0), "failed": stats.failed + stats.conflicts,
        }));
    }
    Ok(())
}

async fn schedule_flight(bus: &CommandBus, flight: &FlightId, seats: u32) -> anyhow::Result<()> {
    let command = InventoryCommand::ScheduleFlight(skyfly_domain::inventory::ScheduleFlight {
        flight_id: flight.clone(),
        origin: iata("DFW")?,
        destination: iata("ORD")?,
        departure: Utc::now() + chrono::Duration::days(30),
        arrival: Utc::now() + chrono::Duration::days(30) + chrono::Duration::hours(2),
        cabins: [(
            Cabin::Economy,
            CabinSpec {
                capacity: seats,
                fare: Money::usd(12_345),
            },
        )]
        .into(),
    });
    let meta = Metadata::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
    bus.execute::<FlightInventory>(flight, Envelope::new(command, meta))
        .await
        .map_err(|e| anyhow::anyhow!("schedule {flight}: {e}"))?;
    Ok(())
}

fn iata(code: &str) -> anyhow::Result<Iata> {
    Iata::parse(code).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `count` events on one flight's stream after its `FlightScheduled`: holds taken and released.
fn flight_history(flight: &FlightId, count: usize) -> anyhow::Result<Vec<NewEvent>> {
    let meta = Metadata::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
    let at = Utc::now();
    let mut events = Vec::with_capacity(count + 1);
    let scheduled = InventoryEvent::FlightScheduled {
        flight_id: flight.clone(),
        flight_number: FlightNumber::parse(flight.to_string().split('-').next().unwrap_or("SF1"))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        origin: iata("DFW")?,
        destination: iata("ORD")?,
        departure: at + chrono::Duration::days(30),
        arrival: at + chrono::Duration::days(30) + chrono::Duration::hours(2),
        cabins: [(
            Cabin::Economy,
            CabinSpec {
                capacity: 1_000,
                fare: Money::usd(12_345),
            },
        )]
        .into(),
    };
    events.push(encode(
        &scheduled,
        EventId(Uuid::now_v7()),
        meta.clone(),
        at,
    )?);
    let mut booking = BookingId(Uuid::now_v7());
    for i in 0..count {
        let event = if i % 2 == 0 {
            booking = BookingId(Uuid::now_v7());
            InventoryEvent::SeatsReserved {
                booking_id: booking,
                cabin: Cabin::Economy,
                seats: 1,
                expires_at: at + skyfly_domain::inventory::SEAT_HOLD,
            }
        } else {
            InventoryEvent::SeatsReleased {
                booking_id: booking,
                cabin: Cabin::Economy,
                seats: 1,
                was: SeatState::Held,
                reason: ReleaseReason::Compensation,
            }
        };
        events.push(encode(&event, EventId(Uuid::now_v7()), meta.clone(), at)?);
    }
    Ok(events)
}

async fn load_suite(pool: &PgPool, out: &mut Report) -> anyhow::Result<()> {
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::new(pool.clone()));
    let flight = FlightId::parse("SF2-2031-01-10").map_err(|e| anyhow::anyhow!("{e}"))?;
    let history = flight_history(&flight, 9_999)?;
    let stream = skyfly_domain::aggregate::stream_id::<FlightInventory>(&flight);
    for chunk in history.chunks(1_000) {
        store
            .append(&stream, ExpectedVersion::Any, None, chunk.to_vec())
            .await?;
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        // A new bus has an empty cache: this is a cold load from the store.
        let bus = CommandBus::new(
            Arc::clone(&store),
            Arc::new(skyfly_infra::clock::SystemClock),
        );
        let t = Instant::now();
        let (_, version) = bus.load::<FlightInventory>(&flight).await?;
        times.push(t.elapsed());
        if version != 10_000 {
            bail!("loaded version {version}, expected 10000");
        }
    }
    times.sort_unstable();
    out.figure(json!({
        "suite": "load", "events": 10_000,
        "median_ms": times[times.len() / 2].as_secs_f64() * 1000.0,
        "max_ms": times[times.len() - 1].as_secs_f64() * 1000.0,
    }));
    Ok(())
}

/// The whole engine on the scratch database (no NATS), with its workers running.
async fn engine(url: &str) -> anyhow::Result<AppState> {
    let engine = Engine::build(Settings {
        jwt_secret: Some("bench-secret".into()),
        max_connections: 48,
        ..Settings::new(url, Arc::new(skyfly_infra::clock::SystemClock))
    })
    .await?;
    engine.start(ProcessRole::All);
    Ok(AppState::new(&engine, None))
}

async fn saga_suite(
    state: &AppState,
    load: Duration,
    clients: &[usize],
    out: &mut Report,
) -> anyhow::Result<()> {
    use skyfly_domain::identity::Role;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = skyfly_api::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    // Enough flights and seats that none runs out: 40 flights of 50,000 economy seats.
    let departure = Utc::now() + chrono::Duration::days(30);
    let mut flights = Vec::new();
    for n in 0..40 {
        let flight_id = FlightId::parse(&format!("SB{}-{}", 100 + n, departure.date_naive()))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let plan = skyfly_fixtures::schedule_csv::FlightPlan {
            flight_id: flight_id.clone(),
            flight_number: FlightNumber::parse(&format!("SB{}", 100 + n))
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            origin: iata("DFW")?,
            destination: iata("ORD")?,
            departure,
            arrival: departure + chrono::Duration::hours(2),
            cabins: [(Cabin::Economy, (50_000, Money::usd(12_345)))].into(),
            source_line: 0,
        };
        let call = Call::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
        skyfly_commands::flights::schedule_plan(&state.app, &call, &plan)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        flights.push(flight_id.to_string());
    }
    let mut tokens = Vec::new();
    for n in 0..64 {
        let account = RegisterAccount::parse(
            &format!("bench{n}@example.com"),
            "bench-password-1",
            "Bench",
            Role::Customer,
        )?;
        let user = register(&state.app, CommandId(Uuid::now_v7()), account)
            .await?
            .user_id;
        tokens.push(
            state
                .jwt
                .issue(user, Role::Customer, state.clock.now())
                .map_err(|e| anyhow::anyhow!("{}", e.detail))?,
        );
    }
    let client = Arc::new(http::Client::new());
    let (flights, tokens) = (Arc::new(flights), Arc::new(tokens));
    for &n in clients {
        let lag = lag_sampler(state.clone());
        let (client2, flights2, tokens2) = (
            Arc::clone(&client),
            Arc::clone(&flights),
            Arc::clone(&tokens),
        );
        let mut stats = closed_loop(n, load, move |c, i| {
            let (client, flights, tokens) = (
                Arc::clone(&client2),
                Arc::clone(&flights2),
                Arc::clone(&tokens2),
            );
            async move {
                let flight = &flights[(c + i as usize) % flights.len()];
                let token = &tokens[c % tokens.len()];
                match book_until_confirmed(&client, addr, token, flight).await {
                    Ok(true) => Outcome::Ok,
                    _ => Outcome::Failed,
                }
            }
        })
        .await;
        let (lag_ms, lag_events) = lag.finish().await;
        out.figure(json!({
            "suite": "saga", "clients": n, "bookings_per_s": stats.per_s(stats.ok),
            "p50_ms": stats.ms(50.0), "p95_ms": stats.ms(95.0), "p99_ms": stats.ms(99.0),
            "failed": stats.failed, "confirmed": stats.ok,
        }));
        out.figure(json!({
            "suite": "projection", "kind": "lag_under_saga_load", "clients": n,
            "lag_p99_ms": lag_ms, "lag_p99_events": lag_events,
        }));
    }
    Ok(())
}

/// Places one booking and polls its view until it leaves `pending`; `true` if confirmed.
async fn book_until_confirmed(
    client: &http::Client,
    addr: std::net::SocketAddr,
    token: &str,
    flight: &str,
) -> anyhow::Result<bool> {
    let body = format!(
        r#"{{"flight_id":"{flight}","cabin":"economy","passengers":[{{"first_name":"Bench","last_name":"Client"}}],
            "contact":{{"email":"bench@example.com"}},"payment":{{"card_number":"4242424242424242","exp_month":12,"exp_year":2035,"cvc":"123"}}}}"#
    );
    let (status, placed) = client
        .call(
            "POST",
            &format!("http://{addr}/api/v1/bookings"),
            token,
            Some(body),
        )
        .await?;
    if status != 202 {
        bail!("POST /bookings answered {status}: {placed}");
    }
    let id = placed["booking_id"].as_str().unwrap_or_default().to_owned();
    // A client polls the booking view from 20 ms on, backing off to every 60 ms: a figure is at
    // most that late, and the polls do not become the load they measure.
    let give_up = Instant::now() + Duration::from_secs(30);
    let mut pause = Duration::from_millis(20);
    while Instant::now() < give_up {
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(Duration::from_millis(60));
        let (_, view) = client
            .call(
                "GET",
                &format!("http://{addr}/api/v1/bookings/{id}"),
                token,
                None,
            )
            .await?;
        match view["status"].as_str() {
            Some("pending") | None => {}
            Some(status) => return Ok(status == "confirmed"),
        }
    }
    Ok(false)
}

/// Samples every projector's lag every 50 ms until finished; the p99 of the samples.
struct LagSampler {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<(Vec<u64>, Vec<u64>)>,
}

fn lag_sampler(state: AppState) -> LagSampler {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        let (mut ms, mut events) = (Vec::new(), Vec::new());
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            for p in &state.projectors {
                if let Ok(s) = p.status().await {
                    ms.push(s.lag_ms);
                    events.push(s.lag_events);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (ms, events)
    });
    LagSampler { stop, task }
}

impl LagSampler {
    async fn finish(self) -> (u64, u64) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let (mut ms, mut events) = self.task.await.unwrap_or_default();
        (p99(&mut ms), p99(&mut events))
    }
}

fn p99(v: &mut [u64]) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    v[((v.len() - 1) as f64 * 0.99).round() as usize]
}

async fn rebuild_suite(pool: &PgPool, events: u64, out: &mut Report) -> anyhow::Result<()> {
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::new(pool.clone()));
    // Flights of 1,000 events each, appended in parallel, until `events` are in the log.
    let flights = events.div_ceil(1_000) as usize;
    if flights > 9_999 {
        bail!("at most 9,999,000 events for the rebuild figure");
    }
    let t = Instant::now();
    let results: Vec<anyhow::Result<()>> = {
        use futures::StreamExt;
        futures::stream::iter(0..flights)
            .map(|n| {
                let store = Arc::clone(&store);
                async move {
                    let flight = FlightId::parse(&format!("SR{}-2031-01-10", 1 + n))
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    let history = flight_history(&flight, 999)?;
                    let stream = skyfly_domain::aggregate::stream_id::<FlightInventory>(&flight);
                    store
                        .append(&stream, ExpectedVersion::NoStream, None, history)
                        .await?;
                    Ok(())
                }
            })
            .buffer_unordered(8)
            .collect()
            .await
    };
    for r in results {
        r?;
    }
    let generated = t.elapsed();
    let total = skyfly_infra::baseline::count_events(pool).await?;
    let projection = skyfly_projections::flights::FlightAvailabilityProjection;
    skyfly_projections::runtime::install(pool, &projection).await?;
    let t = Instant::now();
    let rebuilt =
        skyfly_projections::runtime::rebuild(pool, store.as_ref(), &projection, &|_, _| {}).await?;
    let took = t.elapsed();
    out.figure(json!({
        "suite": "projection", "kind": "rebuild", "projection": "flight_availability",
        "events": rebuilt, "log_events": total,
        "events_per_s": rebuilt as f64 / took.as_secs_f64().max(1e-9),
        "seconds": took.as_secs_f64(),
        "generate_events_per_s": total as f64 / generated.as_secs_f64().max(1e-9),
    }));
    Ok(())
}

/// A small HTTP/1.1 client with a connection pool (hyper's), for the saga suite.
mod http {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client as Hyper;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;

    pub struct Client {
        inner: Hyper<HttpConnector, Full<axum::body::Bytes>>,
    }

    impl Client {
        pub fn new() -> Self {
            Self {
                inner: Hyper::builder(TokioExecutor::new())
                    .pool_max_idle_per_host(128)
                    .build_http(),
            }
        }

        pub async fn call(
            &self,
            method: &str,
            url: &str,
            token: &str,
            body: Option<String>,
        ) -> anyhow::Result<(u16, serde_json::Value)> {
            let request = axum::http::Request::builder()
                .method(method)
                .uri(url)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Full::new(axum::body::Bytes::from(body.unwrap_or_default())))?;
            let response = self.inner.request(request).await?;
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await?.to_bytes();
            Ok((
                status,
                serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            ))
        }
    }
}
