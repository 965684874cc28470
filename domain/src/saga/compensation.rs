//! `RecordCompensationSucceeded`, `RecordCompensationFailed` and `RetryParked`: undoing the
//! completed steps after a failure, retried with backoff, parked for staff when it keeps failing.

use super::events::SagaEvent;
use super::state::{Phase, UndoStatus};
use super::undo::{UndoDecision, on_failure, on_success};
use super::{BookingSaga, Compensation, SagaError, SagaOutcome};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A compensation's command took effect on its aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordCompensationSucceeded {
    /// The compensation that succeeded.
    pub compensation: Compensation,
    /// Which attempt answered.
    pub attempt: u32,
    /// When the answer arrived.
    pub at: DateTime<Utc>,
}

/// A compensation's command failed; after
/// [`MAX_COMPENSATION_ATTEMPTS`](super::MAX_COMPENSATION_ATTEMPTS) failures in a row it is parked
/// for staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordCompensationFailed {
    /// The compensation that failed.
    pub compensation: Compensation,
    /// Which attempt failed.
    pub attempt: u32,
    /// Why it failed.
    pub reason: String,
    /// When the answer arrived.
    pub at: DateTime<Utc>,
}

/// Staff: try everything parked again, with a fresh round of attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryParked {
    /// When staff asked.
    pub at: DateTime<Utc>,
}

pub(super) fn decide_succeeded(
    state: &BookingSaga,
    cmd: &RecordCompensationSucceeded,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    let run = s
        .compensation
        .as_ref()
        .ok_or(SagaError::NotCompensating { status: s.status() })?;
    match on_success(&run.items, cmd.compensation, cmd.attempt)? {
        UndoDecision::Succeeded { completes } => {
            let mut events = vec![SagaEvent::CompensationSucceeded {
                compensation: cmd.compensation,
                attempt: cmd.attempt,
                at: cmd.at,
            }];
            if completes {
                events.push(SagaEvent::OutcomeReached {
                    outcome: SagaOutcome::Failed {
                        step: run.failed_step,
                        reason: run.reason.clone(),
                    },
                    at: cmd.at,
                });
            }
            Ok(events)
        }
        UndoDecision::Nothing | UndoDecision::Failed { .. } => Ok(vec![]),
    }
}

pub(super) fn decide_failed(
    state: &BookingSaga,
    cmd: &RecordCompensationFailed,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    let run = s
        .compensation
        .as_ref()
        .ok_or(SagaError::NotCompensating { status: s.status() })?;
    match on_failure(&run.items, cmd.compensation, cmd.attempt)? {
        UndoDecision::Failed { park } => {
            let mut events = vec![SagaEvent::CompensationFailed {
                compensation: cmd.compensation,
                attempt: cmd.attempt,
                reason: cmd.reason.clone(),
                at: cmd.at,
            }];
            if park {
                events.push(SagaEvent::CompensationParked {
                    compensation: cmd.compensation,
                    reason: cmd.reason.clone(),
                    at: cmd.at,
                });
            }
            Ok(events)
        }
        UndoDecision::Nothing | UndoDecision::Succeeded { .. } => Ok(vec![]),
    }
}

pub(super) fn decide_retry_parked(
    state: &BookingSaga,
    cmd: &RetryParked,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    let any_parked = match s.phase {
        Phase::Compensating => s
            .compensation
            .as_ref()
            .is_some_and(|r| r.items.iter().any(|i| i.status == UndoStatus::Parked)),
        Phase::Cancelling => s
            .cancellation
            .as_ref()
            .is_some_and(|r| r.items.iter().any(|i| i.status == UndoStatus::Parked)),
        _ => false,
    };
    if !any_parked {
        return Err(SagaError::NothingParked);
    }
    Ok(vec![SagaEvent::ParkedRetried { at: cmd.at }])
}
