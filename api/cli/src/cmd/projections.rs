//! `skyfly projections status|rebuild`: the read models, through their use cases.

use crate::Settings;
use clap::Subcommand;
use skyfly_commands::read_models::{self, RebuildReadModel};

/// Read models.
#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Rebuild read models from the log into fresh tables and switch over atomically; queries keep
    /// answering from the old tables meanwhile.
    Rebuild {
        /// The read model to rebuild (see GET /api/v1/admin/projections).
        name: Option<String>,
        /// Rebuild every read model.
        #[arg(long, conflicts_with = "name")]
        all: bool,
    },
    /// Position and lag of every read model (read-only: the database must exist and be migrated).
    Status,
}

/// Runs the subcommand.
pub async fn run(settings: &Settings, command: ProjectionsCommand) -> anyhow::Result<()> {
    let engine = match command {
        ProjectionsCommand::Status => settings.read_only_engine().await?,
        ProjectionsCommand::Rebuild { .. } => settings.engine(None).await?,
    };
    let app = &engine.app;
    match command {
        ProjectionsCommand::Status => {
            for s in read_models::statuses(app).await? {
                println!(
                    "{:<24} position {:>16}  lag {:>8} events {:>8} ms  {}",
                    s.name, s.position, s.lag_events, s.lag_ms, s.status
                );
            }
        }
        ProjectionsCommand::Rebuild { name, all } => {
            let names = app.read_models.names();
            let chosen: Vec<RebuildReadModel> = if all {
                names
                    .iter()
                    .map(|n| RebuildReadModel::parse(app, n))
                    .collect::<Result<_, _>>()?
            } else {
                match name.as_deref().map(|n| RebuildReadModel::parse(app, n)) {
                    Some(Ok(command)) => vec![command],
                    _ => anyhow::bail!(
                        "name a read model or pass --all; read models: {}",
                        names.join(", ")
                    ),
                }
            };
            for command in chosen {
                let started = std::time::Instant::now();
                let prefix: &'static str = names
                    .iter()
                    .copied()
                    .find(|n| *n == command.name)
                    .unwrap_or("rebuild");
                let bar = crate::progress::bar(
                    prefix,
                    "{prefix:<24} [{bar:30}] {pos}/{len} events  {per_sec}  {elapsed}",
                );
                let progress = |done: u64, total: u64| {
                    bar.set_length(total);
                    bar.set_position(done);
                };
                let n = read_models::rebuild(app, &command, &progress).await?;
                bar.finish();
                println!(
                    "{}: rebuilt from {n} events in {:.1} s",
                    command.name,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    Ok(())
}
