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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum SagaEvent {
    /// A booking's saga began, with everything its steps need (so that a restarted process
    /// manager can carry on from the saga's stream alone).
    SagaStarted {
        booking_id: BookingId,
        customer: UserId,
        flight_id: FlightId,
        cabin: Cabin,
        seats: u32,
        payment_id: PaymentId,
        account_id: LoyaltyAccountId,
        /// What the card pays: `total − redeem_miles`.
        card_amount: Money,
        /// What earns miles: `fare − redeem_miles` (taxes earn nothing).
        accrual_fare: Money,
        redeem_miles: u64,
        /// The provider's opaque token for the card; never a card number.
        payment_token: String,
        step_timeout_secs: u32,
        /// Further attempts a step gets after a failure marked retryable.
        max_provider_retries: u32,
        started_at: DateTime<Utc>,
    },
    /// The process manager is about to send a step's command; it must answer by `deadline`.
    StepStarted {
        step: ForwardStep,
        attempt: u32,
        started_at: DateTime<Utc>,
        deadline: DateTime<Utc>,
    },
    StepSucceeded {
        step: ForwardStep,
        attempt: u32,
        at: DateTime<Utc>,
    },
    StepFailed {
        step: ForwardStep,
        attempt: u32,
        reason: String,
        /// The owner said the same command may succeed later (a provider's `processing_error`).
        retryable: bool,
        at: DateTime<Utc>,
    },
    /// No answer before the deadline: the attempt counts as failed with reason `timeout`.
    StepTimedOut {
        step: ForwardStep,
        attempt: u32,
        deadline: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// A retryable failure within the limit: `attempt` of the same step runs from `not_before`.
    RetryScheduled {
        step: ForwardStep,
        attempt: u32,
        not_before: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// The saga gave up on `step`; `compensations` undo the completed steps, in this order
    /// (the reverse of the forward order).
    CompensationStarted {
        step: SagaStep,
        reason: String,
        compensations: Vec<Compensation>,
        at: DateTime<Utc>,
    },
    CompensationSucceeded {
        compensation: Compensation,
        attempt: u32,
        at: DateTime<Utc>,
    },
    CompensationFailed {
        compensation: Compensation,
        attempt: u32,
        reason: String,
        at: DateTime<Utc>,
    },
    /// Out of attempts: the compensation waits for staff, visibly; the saga cannot end before it
    /// succeeds.
    CompensationParked {
        compensation: Compensation,
        reason: String,
        at: DateTime<Utc>,
    },
    /// Staff asked for everything parked to be tried again (with a fresh round of attempts).
    ParkedRetried { at: DateTime<Utc> },
    /// A confirmed booking is being undone; `steps` run in this order.
    CancellationStarted {
        /// Fixed when the booking recorded the request (docs/domain.md, "Cancellation and refunds").
        refund: Money,
        requested_by: UserId,
        steps: Vec<CancellationStep>,
        at: DateTime<Utc>,
    },
    CancellationStepSucceeded {
        step: CancellationStep,
        attempt: u32,
        at: DateTime<Utc>,
    },
    CancellationStepFailed {
        step: CancellationStep,
        attempt: u32,
        reason: String,
        at: DateTime<Utc>,
    },
    CancellationStepParked {
        step: CancellationStep,
        reason: String,
        at: DateTime<Utc>,
    },
    /// Nothing is left to do but tell the booking how it ended.
    OutcomeReached {
        outcome: SagaOutcome,
        at: DateTime<Utc>,
    },
    /// The booking was told: the saga is in its terminal state.
    SagaEnded {
        outcome: SagaOutcome,
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
