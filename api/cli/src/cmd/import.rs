//! `skyfly import schedule`: a schedule file, through the import use case.

use crate::Settings;
use anyhow::Context;
use clap::Subcommand;
use skyfly_commands::flights::{ImportSchedule, import_schedule};
use skyfly_domain::event::Actor;

/// Import data.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
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

/// Runs the subcommand.
pub async fn run(settings: &Settings, command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Schedule { file, from, days } = command;
    let engine = settings.engine(None).await?;
    let bytes = std::fs::read(&file).with_context(|| format!("read {}", file.display()))?;
    let command = ImportSchedule::parse(&engine.app, bytes, from, Some(days))?;
    let bar = crate::progress::bar("import", "{prefix} [{bar:40}] {pos}/{len} rows  {per_sec}");
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let actor = Actor::system("cli-import");
    let report = import_schedule(&engine.app, actor, &command, &progress).await?;
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
    Ok(())
}
