//! Why a payment refuses a command.

use super::PaymentStatus;
use crate::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("no such payment")]
    NotFound,
    #[error("the payment already exists")]
    AlreadyExists,
    #[error("amount must be above zero")]
    InvalidAmount,
    #[error("amount must be at most {max}")]
    AmountTooLarge { max: Money },
    #[error("amount must be in {expected}")]
    CurrencyMismatch { expected: Currency },
    #[error("the payment is {status}")]
    InvalidState { status: PaymentStatus },
    #[error("only {authorized} was authorized")]
    CaptureExceedsAuthorized { authorized: Money },
    #[error("the payment was already captured; refund it instead")]
    AlreadyCaptured,
    #[error("only {remaining} is left to refund")]
    RefundExceedsCaptured { remaining: Money },
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
