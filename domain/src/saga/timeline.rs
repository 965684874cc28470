//! The saga's history in words, for `GET /admin/sagas/{id}`: one entry per event, oldest first.

use super::steps::{CancellationStep, Compensation, ForwardStep};
use crate::booking::SagaStep;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a timeline entry records: one kind per kind of saga event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// The saga began.
    SagaStarted,
    /// A forward step's command was sent.
    StepStarted,
    /// A forward step succeeded.
    StepSucceeded,
    /// A forward step failed.
    StepFailed,
    /// A forward step went unanswered past its deadline.
    TimedOut,
    /// A failed forward step will be tried again after a backoff.
    RetryScheduled,
    /// The saga gave up on a step and planned what to undo.
    CompensationStarted,
    /// A compensation succeeded.
    Compensated,
    /// A compensation's attempt failed.
    CompensationFailed,
    /// A compensation or cancellation step ran out of attempts and waits for staff.
    Parked,
    /// Staff had the parked items tried again.
    ParkedRetried,
    /// A confirmed booking's cancellation began.
    CancellationStarted,
    /// A cancellation step succeeded.
    CancellationStepSucceeded,
    /// A cancellation step's attempt failed.
    CancellationStepFailed,
    /// The outcome became known; the booking is to be told.
    OutcomeReached,
    /// The booking was told: the saga reached its terminal state.
    Ended,
}

impl TimelineKind {
    /// The kind's stable name, e.g. `"compensation_started"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::SagaStarted => "saga_started",
            TimelineKind::StepStarted => "step_started",
            TimelineKind::StepSucceeded => "step_succeeded",
            TimelineKind::StepFailed => "step_failed",
            TimelineKind::TimedOut => "timed_out",
            TimelineKind::RetryScheduled => "retry_scheduled",
            TimelineKind::CompensationStarted => "compensation_started",
            TimelineKind::Compensated => "compensated",
            TimelineKind::CompensationFailed => "compensation_failed",
            TimelineKind::Parked => "parked",
            TimelineKind::ParkedRetried => "parked_retried",
            TimelineKind::CancellationStarted => "cancellation_started",
            TimelineKind::CancellationStepSucceeded => "cancellation_step_succeeded",
            TimelineKind::CancellationStepFailed => "cancellation_step_failed",
            TimelineKind::OutcomeReached => "outcome_reached",
            TimelineKind::Ended => "ended",
        }
    }
}

impl fmt::Display for TimelineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened, to what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// What happened.
    pub kind: TimelineKind,
    /// The forward step, compensation or cancellation step concerned; `saga` for the whole saga.
    pub name: String,
    /// The attempt concerned, when there is one.
    pub attempt: Option<u32>,
    /// A reason, a deadline, a plan: whatever a person reading the history needs.
    pub detail: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl TimelineEntry {
    pub(super) fn new(kind: TimelineKind, name: impl fmt::Display, at: DateTime<Utc>) -> Self {
        Self {
            kind,
            name: name.to_string(),
            attempt: None,
            detail: None,
            at,
        }
    }

    pub(super) fn attempt(self, attempt: u32) -> Self {
        Self {
            attempt: Some(attempt),
            ..self
        }
    }

    pub(super) fn detail(self, detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..self
        }
    }

    /// The saga step (one of DOMAIN.md's five) this entry is about: a forward action's own step
    /// (`commit_seats` and `capture_payment` are part of `confirm_booking`), or the step a
    /// compensation or cancellation step undoes. `None` for the saga as a whole (its start, its
    /// outcome, its end).
    pub fn saga_step(&self) -> Option<SagaStep> {
        use TimelineKind as K;
        let forward = match self.kind {
            K::StepStarted
            | K::StepSucceeded
            | K::StepFailed
            | K::TimedOut
            | K::RetryScheduled
            | K::CompensationStarted => ForwardStep::parse(&self.name),
            K::Compensated | K::CompensationFailed => {
                Compensation::parse(&self.name).map(Compensation::undoes)
            }
            K::CancellationStepSucceeded | K::CancellationStepFailed => {
                CancellationStep::parse(&self.name).map(CancellationStep::undoes)
            }
            // A compensation and a cancellation step of the same name undo the same step.
            K::Parked => Compensation::parse(&self.name)
                .map(Compensation::undoes)
                .or_else(|| CancellationStep::parse(&self.name).map(CancellationStep::undoes)),
            K::SagaStarted
            | K::ParkedRetried
            | K::CancellationStarted
            | K::OutcomeReached
            | K::Ended => None,
        };
        forward.map(ForwardStep::saga_step)
    }
}

/// A timeline grouped by saga step: each step the saga touched, in the order it first appears,
/// with its entries in order. Entries about the saga as a whole are left out.
pub fn by_saga_step(timeline: &[TimelineEntry]) -> Vec<(SagaStep, Vec<&TimelineEntry>)> {
    let mut steps: Vec<(SagaStep, Vec<&TimelineEntry>)> = Vec::new();
    for entry in timeline {
        let Some(step) = entry.saga_step() else {
            continue;
        };
        match steps.iter_mut().find(|(s, _)| *s == step) {
            Some((_, entries)) => entries.push(entry),
            None => steps.push((step, vec![entry])),
        }
    }
    steps
}
