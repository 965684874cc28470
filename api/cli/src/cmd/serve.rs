//! `skyfly serve`: the engine in one role (or all), the demo data if asked, HTTP if the role
//! serves it.

use crate::Settings;
use anyhow::Context;
use clap::Args;
use skyfly_engine::ProcessRole;

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
}

/// Runs the subcommand until Ctrl-C or SIGTERM.
pub async fn run(settings: &Settings, serve: Serve) -> anyhow::Result<()> {
    let role = ProcessRole::parse(&serve.role).unwrap_or(ProcessRole::All);
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("metrics recorder")?;
    let engine = settings.engine(serve.worker_id).await?;
    engine.start(role);
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
    if !role.serves_http() {
        println!("SkyFly {role:?} is running (no HTTP in this role); Ctrl-C stops it.");
        shutdown().await;
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind(&serve.listen)
        .await
        .with_context(|| format!("bind {}", serve.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "SkyFly listening");
    println!("SkyFly is listening on http://{addr}  (docs: http://{addr}/docs)");
    let state = skyfly_api::AppState::new(&engine, Some(metrics))
        .with_idempotency_ttl(serve.idempotency_ttl);
    axum::serve(listener, skyfly_api::router(state))
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

/// Resolves at Ctrl-C or SIGTERM.
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
