//! `skyfly scenario run`: scenario files against the engine (`skyfly-scenarios`).

use crate::Settings;
use clap::Subcommand;
use skyfly_scenarios::StoreKind;

/// Scenario files.
#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Run scenario files, or every `*.toml` of directories; each in a scratch database on the
    /// PostgreSQL server of DATABASE_URL (created, and dropped however the run ends: passed,
    /// failed, panicked or interrupted). Exits non-zero if one fails.
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

/// Runs the subcommand; exits with status 1 if a scenario failed, 130 if interrupted (Ctrl-C,
/// SIGTERM). Every scratch database is dropped, whichever way it ends.
pub async fn run(settings: &Settings, command: ScenarioCommand) -> anyhow::Result<()> {
    let ScenarioCommand::Run { paths, store, jobs } = command;
    let stores = match store.as_str() {
        "memory" => vec![StoreKind::Memory],
        "postgres" => vec![StoreKind::Postgres],
        _ => vec![StoreKind::Memory, StoreKind::Postgres],
    };
    // Interrupted, the runs are dropped, and each drops its scratch database as it goes.
    let interrupted = crate::signal::terminated();
    let outcome = tokio::select! {
        passed = skyfly_scenarios::run_and_print(&paths, &stores, &settings.database_url, jobs) => {
            Some(passed?)
        }
        () = interrupted => None,
    };
    match outcome {
        Some(true) => Ok(()),
        Some(false) => std::process::exit(1),
        None => {
            eprintln!("interrupted; the scratch databases were dropped");
            std::process::exit(130)
        }
    }
}
