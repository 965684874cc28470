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

#![warn(missing_docs)]

mod append;
mod http;
mod load;
mod measure;
mod raw;
mod rebuild;
mod saga;

use anyhow::{Context, bail};
use append::append_suite;
use load::load_suite;
use measure::Report;
use raw::raw_suite;
use rebuild::rebuild_suite;
use saga::{engine, saga_suite};
use serde_json::Value;
use skyfly_infra::pg::{drop_database, with_database};
use std::time::Duration;
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
    /// Print each figure as one JSON object per line instead of a line of `key=value` pairs.
    pub json: bool,
}

/// The suite names [`run`] accepts (see the crate's documentation); `all` runs every suite.
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
