//! `skyfly bench <suite>`: the benchmark (`skyfly-bench`) against the server of DATABASE_URL.

use crate::Settings;
use clap::Args;

/// Benchmarks.
#[derive(Debug, Args)]
pub struct Bench {
    /// raw | append | saga | projection | load | all
    #[arg(value_parser = skyfly_bench::SUITES)]
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
}

/// Runs the subcommand.
pub async fn run(settings: &Settings, bench: Bench) -> anyhow::Result<()> {
    let options = skyfly_bench::BenchOptions {
        server_url: settings.database_url.clone(),
        seconds: bench.seconds,
        rebuild_events: bench.rebuild_events,
        json: bench.json,
    };
    skyfly_bench::run(&bench.suite, &options).await?;
    Ok(())
}
