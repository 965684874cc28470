//! The application layer's errors: what a use case answers when it did not do what it was asked.
//!
//! One enum for every use case, so that each adapter (HTTP, CLI, demo loader, scenario runner,
//! benchmark) maps outcomes in one place. It keeps apart what the caller can fix — an invalid
//! input, a refusal by the domain, something that does not exist, a stale version — from what
//! failed to be recorded (the store, an encoding), which the caller can only retry or report.

use crate::CommandError;
use skyfly_domain::store::StoreError;

/// How a refusal is best told to a client: the adapter picks its status from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The command names something that does not exist (HTTP 404).
    NotFound,
    /// The command conflicts with the current state (HTTP 409).
    Conflict,
    /// The command carries a value the domain does not accept (HTTP 422).
    Invalid,
    /// The caller could not be authenticated: wrong credentials, an invalid token (HTTP 401).
    Unauthenticated,
}

/// A rule of the domain refused the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable machine code (`not_enough_seats`, `email_taken`, …).
    pub code: &'static str,
    /// The input field the refusal is about, if any.
    pub field: Option<String>,
    /// Human-readable explanation.
    pub message: String,
    /// How it is best told to a client.
    pub kind: RefusalKind,
}

/// Why a use case did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// An input value is malformed or unknown (HTTP 422 naming the field).
    #[error("{field}: {message}")]
    Invalid {
        /// The input field, in the request's terms (`passengers[0]`, `payment.card_number`).
        field: String,
        /// Stable machine code.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// The domain refused the command.
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The thing the command is about does not exist (or the caller may not see it).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller expected another version (`If-Match`), or concurrent writers outlasted the
    /// retry budget.
    #[error("version conflict: expected {expected}, the aggregate is at {actual}")]
    VersionConflict {
        /// The version the caller expected.
        expected: u64,
        /// The version the aggregate is at.
        actual: u64,
    },
    /// The card processor failed (not a decline): nothing was recorded, and the same command may
    /// succeed later.
    #[error("the payment provider failed: {reason}")]
    ProviderFailed {
        /// The processor's stable reason (`processing_error`).
        reason: String,
    },
    /// Failed to record or read: the event store or another store. Nothing was half-done.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that is ours, not the caller's (an encoding, a hashing failure).
    #[error("internal: {0}")]
    Internal(String),
}

impl UseCaseError {
    /// An invalid input field.
    pub fn invalid(
        field: impl Into<String>,
        code: &'static str,
        message: impl std::fmt::Display,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            code,
            message: message.to_string(),
        }
    }

    /// A refusal that is not a domain error type (a rule of the use case itself).
    pub fn refused(
        kind: RefusalKind,
        code: &'static str,
        field: Option<&str>,
        message: impl std::fmt::Display,
    ) -> Self {
        Self::Refused(Refusal {
            code,
            field: field.map(str::to_owned),
            message: message.to_string(),
            kind,
        })
    }

    /// The stable code of a refusal or invalid input; `None` for the other variants.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { code, .. } => Some(code),
            Self::Refused(r) => Some(r.code),
            _ => None,
        }
    }

    /// Whether this is a failure to record or of a dependency (the caller may retry), not a
    /// refusal.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::ProviderFailed { .. } | Self::Store(_) | Self::Internal(_)
        )
    }
}

/// A domain error that can tell its stable code and the field it is about.
pub trait DomainRefusal: std::error::Error {
    /// Stable machine code.
    fn code(&self) -> &'static str;
    /// The input field it is about, if any.
    fn field(&self) -> Option<&'static str>;
    /// How it is best told to a client: "no such aggregate", a state conflict, or an invalid value.
    fn kind(&self) -> RefusalKind {
        match self.code() {
            "not_found" | "not_scheduled" => RefusalKind::NotFound,
            _ if self.field().is_some() => RefusalKind::Invalid,
            _ => RefusalKind::Conflict,
        }
    }
    /// The refusal as the application layer reports it.
    fn refusal(&self) -> Refusal {
        Refusal {
            code: self.code(),
            field: self.field().map(str::to_owned),
            message: self.to_string(),
            kind: self.kind(),
        }
    }
}

impl<E: DomainRefusal + 'static> From<CommandError<E>> for UseCaseError {
    fn from(e: CommandError<E>) -> Self {
        match e {
            CommandError::Rejected(r) => Self::Refused(r.refusal()),
            CommandError::Conflict { expected, actual } => {
                Self::VersionConflict { expected, actual }
            }
            CommandError::Store(s) => Self::Store(s),
            CommandError::Codec(c) => Self::Internal(c.to_string()),
        }
    }
}

macro_rules! domain_refusal {
    ($($t:ty),* $(,)?) => {$(
        impl DomainRefusal for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
            fn field(&self) -> Option<&'static str> {
                <$t>::field(self)
            }
        }
    )*};
}

domain_refusal!(
    skyfly_domain::inventory::InventoryError,
    skyfly_domain::identity::IdentityError,
    skyfly_domain::payment::PaymentError,
    skyfly_domain::loyalty::LoyaltyError,
    skyfly_domain::booking::BookingError,
    skyfly_domain::faults::FaultError,
    skyfly_domain::saga::SagaError,
);

/// The result of a use case.
pub type UseCaseResult<T> = Result<T, UseCaseError>;
