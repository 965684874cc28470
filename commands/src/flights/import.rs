//! Import a schedule file (the seed CSV format): every weekly row materialised into flight
//! instances for a range of days, each scheduled unless it exists. Importing twice adds nothing.

use super::schedule::schedule_plan;
use crate::{Application, Call, CommandError, UseCaseError, UseCaseResult};
use chrono::NaiveDate;
use futures::StreamExt;
use skyfly_domain::event::Actor;
use skyfly_domain::ids::CommandId;
use skyfly_fixtures::schedule_csv;

/// The longest range of days one import materialises.
pub const MAX_IMPORT_DAYS: u32 = 366;
/// How many days an import materialises unless told.
pub const DEFAULT_IMPORT_DAYS: u32 = 14;
/// Flights are independent streams: this many are scheduled at a time.
const CONCURRENCY: usize = 16;

/// Import a schedule file.
#[derive(Debug, Clone)]
pub struct ImportSchedule {
    csv: Vec<u8>,
    from: NaiveDate,
    days: u32,
}

impl ImportSchedule {
    /// The command: `days` (default 14) from `from` (default: the engine's today).
    pub fn parse(
        app: &Application,
        csv: Vec<u8>,
        from: Option<NaiveDate>,
        days: Option<u32>,
    ) -> UseCaseResult<Self> {
        let days = days.unwrap_or(DEFAULT_IMPORT_DAYS);
        if !(1..=MAX_IMPORT_DAYS).contains(&days) {
            return Err(UseCaseError::invalid(
                "days",
                "invalid_field",
                format!("days must be 1 to {MAX_IMPORT_DAYS}"),
            ));
        }
        let from = from.unwrap_or_else(|| app.now().date_naive());
        Ok(Self { csv, from, days })
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Data rows read from the file.
    pub rows: usize,
    /// Flight instances scheduled by this import.
    pub scheduled: usize,
    /// Flight instances that already existed.
    pub already_scheduled: usize,
    /// Rows (or flight instances) that could not be imported, by line.
    pub errors: Vec<ImportError>,
}

/// A line of the file that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportError {
    /// Its line number.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Whether a parse error is about the file (its header, reading it) rather than a data row: the
/// parser names the column a reason is about first, `header` or `file` for these.
fn about_the_file(reason: &str) -> bool {
    reason.starts_with("header:") || reason.starts_with("file:")
}

/// Imports a schedule file; `progress(done, total)` is told after each flight instance.
pub async fn import_schedule(
    app: &Application,
    actor: Actor,
    command: &ImportSchedule,
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> UseCaseResult<ImportReport> {
    let (rows, row_errors) = schedule_csv::parse_schedule(command.csv.as_slice());
    // A header or read error is about the file, not one of its data rows.
    let row_count = rows.len()
        + row_errors
            .iter()
            .filter(|e| !about_the_file(&e.reason))
            .count();
    let mut errors: Vec<ImportError> = row_errors
        .into_iter()
        .map(|e| ImportError {
            line: e.line,
            reason: e.reason,
        })
        .collect();
    let mut known = Vec::with_capacity(rows.len());
    for row in rows {
        let unknown = [("origin", row.origin), ("destination", row.destination)]
            .into_iter()
            .find(|(_, c)| !app.airports.contains_key(c));
        match unknown {
            Some((column, code)) => errors.push(ImportError {
                line: row.line,
                reason: format!("{column}: unknown airport {code}"),
            }),
            None => known.push(row),
        }
    }
    let (plans, plan_errors) =
        schedule_csv::materialize(&known, command.from, command.days, &|_, cabin| {
            schedule_csv::default_capacity(cabin)
        });
    errors.extend(plan_errors.into_iter().map(|e| ImportError {
        line: e.line,
        reason: e.reason,
    }));
    let mut report = ImportReport {
        rows: row_count,
        ..ImportReport::default()
    };
    let mut outcomes = futures::stream::iter(&plans)
        .map(|plan| {
            // The command id is derived from the flight instance, so a re-import is recognised
            // even if a concurrent import scheduled it first.
            let call = Call::new(
                CommandId::derived(&format!("schedule/{}", plan.flight_id)),
                actor.clone(),
            );
            let scheduling: futures::future::BoxFuture<'_, _> =
                Box::pin(async move { (plan, schedule_plan(app, &call, plan).await) });
            scheduling
        })
        .buffer_unordered(CONCURRENCY)
        .boxed();
    let mut done = 0;
    while let Some((plan, outcome)) = outcomes.next().await {
        match outcome {
            Ok(Some(_)) => report.scheduled += 1,
            Ok(None) => report.already_scheduled += 1,
            Err(CommandError::Rejected(r)) => errors.push(ImportError {
                line: plan.source_line,
                reason: format!("{}: {r}", plan.flight_id),
            }),
            Err(e) => return Err(e.into()),
        }
        done += 1;
        progress(done, plans.len());
    }
    errors.sort_by_key(|e| e.line);
    report.errors = errors;
    Ok(report)
}
