//! Why the booking saga refuses a command.

use super::{ForwardStep, SagaStatus};
use crate::money::Money;
use chrono::{DateTime, Utc};

/// Why the booking saga refuses a command; each refusal has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SagaError {
    /// The booking's saga was already started (`already_started`).
    #[error("the saga was already started")]
    AlreadyStarted,
    /// No saga was started for this booking (`not_found`).
    #[error("no such saga")]
    NotFound,
    /// The saga would hold no seats or more than
    /// [`MAX_SEATS_PER_BOOKING`](crate::inventory::MAX_SEATS_PER_BOOKING) (`invalid_seat_count`).
    #[error("a booking holds 1 to 9 seats, not {seats}")]
    InvalidSeatCount {
        /// The seats asked for.
        seats: u32,
    },
    /// An amount is out of range: a card amount not above zero, an accrual fare or a refund below
    /// zero (`invalid_amount`).
    #[error("{field} must not be negative (and a card amount must be above zero)")]
    InvalidAmount {
        /// The field of the amount refused.
        field: &'static str,
    },
    /// An amount is in another currency than the card amount (`currency_mismatch`).
    #[error("{field} is in another currency than the card amount")]
    CurrencyMismatch {
        /// The field of the amount refused.
        field: &'static str,
    },
    /// The step timeout is zero seconds (`invalid_step_timeout`).
    #[error("a step timeout is at least one second")]
    InvalidStepTimeout,
    /// The payment token is empty or looks like a card number, which must never reach the log
    /// (`invalid_payment_token`).
    #[error("the payment token must be the provider's opaque token, never a card number")]
    InvalidPaymentToken,
    /// A forward step was started while the saga is not running its forward steps (`not_running`).
    #[error("the saga is {status}, not running its steps")]
    NotRunning {
        /// Where the saga is.
        status: SagaStatus,
    },
    /// The step and attempt are not the ones the saga would run next (`not_next_step`).
    #[error("{step} (attempt {attempt}) is not the saga's next step")]
    NotNextStep {
        /// The step reported.
        step: ForwardStep,
        /// The attempt reported.
        attempt: u32,
    },
    /// An answer arrived for an attempt that was never started (`step_not_started`).
    #[error("{step} (attempt {attempt}) was never started")]
    StepNotStarted {
        /// The step reported.
        step: ForwardStep,
        /// The attempt reported.
        attempt: u32,
    },
    /// An answer arrived for an attempt that had already ended another way, e.g. after it timed out
    /// (`step_not_in_flight`).
    #[error("{step} (attempt {attempt}) already ended another way")]
    StepNotInFlight {
        /// The step reported.
        step: ForwardStep,
        /// The attempt reported.
        attempt: u32,
    },
    /// A timeout was recorded before the step's deadline (`deadline_not_reached`).
    #[error("the step's deadline is {deadline}")]
    DeadlineNotReached {
        /// When the step in flight times out.
        deadline: DateTime<Utc>,
    },
    /// A compensation was reported while the saga is not compensating (`not_compensating`).
    #[error("the saga is {status}, not compensating")]
    NotCompensating {
        /// Where the saga is.
        status: SagaStatus,
    },
    /// A cancellation step was reported while the saga is not cancelling (`not_cancelling`).
    #[error("the saga is {status}, not cancelling")]
    NotCancelling {
        /// Where the saga is.
        status: SagaStatus,
    },
    /// The compensation or cancellation step reported is not in the saga's plan (`not_planned`).
    #[error("{name} is not part of the saga's plan")]
    NotPlanned {
        /// The step's stable name.
        name: &'static str,
    },
    /// The attempt reported was never sent: it is 0 or beyond the next one (`unexpected_attempt`).
    #[error("attempt {got} was not sent; the next attempt is {expected}")]
    UnexpectedAttempt {
        /// The number of the attempt to send next.
        expected: u32,
        /// The attempt reported.
        got: u32,
    },
    /// Staff asked to retry parked items, but nothing is parked (`nothing_parked`).
    #[error("nothing is parked")]
    NothingParked,
    /// A cancellation was started for a saga that did not end confirmed (`not_confirmed`).
    #[error("the saga is {status}, not confirmed")]
    NotConfirmed {
        /// Where the saga is.
        status: SagaStatus,
    },
    /// The refund is more than the card paid (`refund_exceeds_paid`).
    #[error("the refund is more than the {paid} the card paid")]
    RefundExceedsPaid {
        /// What the card paid.
        paid: Money,
    },
    /// The saga was ended before its outcome was reached (`not_finished`).
    #[error("the saga is {status}; it has not reached its outcome yet")]
    NotFinished {
        /// Where the saga is.
        status: SagaStatus,
    },
}

impl SagaError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            SagaError::AlreadyStarted => "already_started",
            SagaError::NotFound => "not_found",
            SagaError::InvalidSeatCount { .. } => "invalid_seat_count",
            SagaError::InvalidAmount { .. } => "invalid_amount",
            SagaError::CurrencyMismatch { .. } => "currency_mismatch",
            SagaError::InvalidStepTimeout => "invalid_step_timeout",
            SagaError::InvalidPaymentToken => "invalid_payment_token",
            SagaError::NotRunning { .. } => "not_running",
            SagaError::NotNextStep { .. } => "not_next_step",
            SagaError::StepNotStarted { .. } => "step_not_started",
            SagaError::StepNotInFlight { .. } => "step_not_in_flight",
            SagaError::DeadlineNotReached { .. } => "deadline_not_reached",
            SagaError::NotCompensating { .. } => "not_compensating",
            SagaError::NotCancelling { .. } => "not_cancelling",
            SagaError::NotPlanned { .. } => "not_planned",
            SagaError::UnexpectedAttempt { .. } => "unexpected_attempt",
            SagaError::NothingParked => "nothing_parked",
            SagaError::NotConfirmed { .. } => "not_confirmed",
            SagaError::RefundExceedsPaid { .. } => "refund_exceeds_paid",
            SagaError::NotFinished { .. } => "not_finished",
        }
    }

    /// The request field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SagaError::InvalidSeatCount { .. } => Some("seats"),
            SagaError::InvalidAmount { field } | SagaError::CurrencyMismatch { field } => {
                Some(field)
            }
            SagaError::InvalidStepTimeout => Some("step_timeout_secs"),
            SagaError::InvalidPaymentToken => Some("payment_token"),
            SagaError::UnexpectedAttempt { .. } => Some("attempt"),
            SagaError::RefundExceedsPaid { .. } => Some("refund"),
            SagaError::AlreadyStarted
            | SagaError::NotFound
            | SagaError::NotRunning { .. }
            | SagaError::NotNextStep { .. }
            | SagaError::StepNotStarted { .. }
            | SagaError::StepNotInFlight { .. }
            | SagaError::DeadlineNotReached { .. }
            | SagaError::NotCompensating { .. }
            | SagaError::NotCancelling { .. }
            | SagaError::NotPlanned { .. }
            | SagaError::NothingParked
            | SagaError::NotConfirmed { .. }
            | SagaError::NotFinished { .. } => None,
        }
    }
}
