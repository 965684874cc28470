//! The `skyfly` binary: `serve`, `migrate`, `staff create`, `import schedule`.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use skyfly_api::bootstrap::{self, Options};
use skyfly_infra::card::BuiltInCardProcessor;
use skyfly_infra::clock::SystemClock;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "skyfly",
    version,
    about = "SkyFly: an event-sourced flight booking engine"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

/// One `Settings` struct: every value a flag and an environment variable, with local defaults.
#[derive(Debug, Args)]
struct Settings {
    /// PostgreSQL (event store and read models); the database is created if missing.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "postgres://127.0.0.1:5432/skyfly"
    )]
    database_url: String,
    /// NATS with JetStream (the relay and the live stream); empty: run without NATS.
    #[arg(
        long,
        global = true,
        env = "NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    nats_url: String,
    /// Subject prefix of this engine's events on NATS (`<prefix>.<category>.<event_type>`, in
    /// the JetStream stream named after it): give each installation sharing a NATS its own.
    #[arg(
        long,
        global = true,
        env = "SKYFLY_NATS_PREFIX",
        default_value = "skyfly.events"
    )]
    nats_prefix: String,
    /// Size of the PostgreSQL connection pool.
    #[arg(long, global = true, env = "SKYFLY_DB_POOL", default_value_t = 32)]
    db_pool: u32,
    /// Secret for signing access tokens; generated and stored on first start if unset.
    #[arg(long, global = true, env = "SKYFLY_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "SKYFLY_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Load demo airports, schedule and accounts (idempotent).
        #[arg(long)]
        demo: bool,
        /// Days of demo schedule to generate, from today.
        #[arg(long, default_value_t = 14)]
        demo_days: u32,
        /// What this process does: `api` (HTTP), `worker` (sagas, expiries, relay to NATS),
        /// `projector` (read models), or `all`. Run several processes on one database to scale
        /// out (docs/adr/0005).
        #[arg(long, env = "SKYFLY_ROLE", default_value = "all", value_parser = ["api", "worker", "projector", "all"])]
        role: String,
        /// This process's id as a saga worker (its claims on sagas name it); random if unset.
        #[arg(long, env = "SKYFLY_WORKER_ID")]
        worker_id: Option<uuid::Uuid>,
    },
    /// Create the database if needed and apply migrations, then exit.
    Migrate,
    /// Staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The event log, as JSON lines (one envelope per line) for auditors' tools.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Import data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Benchmarks (docs/benchmarks.md) in a scratch database on the server of DATABASE_URL.
    /// Build with `--release` for figures worth quoting.
    Bench {
        /// raw | append | saga | projection | load | all
        #[arg(value_parser = skyfly_api::bench::SUITES)]
        suite: String,
        /// One JSON object per figure and line, for other tools.
        #[arg(long)]
        json: bool,
        /// Seconds of load per figure.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// Events the projection rebuild is measured over.
        #[arg(long, default_value_t = 1_000_000)]
        rebuild_events: u64,
    },
    /// Scenario files (fixtures/README.md): run them against the engine on a virtual clock.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ScenarioCommand {
    /// Run scenario files, or every `*.toml` of directories; each in a scratch database on the
    /// PostgreSQL server of DATABASE_URL (created and dropped). Exits non-zero if one fails.
    Run {
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// The event store to run on: memory, postgres, or both.
        #[arg(long, default_value = "both", value_parser = ["memory", "postgres", "both"])]
        store: String,
        /// Scenarios run at once.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
    },
}

#[derive(Debug, Subcommand)]
enum StaffCommand {
    /// Create a staff account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, env = "SKYFLY_STAFF_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Staff")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// Follow the log live (from its end, or after a position) until interrupted.
    Tail {
        #[arg(long)]
        after: Option<u64>,
    },
    /// One stream, in order (e.g. `booking-<id>`, `flight-SF100-2026-12-01`).
    Stream { stream_id: String },
    /// Everything after a global position, then exit.
    Export {
        #[arg(long, default_value_t = 0)]
        after: u64,
    },
}

#[derive(Debug, Subcommand)]
enum ProjectionsCommand {
    /// Rebuild read models from the log into fresh tables and switch over atomically; queries keep
    /// answering from the old tables meanwhile.
    Rebuild {
        /// The read model to rebuild (see GET /api/v1/admin/projections).
        name: Option<String>,
        /// Rebuild every read model.
        #[arg(long, conflicts_with = "name")]
        all: bool,
    },
    /// Position and lag of every read model.
    Status,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import a schedule file in the seed CSV format.
    Schedule {
        file: std::path::PathBuf,
        /// First date to materialise (default: today).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Number of days to materialise.
        #[arg(long, default_value_t = 14)]
        days: u32,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // A scenario run prints its own report; the engine's logs would drown it (RUST_LOG still wins).
    let default_filter = match cli.command {
        Command::Scenario { .. } | Command::Bench { .. } => "error",
        _ => "info,sqlx=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli))
}

async fn state(settings: &Settings, metrics: bool) -> anyhow::Result<skyfly_api::AppState> {
    state_for(settings, metrics, None).await
}

async fn state_for(
    settings: &Settings,
    metrics: bool,
    worker_id: Option<uuid::Uuid>,
) -> anyhow::Result<skyfly_api::AppState> {
    let metrics = if metrics {
        Some(
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .context("metrics recorder")?,
        )
    } else {
        None
    };
    bootstrap::build(Options {
        database_url: settings.database_url.clone(),
        jwt_secret: settings.jwt_secret.clone(),
        nats_url: Some(settings.nats_url.clone()),
        nats_prefix: Some(settings.nats_prefix.clone()),
        clock: Arc::new(SystemClock),
        payments: Arc::new(BuiltInCardProcessor),
        metrics,
        max_connections: settings.db_pool,
        worker_id,
    })
    .await
    .with_context(|| "could not start: is PostgreSQL reachable at DATABASE_URL?")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            demo,
            demo_days,
            role,
            worker_id,
        } => {
            let role = match role.as_str() {
                "api" => bootstrap::ProcessRole::Api,
                "worker" => bootstrap::ProcessRole::Worker,
                "projector" => bootstrap::ProcessRole::Projector,
                _ => bootstrap::ProcessRole::All,
            };
            let state = state_for(&cli.settings, true, worker_id).await?;
            bootstrap::start_role(&state, role);
            if demo {
                let summary = bootstrap::load_demo(&state, demo_days).await?;
                println!(
                    "Demo data: {} flights scheduled ({} already there).",
                    summary.flights_scheduled, summary.flights_existing
                );
                println!("Demo accounts (demo passwords, not secrets):");
                for (email, password, role) in &summary.accounts {
                    println!("  {role:<8} {email}  /  {password}");
                }
                if let Some(f) = summary.sample_flight {
                    println!("A demo flight: {f}  (GET /api/v1/flights/{f})");
                }
            }
            if !role.serves_http() {
                println!("SkyFly {role:?} is running (no HTTP in this role); Ctrl-C stops it.");
                shutdown().await;
                return Ok(());
            }
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("bind {listen}"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "SkyFly listening");
            println!("SkyFly is listening on http://{addr}  (docs: http://{addr}/docs)");
            axum::serve(listener, skyfly_api::router(state))
                .with_graceful_shutdown(shutdown())
                .await?;
        }
        Command::Bench {
            suite,
            json,
            seconds,
            rebuild_events,
        } => {
            let options = skyfly_api::bench::BenchOptions {
                server_url: cli.settings.database_url.clone(),
                seconds,
                rebuild_events,
                json,
            };
            skyfly_api::bench::run(&suite, &options).await?;
        }
        Command::Scenario {
            command: ScenarioCommand::Run { paths, store, jobs },
        } => {
            use skyfly_api::scenario::StoreKind;
            let stores = match store.as_str() {
                "memory" => vec![StoreKind::Memory],
                "postgres" => vec![StoreKind::Postgres],
                _ => vec![StoreKind::Memory, StoreKind::Postgres],
            };
            let all_passed = skyfly_api::scenario::run_and_print(
                &paths,
                &stores,
                &cli.settings.database_url,
                jobs,
            )
            .await?;
            if !all_passed {
                std::process::exit(1);
            }
        }
        Command::Migrate => {
            skyfly_infra::pg::connect_and_migrate(&cli.settings.database_url, 2).await?;
            println!("database is migrated");
        }
        Command::Staff {
            command:
                StaffCommand::Create {
                    email,
                    password,
                    name,
                },
        } => {
            let state = state(&cli.settings, false).await?;
            match bootstrap::create_staff(&state, &email, &password, &name).await {
                Ok(id) => println!("staff account {email} created ({id})"),
                Err(e) => anyhow::bail!("{} ({})", e.detail, e.code),
            }
        }
        Command::Events { command } => {
            use skyfly_domain::store::EventStore;
            use std::io::Write;
            let pool = skyfly_infra::pg::connect_and_migrate(&cli.settings.database_url, 2).await?;
            let store = Arc::new(skyfly_infra::PgEventStore::new(pool));
            let mut out = std::io::stdout().lock();
            match command {
                EventsCommand::Stream { stream_id } => {
                    for e in store.read_stream(&stream_id, 0).await? {
                        writeln!(out, "{}", serde_json::to_string(&e)?)?;
                    }
                }
                EventsCommand::Export { after } => {
                    let mut position = after;
                    loop {
                        let batch = store.read_all(position, 5_000).await?;
                        let Some(last) = batch.last().map(|e| e.global_position) else {
                            break;
                        };
                        for e in &batch {
                            writeln!(out, "{}", serde_json::to_string(e)?)?;
                        }
                        position = last;
                    }
                }
                EventsCommand::Tail { after } => {
                    use futures::StreamExt;
                    let from = match after {
                        Some(p) => p,
                        None => store.head_position().await?,
                    };
                    let mut events = skyfly_domain::store::subscribe(store, from, 500);
                    while let Some(e) = events.next().await {
                        writeln!(out, "{}", serde_json::to_string(&e?)?)?;
                        out.flush()?;
                    }
                }
            }
        }
        Command::Projections {
            command: ProjectionsCommand::Status,
        } => {
            let state = state(&cli.settings, false).await?;
            for p in &state.projectors {
                let s = p.status().await?;
                println!(
                    "{:<24} position {:>16}  lag {:>8} events {:>8} ms  {}",
                    s.name, s.position, s.lag_events, s.lag_ms, s.status
                );
            }
        }
        Command::Projections {
            command: ProjectionsCommand::Rebuild { name, all },
        } => {
            let pool = skyfly_infra::pg::connect_and_migrate(&cli.settings.database_url, 4).await?;
            let store = skyfly_infra::PgEventStore::new(pool.clone());
            let chosen: Vec<_> = bootstrap::read_models()
                .into_iter()
                .filter(|p| all || name.as_deref() == Some(p.name()))
                .collect();
            if chosen.is_empty() {
                let names: Vec<_> = bootstrap::read_models().iter().map(|p| p.name()).collect();
                anyhow::bail!(
                    "name a read model or pass --all; read models: {}",
                    names.join(", ")
                );
            }
            for projection in chosen {
                let started = std::time::Instant::now();
                let bar = progress_bar(
                    projection.name(),
                    "{prefix:<24} [{bar:30}] {pos}/{len} events  {per_sec}  {elapsed}",
                );
                let progress = |done: u64, total: u64| {
                    bar.set_length(total);
                    bar.set_position(done);
                };
                let n = skyfly_projections::rebuild(&pool, &store, projection.as_ref(), &progress)
                    .await?;
                bar.finish();
                println!(
                    "{}: rebuilt from {n} events in {:.1} s",
                    projection.name(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Command::Import {
            command: ImportCommand::Schedule { file, from, days },
        } => {
            let state = state(&cli.settings, false).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("read {}", file.display()))?;
            let from = from.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let bar = progress_bar("import", "{prefix} [{bar:40}] {pos}/{len} rows  {per_sec}");
            let progress = |done: usize, total: usize| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            };
            let actor = skyfly_domain::event::Actor::system("cli-import");
            let report = skyfly_api::routes::flights::import_schedule(
                &state, &bytes, from, days, actor, &progress,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{} ({})", e.detail, e.code))?;
            bar.finish();
            for e in &report.errors {
                println!("line {}: {}", e.line, e.reason);
            }
            println!(
                "{} rows: {} flights scheduled, {} already scheduled, {} errors",
                report.rows,
                report.scheduled,
                report.already_scheduled,
                report.errors.len()
            );
        }
    }
    Ok(())
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
fn progress_bar(prefix: &'static str, template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0).with_prefix(prefix);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("#>-"));
    }
    bar
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
