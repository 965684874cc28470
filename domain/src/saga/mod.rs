//! The booking saga (`BookingSaga`, stream `saga-<BookingId>`): the durable state machine a process
//! manager drives to book seats, take payment and settle miles, or undo all of it.
//!
//! Forward: `reserve_seats` → (`redeem_miles`) → `authorize_payment` → `award_miles` →
//! `commit_seats` → `capture_payment` → `confirm_booking` (the last three are docs/domain.md's
//! "confirm booking" step). On a failure the completed steps are compensated last first; seats
//! unavailable rejects the booking with nothing to undo. A confirmed booking can be cancelled.
//! Every saga reaches exactly one terminal state: `Confirmed` (possibly followed by `Cancelled`),
//! `Rejected` or `Failed`; a compensation that keeps failing is parked for staff, never dropped.
//!
//! The protocol, for the process manager: load the saga, take [`BookingSaga::next_actions`]`(now)`,
//! and for each [`SagaAction`] send its command with
//! `CommandId::derived(&action.command_name(booking_id))`, then record what happened here
//! (`RecordStepStarted` before a forward step's command, so its deadline is durable;
//! `RecordStepSucceeded`/`RecordStepFailed`, `RecordTimeout`, `RecordCompensation…`,
//! `RecordCancellationStep…`, `EndSaga` after `Finish`). A restarted process manager loads the
//! saga and asks again: everything it needs is in the stream.
//!
//! Key decision: the saga decides nothing about seats, payments or miles; it only tracks progress
//! and decides what comes next, from recorded facts and the time given to it. Every decision
//! (retry, give up with this plan, park, outcome) is an event, so `evolve` only files them and all
//! deadline logic runs on the injected clock.

mod actions;
mod cancellation;
mod compensation;
mod end_saga;
mod error;
mod events;
mod outcome;
mod record_step;
mod start_saga;
mod state;
mod steps;
mod timeline;
mod undo;

#[cfg(test)]
mod tests;

pub use actions::{SagaAction, backoff};
pub use cancellation::{
    RecordCancellationStepFailed, RecordCancellationStepSucceeded, StartCancellation,
};
pub use compensation::{RecordCompensationFailed, RecordCompensationSucceeded, RetryParked};
pub use end_saga::EndSaga;
pub use error::SagaError;
pub use events::SagaEvent;
pub use outcome::{SagaOutcome, SagaStatus};
pub use record_step::{RecordStepFailed, RecordStepStarted, RecordStepSucceeded, RecordTimeout};
pub use start_saga::StartSaga;
pub use state::{
    BookingSaga, CancellationRun, CompensationRun, ParkedItem, SagaState, ScheduledRetry,
    StepAttempt, StepOutcome, UndoAction, UndoRecord, UndoStatus,
};
pub use steps::{CancellationStep, Compensation, ForwardStep};
pub use timeline::{TimelineEntry, TimelineKind, by_saga_step};

/// How long reserved seats are held unless committed (defined by the inventory).
pub use crate::inventory::SEAT_HOLD;

use crate::aggregate::Aggregate;
use chrono::Duration;

/// How long a forward step may go unanswered unless configured otherwise.
pub const DEFAULT_STEP_TIMEOUT_SECS: u32 = 30;
/// Retries of a step whose failure is marked retryable, after its first attempt, unless configured
/// otherwise.
pub const DEFAULT_MAX_PROVIDER_RETRIES: u32 = 2;
/// Attempts of a compensation or cancellation step in a row before it is parked for staff.
pub const MAX_COMPENSATION_ATTEMPTS: u32 = 5;
/// The wait after a first failure; it doubles with each further one.
pub const FIRST_BACKOFF: Duration = Duration::seconds(1);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::seconds(60);
/// The reason of a step that passed its deadline.
pub const TIMEOUT_REASON: &str = "timeout";
/// The reason with which `reserve_seats` fails when the cabin is full
/// (`InventoryError::NotEnoughSeats.code()`): the booking is rejected, not failed.
pub const SEATS_UNAVAILABLE: &str = "seats_unavailable";

command_enum! {
    /// Every command the booking saga accepts.
    pub enum SagaCommand {
        /// Begin a placed booking's saga.
        StartSaga,
        /// A forward step's command is about to be sent.
        RecordStepStarted,
        /// A forward step succeeded.
        RecordStepSucceeded,
        /// A forward step failed.
        RecordStepFailed,
        /// The step in flight may have passed its deadline.
        RecordTimeout,
        /// A compensation succeeded.
        RecordCompensationSucceeded,
        /// A compensation's attempt failed.
        RecordCompensationFailed,
        /// Staff: try everything parked again.
        RetryParked,
        /// Begin cancelling a confirmed booking.
        StartCancellation,
        /// A cancellation step succeeded.
        RecordCancellationStepSucceeded,
        /// A cancellation step's attempt failed.
        RecordCancellationStepFailed,
        /// The booking was told the outcome: end the saga.
        EndSaga,
    }
}

impl Aggregate for BookingSaga {
    const CATEGORY: &'static str = "saga";
    type Event = SagaEvent;
    type Command = SagaCommand;
    type Error = SagaError;

    fn evolve(&mut self, event: &SagaEvent) {
        self.apply(event);
    }

    fn decide(&self, command: &SagaCommand) -> Result<Vec<SagaEvent>, SagaError> {
        match command {
            SagaCommand::StartSaga(c) => start_saga::decide(self, c),
            SagaCommand::RecordStepStarted(c) => record_step::decide_started(self, c),
            SagaCommand::RecordStepSucceeded(c) => record_step::decide_succeeded(self, c),
            SagaCommand::RecordStepFailed(c) => record_step::decide_failed(self, c),
            SagaCommand::RecordTimeout(c) => record_step::decide_timeout(self, c),
            SagaCommand::RecordCompensationSucceeded(c) => compensation::decide_succeeded(self, c),
            SagaCommand::RecordCompensationFailed(c) => compensation::decide_failed(self, c),
            SagaCommand::RetryParked(c) => compensation::decide_retry_parked(self, c),
            SagaCommand::StartCancellation(c) => cancellation::decide_start(self, c),
            SagaCommand::RecordCancellationStepSucceeded(c) => {
                cancellation::decide_succeeded(self, c)
            }
            SagaCommand::RecordCancellationStepFailed(c) => cancellation::decide_failed(self, c),
            SagaCommand::EndSaga(c) => end_saga::decide(self, c),
        }
    }
}
