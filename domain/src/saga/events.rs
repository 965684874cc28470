//! Events of the booking saga. Stored type names are the variant names and never change.
//!
//! Every decision is an event of its own (`RetryScheduled`, `CompensationStarted` with its plan,
//! `CompensationParked`, `OutcomeReached`), so replaying the log never re-decides anything with
//! today's rules: `evolve` only files what was decided.

use super::{CancellationStep, Compensation, ForwardStep, SagaOutcome};
use crate::aggregate::DomainEvent;
use crate::booking::SagaStep;
use crate::cabin::Cabin;
use crate::ids::{BookingId, FlightId, LoyaltyAccountId, PaymentId, UserId};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened in a booking's saga: every fact and every decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum SagaEvent {
    /// A booking's saga began, with everything its steps need (so that a restarted process
    /// manager can carry on from the saga's stream alone).
    SagaStarted {
        /// The booking the saga drives; also the saga's id.
        booking_id: BookingId,
        /// The customer who placed it.
        customer: UserId,
        /// The flight instance booked.
        flight_id: FlightId,
        /// The cabin booked.
        cabin: Cabin,
        /// How many seats to hold: one per passenger.
        seats: u32,
        /// The payment the saga creates and authorizes.
        payment_id: PaymentId,
        /// The customer's loyalty account, which the miles are redeemed from and awarded to.
        account_id: LoyaltyAccountId,
        /// What the card pays: `total − redeem_miles`.
        card_amount: Money,
        /// What earns miles: `fare − redeem_miles` (taxes earn nothing).
        accrual_fare: Money,
        /// Miles paying part of the fare (1 mile = 1 cent); 0 for none, and then there is no
        /// `redeem_miles` step.
        redeem_miles: u64,
        /// The provider's opaque token for the card; never a card number.
        payment_token: String,
        /// How long each forward step may go unanswered, in seconds.
        step_timeout_secs: u32,
        /// Further attempts a step gets after a failure marked retryable.
        max_provider_retries: u32,
        /// When the saga began.
        started_at: DateTime<Utc>,
    },
    /// The process manager is about to send a step's command; it must answer by `deadline`.
    StepStarted {
        /// The forward step.
        step: ForwardStep,
        /// The attempt's number, 1 for the first.
        attempt: u32,
        /// When the command is sent.
        started_at: DateTime<Utc>,
        /// When the attempt times out unless answered: its start plus the step timeout.
        deadline: DateTime<Utc>,
    },
    /// The step's aggregate accepted its command.
    StepSucceeded {
        /// The step that succeeded.
        step: ForwardStep,
        /// The attempt that answered.
        attempt: u32,
        /// When the answer was recorded.
        at: DateTime<Utc>,
    },
    /// The step's aggregate refused its command, or its provider failed.
    StepFailed {
        /// The step that failed.
        step: ForwardStep,
        /// The attempt that failed.
        attempt: u32,
        /// Why: the refusal's stable code, e.g. `card_declined`, or the fault injected.
        reason: String,
        /// The owner said the same command may succeed later (a provider's `processing_error`).
        retryable: bool,
        /// When the answer was recorded.
        at: DateTime<Utc>,
    },
    /// No answer before the deadline: the attempt counts as failed with reason `timeout`.
    StepTimedOut {
        /// The step that went unanswered.
        step: ForwardStep,
        /// The attempt that timed out.
        attempt: u32,
        /// The deadline that passed.
        deadline: DateTime<Utc>,
        /// When the timeout was recorded.
        at: DateTime<Utc>,
    },
    /// A retryable failure within the limit: `attempt` of the same step runs from `not_before`.
    RetryScheduled {
        /// The step to try again.
        step: ForwardStep,
        /// The number of the next attempt.
        attempt: u32,
        /// When it may be sent: the backoff after this failure.
        not_before: DateTime<Utc>,
        /// When the retry was decided.
        at: DateTime<Utc>,
    },
    /// The saga gave up on `step`; `compensations` undo the completed steps, in this order
    /// (the reverse of the forward order).
    CompensationStarted {
        /// The saga step that failed, as the booking reports it.
        step: SagaStep,
        /// Why it failed: its stable code, or `timeout`.
        reason: String,
        /// The compensations to run, in order; empty when nothing had completed.
        compensations: Vec<Compensation>,
        /// When the saga gave up.
        at: DateTime<Utc>,
    },
    /// A compensation's command took effect: its step is undone.
    CompensationSucceeded {
        /// The compensation that succeeded.
        compensation: Compensation,
        /// The attempt that answered.
        attempt: u32,
        /// When the answer was recorded.
        at: DateTime<Utc>,
    },
    /// A compensation's attempt failed; it is tried again after a backoff.
    CompensationFailed {
        /// The compensation that failed.
        compensation: Compensation,
        /// The attempt that failed.
        attempt: u32,
        /// Why it failed.
        reason: String,
        /// When the answer was recorded.
        at: DateTime<Utc>,
    },
    /// Out of attempts: the compensation waits for staff, visibly; the saga cannot end before it
    /// succeeds.
    CompensationParked {
        /// The compensation that waits.
        compensation: Compensation,
        /// Why its last attempt failed.
        reason: String,
        /// When it was parked.
        at: DateTime<Utc>,
    },
    /// Staff asked for everything parked to be tried again (with a fresh round of attempts).
    ParkedRetried {
        /// When staff asked.
        at: DateTime<Utc>,
    },
    /// A confirmed booking is being undone; `steps` run in this order.
    CancellationStarted {
        /// Fixed when the booking recorded the request (docs/domain.md, "Cancellation and refunds").
        refund: Money,
        /// The user who asked for the cancellation: the customer, or a member of staff.
        requested_by: UserId,
        /// The cancellation steps, in order: the refund is skipped when it is zero, and miles are
        /// restored only if some were redeemed.
        steps: Vec<CancellationStep>,
        /// When the cancellation began.
        at: DateTime<Utc>,
    },
    /// A cancellation step's command took effect.
    CancellationStepSucceeded {
        /// The cancellation step that succeeded.
        step: CancellationStep,
        /// The attempt that answered.
        attempt: u32,
        /// When the answer was recorded.
        at: DateTime<Utc>,
    },
    /// A cancellation step's attempt failed; it is tried again after a backoff.
    CancellationStepFailed {
        /// The cancellation step that failed.
        step: CancellationStep,
        /// The attempt that failed.
        attempt: u32,
        /// Why it failed.
        reason: String,
        /// When the answer was recorded.
        at: DateTime<Utc>,
    },
    /// Out of attempts: the cancellation step waits for staff, visibly; the saga cannot end before
    /// it succeeds.
    CancellationStepParked {
        /// The cancellation step that waits.
        step: CancellationStep,
        /// Why its last attempt failed.
        reason: String,
        /// When it was parked.
        at: DateTime<Utc>,
    },
    /// Nothing is left to do but tell the booking how it ended.
    OutcomeReached {
        /// How the saga ends.
        outcome: SagaOutcome,
        /// When the outcome became known.
        at: DateTime<Utc>,
    },
    /// The booking was told: the saga is in its terminal state.
    SagaEnded {
        /// How the saga ended.
        outcome: SagaOutcome,
        /// When the booking had been told.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for SagaEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SagaEvent::SagaStarted { .. } => "SagaStarted",
            SagaEvent::StepStarted { .. } => "StepStarted",
            SagaEvent::StepSucceeded { .. } => "StepSucceeded",
            SagaEvent::StepFailed { .. } => "StepFailed",
            SagaEvent::StepTimedOut { .. } => "StepTimedOut",
            SagaEvent::RetryScheduled { .. } => "RetryScheduled",
            SagaEvent::CompensationStarted { .. } => "CompensationStarted",
            SagaEvent::CompensationSucceeded { .. } => "CompensationSucceeded",
            SagaEvent::CompensationFailed { .. } => "CompensationFailed",
            SagaEvent::CompensationParked { .. } => "CompensationParked",
            SagaEvent::ParkedRetried { .. } => "ParkedRetried",
            SagaEvent::CancellationStarted { .. } => "CancellationStarted",
            SagaEvent::CancellationStepSucceeded { .. } => "CancellationStepSucceeded",
            SagaEvent::CancellationStepFailed { .. } => "CancellationStepFailed",
            SagaEvent::CancellationStepParked { .. } => "CancellationStepParked",
            SagaEvent::OutcomeReached { .. } => "OutcomeReached",
            SagaEvent::SagaEnded { .. } => "SagaEnded",
        }
    }
}
