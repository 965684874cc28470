//! `skyfly serve`: the engine in one role (or all), the demo data if asked, HTTP if the role
//! serves it.
//!
//! The order is what an operator needs: the settings were checked when parsed, the listener is
//! bound before anything slow (a busy `--listen` fails at once, before connecting or migrating),
//! then the engine connects (waiting for a PostgreSQL that turns connections away, within
//! `--db-wait-secs`). At Ctrl-C or SIGTERM it goes down gracefully: live streams end, no new
//! connections or saga work are taken, and requests and saga drives in flight get
//! `--drain-secs` to finish.

use crate::Settings;
use anyhow::Context;
use clap::Args;
use skyfly_engine::ProcessRole;
use std::time::Duration;

/// Run the HTTP server.
#[derive(Debug, Args)]
pub struct Serve {
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
    #[arg(long, env = "SKYFLY_ROLE", default_value = "all", value_parser = ProcessRole::NAMES)]
    role: String,
    /// This process's id as a saga worker (its claims on sagas name it); random if unset.
    #[arg(long, env = "SKYFLY_WORKER_ID")]
    worker_id: Option<uuid::Uuid>,
    /// How long an `Idempotency-Key` and its answer are kept: seconds, or a whole number with
    /// `s`, `m`, `h` or `d` (`24h`).
    #[arg(long, env = "SKYFLY_IDEMPOTENCY_TTL", default_value = "24h",
        value_parser = skyfly_api::idempotency::parse_ttl)]
    idempotency_ttl: std::time::Duration,
    /// Seconds that requests and saga steps in flight get to finish on shutdown (Ctrl-C,
    /// SIGTERM) before the process exits anyway.
    #[arg(long, env = "SKYFLY_DRAIN_SECS", default_value_t = 10)]
    drain_secs: u64,
}

/// Runs the subcommand until Ctrl-C or SIGTERM, then drains.
pub async fn run(settings: &Settings, serve: Serve) -> anyhow::Result<()> {
    let role = ProcessRole::parse(&serve.role).unwrap_or(ProcessRole::All);
    let listener = match role.serves_http() {
        true => Some(bind(&serve.listen).await?),
        false => None,
    };
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("metrics recorder")?;
    let engine = settings.engine(serve.worker_id).await?;
    let shutdown = engine.shutdown.clone();
    let signal = crate::signal::terminated();
    tokio::spawn(async move {
        signal.await;
        tracing::info!("shutting down");
        shutdown.trigger();
    });
    let running = engine.start(role);
    if serve.demo {
        let summary = skyfly_engine::demo::load(&engine, serve.demo_days).await?;
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
    let drain = Duration::from_secs(serve.drain_secs);
    let Some(listener) = listener else {
        println!("SkyFly {role:?} is running (no HTTP in this role); Ctrl-C stops it.");
        engine.shutdown.triggered().await;
        let deadline = tokio::time::Instant::now() + drain;
        drained(running.stop(deadline).await, drain);
        return Ok(());
    };
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "SkyFly listening");
    println!("SkyFly is listening on http://{addr}  (docs: http://{addr}/docs)");
    let state = skyfly_api::AppState::new(&engine, Some(metrics))
        .with_idempotency_ttl(serve.idempotency_ttl);
    let server = axum::serve(listener, skyfly_api::router(state))
        .with_graceful_shutdown(engine.shutdown.triggered())
        .into_future();
    let mut server = tokio::spawn(server);
    tokio::select! {
        // The server only ends by itself on an error.
        ended = &mut server => return Ok(ended??),
        () = engine.shutdown.triggered() => {}
    }
    let deadline = tokio::time::Instant::now() + drain;
    let http = match tokio::time::timeout_at(deadline, &mut server).await {
        Ok(ended) => {
            ended??;
            true
        }
        Err(_) => {
            server.abort();
            false
        }
    };
    drained(running.stop(deadline).await && http, drain);
    Ok(())
}

/// The listener on `--listen`, or an error that names it.
async fn bind(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {listen} (--listen, SKYFLY_LISTEN): is another server there? \
             Choose another address with --listen"
            )
        })
}

/// Says how the drain went.
fn drained(in_time: bool, drain: Duration) {
    if in_time {
        tracing::info!("stopped");
    } else {
        tracing::warn!(
            ?drain,
            "work still in flight after the drain deadline (--drain-secs): stopping anyway; \
             another worker resumes it"
        );
    }
}
