//! Import a schedule file (the seed CSV format): every weekly row materialised into flight
//! instances for a range of local dates, each scheduled unless it exists. Importing twice adds
//! nothing.
//!
//! The report accounts for every data line of the file exactly once (see [`LineOutcome`]), and
//! its counts add up to [`ImportReport::lines`]: [`ImportReport::accounts_for_every_line`].

use super::schedule::schedule_plan;
use crate::{Application, Call, CommandError, UseCaseError, UseCaseResult};
use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use skyfly_domain::event::Actor;
use skyfly_domain::ids::CommandId;
use skyfly_domain::inventory::{FlightInventory, InventoryError};
use skyfly_fixtures::airports::time_zone;
use skyfly_fixtures::schedule_csv::{self, FlightPlan};
use std::collections::BTreeMap;

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
    /// The command: `days` (default 14) local dates from `from`. `from` is required (`422
    /// missing_field` naming it): an import without it would materialise dates nobody chose.
    /// An adapter with a sensible default (the CLI: today on the engine's clock) passes it in.
    pub fn parse(csv: Vec<u8>, from: Option<NaiveDate>, days: Option<u32>) -> UseCaseResult<Self> {
        let days = days.unwrap_or(DEFAULT_IMPORT_DAYS);
        if !(1..=MAX_IMPORT_DAYS).contains(&days) {
            return Err(UseCaseError::invalid(
                "days",
                "invalid_field",
                format!("days must be 1 to {MAX_IMPORT_DAYS}"),
            ));
        }
        let from = from.ok_or_else(|| {
            UseCaseError::invalid(
                "from",
                "missing_field",
                "from is required: the first local date to schedule, YYYY-MM-DD",
            )
        })?;
        Ok(Self { csv, from, days })
    }
}

/// What an import did. Every data line is in exactly one of `scheduled`, `already_scheduled`,
/// `outside_window` and `rejected`, so they add up to `lines`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Data lines in the file (the lines after the header that are not blank).
    pub lines: usize,
    /// Lines that scheduled at least one new flight instance, none refused.
    pub scheduled: usize,
    /// Lines whose flight instances in the range all existed already, as the line says.
    pub already_scheduled: usize,
    /// Lines whose weekday falls on no date of the range: nothing to schedule.
    pub outside_window: usize,
    /// Lines refused, each once in `errors` with its reason.
    pub rejected: usize,
    /// Flight instances this import scheduled.
    pub flights_scheduled: usize,
    /// Flight instances that existed already (importing twice adds nothing).
    pub flights_already_scheduled: usize,
    /// One entry per rejected line, by line number; a problem with the file itself (no header, a
    /// wrong one) is one more entry, on line 1, and then the file has no data line.
    pub errors: Vec<ImportError>,
}

impl ImportReport {
    /// Whether the line counts add up to `lines` and each rejected line has its one error.
    pub fn accounts_for_every_line(&self) -> bool {
        let data_errors = self.errors.iter().filter(|e| !about_the_file(&e.reason));
        self.scheduled + self.already_scheduled + self.outside_window + self.rejected == self.lines
            && data_errors.count() == self.rejected
    }
}

/// A line of the file that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportError {
    /// Its line number.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// What became of one data line; every line gets exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// It scheduled at least one flight instance, and none of its instances was refused.
    Scheduled,
    /// Every one of its flight instances existed already.
    AlreadyScheduled,
    /// Its weekday falls on no date of the range.
    OutsideWindow,
    /// Refused (the first reason found; a line refused for one date is refused).
    Rejected(String),
}

impl LineOutcome {
    /// The outcome of a line that had `next` happen to one more of its flight instances: a
    /// refusal wins, then a new flight, then an existing one.
    fn and(self, next: LineOutcome) -> LineOutcome {
        use LineOutcome::*;
        match (self, next) {
            (Rejected(r), _) | (_, Rejected(r)) => Rejected(r),
            (Scheduled, _) | (_, Scheduled) => Scheduled,
            (AlreadyScheduled, _) | (_, AlreadyScheduled) => AlreadyScheduled,
            (OutsideWindow, OutsideWindow) => OutsideWindow,
        }
    }
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
    let mut file_errors = Vec::new();
    let mut lines: BTreeMap<u64, LineOutcome> = BTreeMap::new();
    for e in row_errors {
        if about_the_file(&e.reason) {
            file_errors.push(ImportError {
                line: e.line,
                reason: e.reason,
            });
        } else {
            lines.insert(e.line, LineOutcome::Rejected(e.reason));
        }
    }
    let mut known = Vec::with_capacity(rows.len());
    for row in rows {
        let unknown = [("origin", row.origin), ("destination", row.destination)]
            .into_iter()
            .find(|(_, c)| !app.airports.contains_key(c));
        let outcome = match unknown {
            Some((column, code)) => {
                LineOutcome::Rejected(format!("{column}: unknown airport {code}"))
            }
            None => {
                known.push(row.clone());
                LineOutcome::OutsideWindow
            }
        };
        lines.insert(row.line, outcome);
    }
    let zone = |code| app.airports.get(&code).and_then(time_zone);
    let (plans, plan_errors) =
        schedule_csv::materialize(&known, command.from, command.days, &zone, &|_, cabin| {
            schedule_csv::default_capacity(cabin)
        });
    let mut record = |line: u64, outcome: LineOutcome| {
        let before = lines.remove(&line).unwrap_or(LineOutcome::OutsideWindow);
        lines.insert(line, before.and(outcome));
    };
    for e in plan_errors {
        record(e.line, LineOutcome::Rejected(e.reason));
    }
    let mut report = ImportReport::default();
    let mut outcomes = futures::stream::iter(&plans)
        .map(|plan| {
            let actor = actor.clone();
            let scheduling: futures::future::BoxFuture<'_, _> =
                Box::pin(async move { (plan, schedule_one(app, actor, plan).await) });
            scheduling
        })
        .buffer_unordered(CONCURRENCY)
        .boxed();
    let mut done = 0;
    while let Some((plan, outcome)) = outcomes.next().await {
        let outcome = outcome?;
        match outcome {
            LineOutcome::Scheduled => report.flights_scheduled += 1,
            LineOutcome::AlreadyScheduled => report.flights_already_scheduled += 1,
            LineOutcome::OutsideWindow | LineOutcome::Rejected(_) => {}
        }
        record(plan.source_line, outcome);
        done += 1;
        progress(done, plans.len());
    }
    report.lines = lines.len();
    let mut errors = file_errors;
    for (line, outcome) in lines {
        match outcome {
            LineOutcome::Scheduled => report.scheduled += 1,
            LineOutcome::AlreadyScheduled => report.already_scheduled += 1,
            LineOutcome::OutsideWindow => report.outside_window += 1,
            LineOutcome::Rejected(reason) => {
                report.rejected += 1;
                errors.push(ImportError { line, reason });
            }
        }
    }
    report.errors = errors;
    debug_assert!(report.accounts_for_every_line(), "{report:?}");
    Ok(report)
}

/// Schedules one flight instance of a line: `Scheduled`, `AlreadyScheduled` (as the line says),
/// or `Rejected` with the reason. A flight instance found scheduled otherwise (another route or
/// other times, as one imported before local times were read as such) keeps what it recorded,
/// since events are immutable, and the line says so rather than counting it as already scheduled.
async fn schedule_one(
    app: &Application,
    actor: Actor,
    plan: &FlightPlan,
) -> Result<LineOutcome, CommandError<InventoryError>> {
    // The command id is derived from the flight instance, so a re-import is recognised even if a
    // concurrent import scheduled it first.
    let call = Call::new(
        CommandId::derived(&format!("schedule/{}", plan.flight_id)),
        actor,
    );
    match schedule_plan(app, &call, plan).await {
        Ok(Some(_)) => return Ok(LineOutcome::Scheduled),
        Ok(None) => {}
        Err(CommandError::Rejected(r)) => {
            return Ok(LineOutcome::Rejected(format!("{}: {r}", plan.flight_id)));
        }
        Err(e) => return Err(e),
    }
    // The bus has just brought its cached state up to date to refuse or recognise the command:
    // no need to read the stream again.
    let (inventory, _) = app
        .bus
        .load_cached::<FlightInventory>(&plan.flight_id)
        .await?;
    let Some(existing) = inventory.schedule() else {
        return Ok(LineOutcome::AlreadyScheduled);
    };
    let route_and_times =
        |origin, destination, departure: DateTime<Utc>, arrival: DateTime<Utc>| {
            format!(
                "{origin}-{destination}, {} to {}",
                departure.to_rfc3339(),
                arrival.to_rfc3339()
            )
        };
    let recorded = route_and_times(
        existing.origin,
        existing.destination,
        existing.departure,
        existing.arrival,
    );
    let planned = route_and_times(plan.origin, plan.destination, plan.departure, plan.arrival);
    Ok(if recorded == planned {
        LineOutcome::AlreadyScheduled
    } else {
        LineOutcome::Rejected(format!(
            "{}: already scheduled otherwise ({recorded}), not as this line says ({planned}); \
             a flight once scheduled keeps its times",
            plan.flight_id
        ))
    })
}
