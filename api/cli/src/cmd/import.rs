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
        /// First date to materialise, local at each flight's origin (default: today, the UTC date
        /// on the engine's clock).
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
    let from = from.unwrap_or_else(|| engine.app.now().date_naive());
    let command = ImportSchedule::parse(bytes, Some(from), Some(days))?;
    let bar = crate::progress::bar(
        "import",
        "{prefix} [{bar:40}] {pos}/{len} flights  {per_sec}",
    );
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
        "{} lines from {from} for {days} day{}: {} scheduled, {} already scheduled, {} outside \
         the range, {} rejected; {} flights scheduled, {} already scheduled",
        report.lines,
        if days == 1 { "" } else { "s" },
        report.scheduled,
        report.already_scheduled,
        report.outside_window,
        report.rejected,
        report.flights_scheduled,
        report.flights_already_scheduled,
    );
    Ok(())
}
