//! `StartCancellation`, `RecordCancellationStepSucceeded` and `RecordCancellationStepFailed`:
//! undoing a confirmed booking, with the same retry and parking rules as compensations.

use super::events::SagaEvent;
use super::state::Phase;
use super::undo::{UndoDecision, on_failure, on_success};
use super::{BookingSaga, CancellationStep, SagaError, SagaOutcome};
use crate::ids::UserId;
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Sent by the process manager when the booking recorded `BookingCancellationRequested` (which
/// checked departure and fixed the refund by the rule of docs/domain.md, "Cancellation and refunds").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartCancellation {
    /// What goes back to the card; at most what it paid. Zero skips the refund.
    pub refund: Money,
    /// The user who asked for the cancellation: the customer, or a member of staff.
    pub requested_by: UserId,
    /// When the cancellation starts.
    pub at: DateTime<Utc>,
}

/// A cancellation step's command took effect on its aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordCancellationStepSucceeded {
    /// The cancellation step that succeeded.
    pub step: CancellationStep,
    /// Which attempt answered.
    pub attempt: u32,
    /// When the answer arrived.
    pub at: DateTime<Utc>,
}

/// A cancellation step's command failed; after
/// [`MAX_COMPENSATION_ATTEMPTS`](super::MAX_COMPENSATION_ATTEMPTS) failures in a row it is parked
/// for staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordCancellationStepFailed {
    /// The cancellation step that failed.
    pub step: CancellationStep,
    /// Which attempt failed.
    pub attempt: u32,
    /// Why it failed.
    pub reason: String,
    /// When the answer arrived.
    pub at: DateTime<Utc>,
}

pub(super) fn decide_start(
    state: &BookingSaga,
    cmd: &StartCancellation,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    match &s.phase {
        Phase::Ended(SagaOutcome::Confirmed) => {}
        // A second cancel is a no-op, not an error.
        Phase::Cancelling
        | Phase::Finishing(SagaOutcome::Cancelled { .. })
        | Phase::Ended(SagaOutcome::Cancelled { .. }) => return Ok(vec![]),
        _ => return Err(SagaError::NotConfirmed { status: s.status() }),
    }
    if cmd.refund.currency != s.card_amount.currency {
        return Err(SagaError::CurrencyMismatch { field: "refund" });
    }
    if cmd.refund.amount < 0 {
        return Err(SagaError::InvalidAmount { field: "refund" });
    }
    if cmd.refund.amount > s.card_amount.amount {
        return Err(SagaError::RefundExceedsPaid {
            paid: s.card_amount,
        });
    }
    let steps = CancellationStep::ALL
        .into_iter()
        .filter(|step| match step {
            CancellationStep::RefundPayment => cmd.refund.amount > 0,
            CancellationStep::RestoreMiles => s.redeem_miles > 0,
            CancellationStep::ReleaseSeats | CancellationStep::RevokeMiles => true,
        })
        .collect();
    Ok(vec![SagaEvent::CancellationStarted {
        refund: cmd.refund,
        requested_by: cmd.requested_by,
        steps,
        at: cmd.at,
    }])
}

pub(super) fn decide_succeeded(
    state: &BookingSaga,
    cmd: &RecordCancellationStepSucceeded,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    let run = s
        .cancellation
        .as_ref()
        .ok_or(SagaError::NotCancelling { status: s.status() })?;
    match on_success(&run.items, cmd.step, cmd.attempt)? {
        UndoDecision::Succeeded { completes } => {
            let mut events = vec![SagaEvent::CancellationStepSucceeded {
                step: cmd.step,
                attempt: cmd.attempt,
                at: cmd.at,
            }];
            if completes {
                events.push(SagaEvent::OutcomeReached {
                    outcome: SagaOutcome::Cancelled {
                        refunded: run.refund,
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
    cmd: &RecordCancellationStepFailed,
) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    let run = s
        .cancellation
        .as_ref()
        .ok_or(SagaError::NotCancelling { status: s.status() })?;
    match on_failure(&run.items, cmd.step, cmd.attempt)? {
        UndoDecision::Failed { park } => {
            let mut events = vec![SagaEvent::CancellationStepFailed {
                step: cmd.step,
                attempt: cmd.attempt,
                reason: cmd.reason.clone(),
                at: cmd.at,
            }];
            if park {
                events.push(SagaEvent::CancellationStepParked {
                    step: cmd.step,
                    reason: cmd.reason.clone(),
                    at: cmd.at,
                });
            }
            Ok(events)
        }
        UndoDecision::Nothing | UndoDecision::Succeeded { .. } => Ok(vec![]),
    }
}
