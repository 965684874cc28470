//! The saga's history in words, for `GET /admin/sagas/{id}`: one entry per event, oldest first.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    SagaStarted,
    StepStarted,
    StepSucceeded,
    StepFailed,
    TimedOut,
    RetryScheduled,
    CompensationStarted,
    Compensated,
    CompensationFailed,
    /// A compensation or cancellation step ran out of attempts and waits for staff.
    Parked,
    ParkedRetried,
    CancellationStarted,
    CancellationStepSucceeded,
    CancellationStepFailed,
    OutcomeReached,
    Ended,
}

impl TimelineKind {
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
    pub kind: TimelineKind,
    /// The forward step, compensation or cancellation step concerned; `saga` for the whole saga.
    pub name: String,
    pub attempt: Option<u32>,
    /// A reason, a deadline, a plan: whatever a person reading the history needs.
    pub detail: Option<String>,
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
}
