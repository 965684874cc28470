//! `next_actions`: what the process manager should do now, given the saga's state and the time.

use super::state::{Phase, SagaState, UndoRecord, UndoStatus, Undoable};
use super::{BookingSaga, CancellationStep, Compensation, ForwardStep, SagaOutcome};
use crate::ids::BookingId;
use chrono::{DateTime, Utc};

/// One thing for the process manager to do. Each names the command it stands for, so that the
/// command id can be derived from it: `CommandId::derived(&action.command_name(saga_id))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SagaAction {
    /// Record `RecordStepStarted { step, attempt, at }`, send the step's command to its aggregate,
    /// then record `RecordStepSucceeded` or `RecordStepFailed` with the same attempt.
    Run {
        /// The forward step to run.
        step: ForwardStep,
        /// The attempt's number, 1 for the first.
        attempt: u32,
    },
    /// The step in flight passed its deadline unanswered: record `RecordTimeout { at: now }`.
    TimeOut {
        /// The step in flight.
        step: ForwardStep,
        /// Its attempt's number.
        attempt: u32,
    },
    /// Send the compensation's command, then record `RecordCompensationSucceeded` or
    /// `RecordCompensationFailed` with the same attempt.
    Compensate {
        /// The compensation to run.
        compensation: Compensation,
        /// The attempt's number, 1 for the first.
        attempt: u32,
    },
    /// Send the cancellation step's command, then record `RecordCancellationStepSucceeded` or
    /// `RecordCancellationStepFailed` with the same attempt.
    Cancel {
        /// The cancellation step to run.
        step: CancellationStep,
        /// The attempt's number, 1 for the first.
        attempt: u32,
    },
    /// Tell the booking how it ended — `ConfirmBooking` (already sent as the last forward step,
    /// so a no-op there), `RejectBooking`, `FailBooking { step, reason }` or
    /// `CompleteCancellation { refunded }` — then record `EndSaga`.
    Finish(SagaOutcome),
    /// Nothing to do before this instant (a step's deadline or a retry's backoff): ask again then.
    WaitUntil(DateTime<Utc>),
}

impl SagaAction {
    /// The stable name the action's command id is derived from. Retries carry their attempt, so
    /// each attempt is a new command while a redelivered one is recognised:
    ///
    /// - `<saga>/<step>/<attempt>`, e.g. `…/authorize_payment/2`
    /// - `<saga>/timeout/<step>/<attempt>`
    /// - `<saga>/compensate/<compensation>/<attempt>`, e.g. `…/compensate/void_payment/1`
    /// - `<saga>/cancel/<step>/<attempt>`, e.g. `…/cancel/refund_payment/1`
    /// - `<saga>/finish/<outcome>`, e.g. `…/finish/failed`
    /// - `<saga>/wait/<rfc3339 instant>` (no command is sent for a wait)
    pub fn command_name(&self, saga: BookingId) -> String {
        match self {
            SagaAction::Run { step, attempt } => format!("{saga}/{step}/{attempt}"),
            SagaAction::TimeOut { step, attempt } => format!("{saga}/timeout/{step}/{attempt}"),
            SagaAction::Compensate {
                compensation,
                attempt,
            } => format!("{saga}/compensate/{compensation}/{attempt}"),
            SagaAction::Cancel { step, attempt } => format!("{saga}/cancel/{step}/{attempt}"),
            SagaAction::Finish(outcome) => format!("{saga}/finish/{}", outcome.as_str()),
            SagaAction::WaitUntil(at) => format!("{saga}/wait/{}", at.to_rfc3339()),
        }
    }
}

/// The wait before retrying after `failures` consecutive failures: 1 s, 2 s, 4 s, … capped at
/// [`super::MAX_BACKOFF`].
pub fn backoff(failures: u32) -> chrono::Duration {
    let max = super::MAX_BACKOFF.num_seconds();
    let exponent = failures.saturating_sub(1).min(30);
    let secs = super::FIRST_BACKOFF
        .num_seconds()
        .saturating_mul(1_i64 << exponent)
        .min(max);
    chrono::Duration::seconds(secs)
}

/// The first undo item not done and not parked: run it now or wait out its backoff. Parked items
/// do not hold up the ones after them (they are independent aggregates; holding a card's
/// authorization or a flight's seats hostage to a loyalty outage would help no one), but the saga
/// cannot end while one is parked.
fn next_undo<T: Undoable>(
    items: &[UndoRecord<T>],
    now: DateTime<Utc>,
    action: impl Fn(T, u32) -> SagaAction,
) -> Option<SagaAction> {
    let item = items.iter().find(|i| i.status == UndoStatus::Pending)?;
    match item.retry_at() {
        Some(at) if now < at => Some(SagaAction::WaitUntil(at)),
        _ => Some(action(item.action, item.next_attempt())),
    }
}

impl SagaState {
    fn next_forward(&self, now: DateTime<Utc>) -> Option<SagaAction> {
        if let Some(a) = self.in_flight() {
            return Some(if now >= a.deadline {
                SagaAction::TimeOut {
                    step: a.step,
                    attempt: a.attempt,
                }
            } else {
                SagaAction::WaitUntil(a.deadline)
            });
        }
        let (step, attempt, not_before) = self.next_to_run()?;
        Some(match not_before {
            Some(at) if now < at => SagaAction::WaitUntil(at),
            _ => SagaAction::Run { step, attempt },
        })
    }
}

impl BookingSaga {
    /// What the process manager should do at `now`. Pure: the same state and time always give the
    /// same answer, so a restarted process manager simply asks again. Empty when nothing is left
    /// to do: the saga is terminal, or everything left is parked (see [`BookingSaga::parked`]).
    ///
    /// One step runs at a time, so at most one action is returned.
    pub fn next_actions(&self, now: DateTime<Utc>) -> Vec<SagaAction> {
        let Some(s) = self.state.as_ref() else {
            return Vec::new();
        };
        let action = match &s.phase {
            Phase::Running => s.next_forward(now),
            Phase::Compensating => s.compensation.as_ref().and_then(|run| {
                next_undo(&run.items, now, |compensation, attempt| {
                    SagaAction::Compensate {
                        compensation,
                        attempt,
                    }
                })
            }),
            Phase::Cancelling => s.cancellation.as_ref().and_then(|run| {
                next_undo(&run.items, now, |step, attempt| SagaAction::Cancel {
                    step,
                    attempt,
                })
            }),
            Phase::Finishing(outcome) => Some(SagaAction::Finish(outcome.clone())),
            Phase::Ended(_) => None,
        };
        action.into_iter().collect()
    }

    /// The `Run` action of the step in flight, if any: a process manager that restarted without
    /// knowing whether it sent the command may resend it under the same command id (the store
    /// recognises a recorded command id and appends nothing twice) instead of waiting for the
    /// deadline.
    pub fn in_flight_action(&self) -> Option<SagaAction> {
        let a = self.state.as_ref()?.in_flight()?;
        Some(SagaAction::Run {
            step: a.step,
            attempt: a.attempt,
        })
    }
}
