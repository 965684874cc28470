//! One saga's drive: ask the saga what comes next, perform it (a step, a timeout, a compensation,
//! a cancellation step, the outcome), record what came of it, and ask again.

use super::executor::StepResult;
use super::steps::{self, InFlight};
use super::{DriveError, ProcessManager, metadata};
use crate::{CommandError, Envelope};
use skyfly_domain::ids::{BookingId, CommandId};
use skyfly_domain::saga::{
    BookingSaga, EndSaga, ForwardStep, RecordCancellationStepFailed,
    RecordCancellationStepSucceeded, RecordCompensationFailed, RecordCompensationSucceeded,
    RecordStepFailed, RecordStepStarted, RecordStepSucceeded, RecordTimeout, SagaAction,
    SagaCommand, SagaState,
};

/// A saga that needs nothing now but is not finished (parked) is looked at again after this long.
const PARKED_RECHECK: chrono::Duration = chrono::Duration::hours(1);
/// A drive stops after this many actions and goes back in the queue (fairness, and a guard
/// against a saga that would never settle).
const MAX_ACTIONS_PER_DRIVE: usize = 64;

impl ProcessManager {
    /// Drives one saga as far as it can go now.
    pub async fn drive(&self, id: BookingId) -> Result<(), DriveError> {
        for turn in 0..MAX_ACTIONS_PER_DRIVE {
            // The first look reads the stream (someone may have changed the saga: a cancellation,
            // a retry); after that this worker, which holds the saga's claim, is its writer, and
            // its own records keep the cache current.
            let (saga, _) = if turn == 0 {
                self.bus.load::<BookingSaga>(id).await?
            } else {
                self.bus.load_cached::<BookingSaga>(id).await?
            };
            let Some(state) = saga.state().cloned() else {
                // Nothing to drive (a stale queue entry).
                self.process.finish(id).await?;
                return Ok(());
            };
            let now = self.now();
            // A step in flight that nobody in this process is running (drives of one saga are
            // exclusive here): whoever started it died before recording its answer. Send it
            // again — its command id is derived, so it takes effect at most once.
            if let Some(SagaAction::Run { step, attempt }) = saga.in_flight_action()
                && saga.deadline().is_some_and(|deadline| now < deadline)
            {
                let action = SagaAction::Run { step, attempt };
                let command_id = CommandId::derived(&action.command_name(id));
                self.finish_step(&state, step, attempt, InFlight::of(&saga), command_id)
                    .await?;
                continue;
            }
            match saga.next_actions(now).into_iter().next() {
                None if saga.is_terminal() => {
                    // A saga found ended on the first look may have ended before its booking was
                    // recorded (a booking placed before both were recorded together, retried after
                    // the saga ended): bring the booking to the saga's outcome. Its command id is
                    // the one the saga's finish used, so a booking that took it takes nothing.
                    if turn == 0
                        && let Some(outcome) = saga.outcome()
                    {
                        let finish = SagaAction::Finish(outcome.clone());
                        let command_id = CommandId::derived(&finish.command_name(id));
                        self.finish_booking(&state, outcome, command_id).await?;
                    }
                    self.process.finish(id).await?;
                    return Ok(());
                }
                None => {
                    // Parked, waiting for staff.
                    self.process
                        .schedule(id, Some(now + PARKED_RECHECK))
                        .await?;
                    return Ok(());
                }
                Some(SagaAction::WaitUntil(at)) => {
                    self.process.schedule(id, Some(at)).await?;
                    return Ok(());
                }
                Some(action) => {
                    let command_id = CommandId::derived(&action.command_name(id));
                    self.perform(&saga, &state, &action, command_id).await?;
                }
            }
        }
        self.process.schedule(id, None).await?;
        Ok(())
    }

    /// Records `command` on the saga; returns the saga after it, or `None` when the saga refused
    /// it as stale (it had moved on, which is what we want).
    async fn record(
        &self,
        id: BookingId,
        command_id: CommandId,
        command: SagaCommand,
    ) -> Result<Option<BookingSaga>, DriveError> {
        // One record per kind of outcome of an action: "started" and "succeeded" of the same
        // attempt are two commands; a redelivered "succeeded" is the same one.
        let kind = serde_json::to_value(&command)
            .ok()
            .and_then(|v| {
                v.get("command_type")
                    .and_then(|t| t.as_str().map(str::to_owned))
            })
            .unwrap_or_default();
        let record_id = CommandId::derived(&format!("{}/record/{kind}", command_id.0));
        let envelope = Envelope::new(command, metadata(id, record_id));
        match self.bus.execute::<BookingSaga>(id, envelope).await {
            Ok(executed) => Ok(Some(executed.state)),
            // A stale record (an answer that arrived after its step timed out, a redelivery): the
            // saga already moved on, which is what we want.
            Err(CommandError::Rejected(e)) => {
                tracing::debug!(saga = %id, error = %e, "saga record refused");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Performs one action the saga asked for and records its outcome.
    async fn perform(
        &self,
        saga: &BookingSaga,
        s: &SagaState,
        action: &SagaAction,
        command_id: CommandId,
    ) -> Result<(), DriveError> {
        let id = s.booking_id;
        let now = self.now();
        match action {
            SagaAction::Run { step, attempt } => {
                let started = RecordStepStarted {
                    step: *step,
                    attempt: *attempt,
                    at: now,
                };
                let record = SagaCommand::RecordStepStarted(started);
                let Some(started) = self.record(id, command_id, record).await? else {
                    // The saga did not start the step (it moved on meanwhile): the step's
                    // command has no deadline to be sent by, and is not sent.
                    return Ok(());
                };
                self.finish_step(s, *step, *attempt, InFlight::of(&started), command_id)
                    .await
            }
            SagaAction::TimeOut { .. } => {
                let record = SagaCommand::RecordTimeout(RecordTimeout { at: now });
                self.record(id, command_id, record).await.map(drop)
            }
            SagaAction::Compensate {
                compensation,
                attempt,
            } => {
                let command = steps::compensation(s, *compensation, now);
                let sent = self.send(command, metadata(id, command_id)).await?;
                let (compensation, attempt) = (*compensation, *attempt);
                let record = match sent {
                    Ok(()) => {
                        SagaCommand::RecordCompensationSucceeded(RecordCompensationSucceeded {
                            compensation,
                            attempt,
                            at: self.now(),
                        })
                    }
                    Err(failure) => {
                        SagaCommand::RecordCompensationFailed(RecordCompensationFailed {
                            compensation,
                            attempt,
                            reason: failure.reason(),
                            at: self.now(),
                        })
                    }
                };
                self.record(id, command_id, record).await.map(drop)
            }
            SagaAction::Cancel { step, attempt } => {
                let refund = saga.cancellation().map(|c| c.refund);
                let command = steps::cancellation(s, *step, refund, now);
                let sent = self.send(command, metadata(id, command_id)).await?;
                let (step, attempt) = (*step, *attempt);
                let record = match sent {
                    Ok(()) => SagaCommand::RecordCancellationStepSucceeded(
                        RecordCancellationStepSucceeded {
                            step,
                            attempt,
                            at: self.now(),
                        },
                    ),
                    Err(failure) => {
                        SagaCommand::RecordCancellationStepFailed(RecordCancellationStepFailed {
                            step,
                            attempt,
                            reason: failure.reason(),
                            at: self.now(),
                        })
                    }
                };
                self.record(id, command_id, record).await.map(drop)
            }
            SagaAction::Finish(outcome) => {
                self.finish_booking(s, outcome, command_id).await?;
                let record = SagaCommand::EndSaga(EndSaga { at: self.now() });
                self.record(id, command_id, record).await.map(drop)
            }
            SagaAction::WaitUntil(_) => Ok(()),
        }
    }

    /// Runs a started step and records what came of it.
    async fn finish_step(
        &self,
        s: &SagaState,
        step: ForwardStep,
        attempt: u32,
        in_flight: InFlight,
        command_id: CommandId,
    ) -> Result<(), DriveError> {
        let id = s.booking_id;
        let result = self
            .run_step(s, step, attempt, in_flight, command_id)
            .await?;
        let at = self.now();
        let record = match result {
            StepResult::Late => return Ok(()),
            StepResult::Done => {
                SagaCommand::RecordStepSucceeded(RecordStepSucceeded { step, attempt, at })
            }
            StepResult::Failed(failure) => SagaCommand::RecordStepFailed(RecordStepFailed {
                step,
                attempt,
                retryable: failure.retryable(),
                reason: failure.reason(),
                at,
            }),
        };
        self.record(id, command_id, record).await.map(drop)
    }
}
