//! Why a payment refuses a command.

use super::PaymentStatus;
use crate::money::{Currency, Money};

/// Why a payment refuses a command; each refusal has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// No payment was created with this id (`not_found`).
    #[error("no such payment")]
    NotFound,
    /// A payment with this id was already created (`already_exists`).
    #[error("the payment already exists")]
    AlreadyExists,
    /// The amount is not above zero (`invalid_amount`).
    #[error("amount must be above zero")]
    InvalidAmount,
    /// The amount is above the largest single payment,
    /// [`MAX_PAYMENT_CENTS`](super::MAX_PAYMENT_CENTS) (`amount_too_large`).
    #[error("amount must be at most {max}")]
    AmountTooLarge {
        /// The largest payment allowed, in the payment's currency.
        max: Money,
    },
    /// The amount is not in the payment's currency (`currency_mismatch`).
    #[error("amount must be in {expected}")]
    CurrencyMismatch {
        /// The payment's currency.
        expected: Currency,
    },
    /// The payment's status does not allow the command, e.g. capturing a declined payment
    /// (`invalid_state`).
    #[error("the payment is {status}")]
    InvalidState {
        /// Where the payment stands.
        status: PaymentStatus,
    },
    /// More would be captured than was authorized (`capture_exceeds_authorized`).
    #[error("only {authorized} was authorized")]
    CaptureExceedsAuthorized {
        /// The amount authorized.
        authorized: Money,
    },
    /// An authorization already captured cannot be voided; it must be refunded
    /// (`already_captured`).
    #[error("the payment was already captured; refund it instead")]
    AlreadyCaptured,
    /// More would be refunded than was captured and not yet refunded (`refund_exceeds_captured`).
    #[error("only {remaining} is left to refund")]
    RefundExceedsCaptured {
        /// What is still left to refund.
        remaining: Money,
    },
}

impl PaymentError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            PaymentError::NotFound => "not_found",
            PaymentError::AlreadyExists => "already_exists",
            PaymentError::InvalidAmount => "invalid_amount",
            PaymentError::AmountTooLarge { .. } => "amount_too_large",
            PaymentError::CurrencyMismatch { .. } => "currency_mismatch",
            PaymentError::InvalidState { .. } => "invalid_state",
            PaymentError::CaptureExceedsAuthorized { .. } => "capture_exceeds_authorized",
            PaymentError::AlreadyCaptured => "already_captured",
            PaymentError::RefundExceedsCaptured { .. } => "refund_exceeds_captured",
        }
    }

    /// The request field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PaymentError::InvalidAmount
            | PaymentError::AmountTooLarge { .. }
            | PaymentError::CurrencyMismatch { .. }
            | PaymentError::CaptureExceedsAuthorized { .. }
            | PaymentError::RefundExceedsCaptured { .. } => Some("amount"),
            PaymentError::NotFound
            | PaymentError::AlreadyExists
            | PaymentError::InvalidState { .. }
            | PaymentError::AlreadyCaptured => None,
        }
    }
}
