//! Why the booking saga refuses a command.

use super::{ForwardStep, SagaStatus};
use crate::money::Money;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SagaError {
    #[error("the saga was already started")]
    AlreadyStarted,
    #[error("no such saga")]
    NotFound,
    #[error("a booking holds 1 to 9 seats, not {seats}")]
    InvalidSeatCount { seats: u32 },
    #[error("{field} must not be negative (and a card amount must be above zero)")]
    InvalidAmount { field: &'static str },
    #[error("{field} is in another currency than the card amount")]
    CurrencyMismatch { field: &'static str },
    #[error("a step timeout is at least one second")]
    InvalidStepTimeout,
    #[error("the payment token must be the provider's opaque token, never a card number")]
    InvalidPaymentToken,
    #[error("the saga is {status}, not running its steps")]
    NotRunning { status: SagaStatus },
    #[error("{step} (attempt {attempt}) is not the saga's next step")]
    NotNextStep { step: ForwardStep, attempt: u32 },
    #[error("{step} (attempt {attempt}) was never started")]
    StepNotStarted { step: ForwardStep, attempt: u32 },
    #[error("{step} (attempt {attempt}) already ended another way")]
    StepNotInFlight { step: ForwardStep, attempt: u32 },
    #[error("the step's deadline is {deadline}")]
    DeadlineNotReached { deadline: DateTime<Utc> },
    #[error("the saga is {status}, not compensating")]
    NotCompensating { status: SagaStatus },
    #[error("the saga is {status}, not cancelling")]
    NotCancelling { status: SagaStatus },
    #[error("{name} is not part of the saga's plan")]
    NotPlanned { name: &'static str },
    #[error("attempt {got} was not sent; the next attempt is {expected}")]
    UnexpectedAttempt { expected: u32, got: u32 },
    #[error("nothing is parked")]
    NothingParked,
    #[error("the saga is {status}, not confirmed")]
    NotConfirmed { status: SagaStatus },
    #[error("the refund is more than the {paid} the card paid")]
    RefundExceedsPaid { paid: Money },
    #[error("the saga is {status}; it has not reached its outcome yet")]
    NotFinished { status: SagaStatus },
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
