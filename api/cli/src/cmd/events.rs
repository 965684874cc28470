//! `skyfly events tail|stream|export`: the log as JSON lines, through the log-reading use cases.
//!
//! Read-only: the database must exist and be migrated (a mistyped `DATABASE_URL` is an error, not
//! an empty export). Stdout carries the events only (logs go to stderr), and is never held
//! locked across an await: a task logging or printing from another thread meanwhile would block
//! a runtime worker for as long as the export runs, and with every worker so blocked the export
//! itself would never be woken again.

use crate::Settings;
use clap::Subcommand;
use futures::StreamExt;
use std::io::Write;

/// The event log.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
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

/// Runs the subcommand.
pub async fn run(settings: &Settings, command: EventsCommand) -> anyhow::Result<()> {
    let engine = settings.read_only_engine().await?;
    let app = &engine.app;
    let mut out = std::io::BufWriter::new(std::io::stdout());
    match command {
        EventsCommand::Stream { stream_id } => {
            for e in skyfly_commands::events::stream(app, &stream_id).await? {
                writeln!(out, "{}", serde_json::to_string(&e)?)?;
            }
        }
        EventsCommand::Export { after } => {
            let mut events = skyfly_commands::events::export(app, after);
            let mut exported = 0u64;
            while let Some(e) = events.next().await {
                writeln!(out, "{}", serde_json::to_string(&e?)?)?;
                exported += 1;
            }
            tracing::info!(events = exported, after, "exported");
        }
        EventsCommand::Tail { after } => {
            let mut events = skyfly_commands::events::tail(app, after).await?;
            while let Some(e) = events.next().await {
                writeln!(out, "{}", serde_json::to_string(&e?)?)?;
                out.flush()?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
