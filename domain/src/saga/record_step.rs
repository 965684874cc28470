//! `RecordStepStarted`, `RecordStepSucceeded`, `RecordStepFailed` and `RecordTimeout`: the forward
//! steps as the process manager performs them, and what follows from their outcome.

use super::events::SagaEvent;
use super::state::{Phase, SagaState, StepOutcome, add_or_max};
use super::{
    BookingSaga, ForwardStep, SEATS_UNAVAILABLE, SagaError, SagaOutcome, TIMEOUT_REASON, backoff,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The process manager is about to send `step`'s command (attempt `attempt`): from now on the
/// step has a durable deadline. Only the step `next_actions` offers is accepted (its retry backoff
/// is not enforced here: `next_actions` offers a retry only once it is due).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordStepStarted {
    /// The forward step about to run.
    pub step: ForwardStep,
    /// The attempt's number: the one the saga offers next.
    pub attempt: u32,
    /// When the command is sent; the deadline runs from here.
    pub at: DateTime<Utc>,
}

/// The step's aggregate accepted its command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordStepSucceeded {
    /// The step that succeeded.
    pub step: ForwardStep,
    /// Which attempt answered: a late answer to an earlier attempt is told apart from the current.
    pub attempt: u32,
    /// When the answer arrived.
    pub at: DateTime<Utc>,
}

/// The step's aggregate refused its command, or its provider failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordStepFailed {
    /// The step that failed.
    pub step: ForwardStep,
    /// Which attempt failed.
    pub attempt: u32,
    /// The refusal's code, e.g. `seats_unavailable`, `card_declined`, `processing_error`.
    pub reason: String,
    /// The same command may succeed later (a provider's `processing_error`): retried up to
    /// `max_provider_retries` times before the saga compensates.
    pub retryable: bool,
    /// When the answer arrived.
    pub at: DateTime<Utc>,
}

/// The step in flight may have passed its deadline (sent when a `WaitUntil` deadline fires or a
/// `TimeOut` action comes up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordTimeout {
    /// The instant of the check; refused before the deadline of the step in flight.
    pub at: DateTime<Utc>,
}

pub(super) fn decide_started(
    state: &BookingSaga,
    cmd: &RecordStepStarted,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    if s.find_attempt(cmd.step, cmd.attempt).is_some() {
        return Ok(vec![]);
    }
    if s.phase != Phase::Running {
        return Err(SagaError::NotRunning { status: s.status() });
    }
    match s.next_to_run() {
        Some((step, attempt, _)) if step == cmd.step && attempt == cmd.attempt => {}
        _ => {
            return Err(SagaError::NotNextStep {
                step: cmd.step,
                attempt: cmd.attempt,
            });
        }
    }
    let timeout = chrono::Duration::seconds(i64::from(s.step_timeout_secs));
    Ok(vec![SagaEvent::StepStarted {
        step: cmd.step,
        attempt: cmd.attempt,
        started_at: cmd.at,
        deadline: add_or_max(cmd.at, timeout),
    }])
}

/// The attempt must exist; `Ok(true)` when it already has an outcome equal to `done`'s kind
/// (a redelivery: nothing to do), `Ok(false)` when it is in flight.
fn in_flight_or_done(
    s: &SagaState,
    step: ForwardStep,
    attempt: u32,
    done: impl Fn(&StepOutcome) -> bool,
) -> Result<bool, SagaError> {
    let a = s
        .find_attempt(step, attempt)
        .ok_or(SagaError::StepNotStarted { step, attempt })?;
    match &a.outcome {
        None => Ok(false),
        Some(outcome) if done(outcome) => Ok(true),
        // E.g. an answer arriving after the step timed out: the saga has moved on, and the
        // process manager must hear that its news came too late.
        Some(_) => Err(SagaError::StepNotInFlight { step, attempt }),
    }
}

pub(super) fn decide_succeeded(
    state: &BookingSaga,
    cmd: &RecordStepSucceeded,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    if in_flight_or_done(s, cmd.step, cmd.attempt, |o| *o == StepOutcome::Succeeded)? {
        return Ok(vec![]);
    }
    let mut events = vec![SagaEvent::StepSucceeded {
        step: cmd.step,
        attempt: cmd.attempt,
        at: cmd.at,
    }];
    if s.next_after(cmd.step).is_none() {
        events.push(SagaEvent::OutcomeReached {
            outcome: SagaOutcome::Confirmed,
            at: cmd.at,
        });
    }
    Ok(events)
}

pub(super) fn decide_failed(
    state: &BookingSaga,
    cmd: &RecordStepFailed,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    if in_flight_or_done(s, cmd.step, cmd.attempt, |o| {
        matches!(o, StepOutcome::Failed { .. })
    })? {
        return Ok(vec![]);
    }
    let mut events = vec![SagaEvent::StepFailed {
        step: cmd.step,
        attempt: cmd.attempt,
        reason: cmd.reason.clone(),
        retryable: cmd.retryable,
        at: cmd.at,
    }];
    if cmd.step == ForwardStep::ReserveSeats && cmd.reason == SEATS_UNAVAILABLE {
        // Nothing was done yet (seats are the first step): the booking is rejected, not failed.
        events.push(SagaEvent::OutcomeReached {
            outcome: SagaOutcome::Rejected {
                reason: cmd.reason.clone(),
            },
            at: cmd.at,
        });
    } else if cmd.retryable && cmd.attempt <= s.max_provider_retries {
        // Attempt n is retry n − 1: `max_provider_retries` retries after the first attempt.
        events.push(SagaEvent::RetryScheduled {
            step: cmd.step,
            attempt: cmd.attempt.saturating_add(1),
            not_before: add_or_max(cmd.at, backoff(cmd.attempt)),
            at: cmd.at,
        });
    } else {
        events.extend(give_up(s, cmd.step, &cmd.reason, cmd.at));
    }
    Ok(events)
}

pub(super) fn decide_timeout(
    state: &BookingSaga,
    cmd: &RecordTimeout,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    // A late timer: the step answered (or the saga moved on) before it fired.
    let Some(a) = s.in_flight() else {
        return Ok(vec![]);
    };
    if cmd.at < a.deadline {
        return Err(SagaError::DeadlineNotReached {
            deadline: a.deadline,
        });
    }
    let mut events = vec![SagaEvent::StepTimedOut {
        step: a.step,
        attempt: a.attempt,
        deadline: a.deadline,
        at: cmd.at,
    }];
    events.extend(give_up(s, a.step, TIMEOUT_REASON, cmd.at));
    Ok(events)
}

/// The saga gives up on `step`: undo what completed (the failed step itself did not), and if
/// there is nothing to undo the outcome is known at once.
fn give_up(s: &SagaState, step: ForwardStep, reason: &str, at: DateTime<Utc>) -> Vec<SagaEvent> {
    let compensations = s.compensation_plan();
    let nothing_to_undo = compensations.is_empty();
    let mut events = vec![SagaEvent::CompensationStarted {
        step: step.saga_step(),
        reason: reason.to_owned(),
        compensations,
        at,
    }];
    if nothing_to_undo {
        events.push(SagaEvent::OutcomeReached {
            outcome: SagaOutcome::Failed {
                step: step.saga_step(),
                reason: reason.to_owned(),
            },
            at,
        });
    }
    events
}
