//! The `skyfly` binary: `main` parses the arguments and dispatches to one module per
//! subcommand (`cmd/`); every subcommand builds the engine through `skyfly_engine::Engine` and
//! calls the application layer's use cases.

mod cmd;
mod progress;
mod settings;
mod signal;

use clap::{Parser, Subcommand};
use settings::Settings;
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

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(cmd::serve::Serve),
    /// Create the database if needed and apply migrations, then exit.
    Migrate,
    /// Staff accounts.
    Staff {
        #[command(subcommand)]
        command: cmd::staff::StaffCommand,
    },
    /// The event log, as JSON lines (one envelope per line) for auditors' tools. Read-only: the
    /// database must exist and be migrated (nothing is created).
    Events {
        #[command(subcommand)]
        command: cmd::events::EventsCommand,
    },
    /// Read models.
    Projections {
        #[command(subcommand)]
        command: cmd::projections::ProjectionsCommand,
    },
    /// Import data.
    Import {
        #[command(subcommand)]
        command: cmd::import::ImportCommand,
    },
    /// Benchmarks (docs/benchmarks.md) in a scratch database on the server of DATABASE_URL.
    /// Build with `--release` for figures worth quoting.
    Bench(cmd::bench::Bench),
    /// Scenario files (fixtures/README.md): run them against the engine on a virtual clock.
    Scenario {
        #[command(subcommand)]
        command: cmd::scenario::ScenarioCommand,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Settings first, before anything slow: a bad one is a usage error (status 2) naming it.
    if let Err(message) = cli.settings.check() {
        use clap::CommandFactory;
        Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, message)
            .exit();
    }
    // A scenario run prints its own report; the engine's logs would drown it (RUST_LOG still wins).
    let default_filter = match cli.command {
        Command::Scenario { .. } | Command::Bench { .. } => "error",
        _ => "info,sqlx=warn",
    };
    // Logs go to stderr, whatever the command: stdout is the command's data (`events export >
    // log.jsonl`), and a log line must never land in it.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = &cli.settings;
    match cli.command {
        Command::Serve(serve) => cmd::serve::run(settings, serve).await,
        Command::Migrate => cmd::migrate::run(settings).await,
        Command::Staff { command } => cmd::staff::run(settings, command).await,
        Command::Events { command } => cmd::events::run(settings, command).await,
        Command::Projections { command } => cmd::projections::run(settings, command).await,
        Command::Import { command } => cmd::import::run(settings, command).await,
        Command::Bench(bench) => cmd::bench::run(settings, bench).await,
        Command::Scenario { command } => cmd::scenario::run(settings, command).await,
    }
}
