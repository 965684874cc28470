//! How a saga ends, and the status the admin view shows on the way.

use crate::booking::SagaStep;
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a saga ended. The process manager tells the booking the same thing (`ConfirmBooking`,
/// `RejectBooking`, `FailBooking`, `CompleteCancellation`) before it records the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SagaOutcome {
    /// Seats sold, payment captured, miles awarded, tickets issued.
    Confirmed,
    /// No seats: nothing had to be undone.
    Rejected {
        /// Why: `seats_unavailable`.
        reason: String,
    },
    /// `step` failed (or timed out: reason `timeout`) and every completed step was compensated.
    Failed {
        /// The saga step that failed.
        step: SagaStep,
        /// Why: its stable code, or `timeout`.
        reason: String,
    },
    /// A confirmed booking was undone; `refunded` went back to the card.
    Cancelled {
        /// What went back to the card.
        refunded: Money,
    },
}

impl SagaOutcome {
    /// The terminal status this outcome gives the saga.
    pub fn status(&self) -> SagaStatus {
        match self {
            SagaOutcome::Confirmed => SagaStatus::Confirmed,
            SagaOutcome::Rejected { .. } => SagaStatus::Rejected,
            SagaOutcome::Failed { .. } => SagaStatus::Failed,
            SagaOutcome::Cancelled { .. } => SagaStatus::Cancelled,
        }
    }

    /// The outcome's stable name: that of its terminal status, e.g. `"failed"`.
    pub fn as_str(&self) -> &'static str {
        self.status().as_str()
    }
}

impl fmt::Display for SagaOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SagaOutcome::Confirmed => f.write_str("confirmed"),
            SagaOutcome::Rejected { reason } => write!(f, "rejected: {reason}"),
            SagaOutcome::Failed { step, reason } => write!(f, "failed at {step}: {reason}"),
            SagaOutcome::Cancelled { refunded } => write!(f, "cancelled, {refunded} refunded"),
        }
    }
}

/// Where a saga is, for the admin view and for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaStatus {
    /// Forward steps under way (including the last moment before the booking is told it is
    /// confirmed or rejected).
    Running,
    /// Undoing the completed steps after a failure.
    Compensating,
    /// A compensation or cancellation step kept failing and waits for staff (`RetryParked`).
    /// Never terminal: the saga ends only once everything is undone.
    Parked,
    /// Undoing a confirmed booking at the customer's or staff's request.
    Cancelling,
    /// Every step succeeded and the booking was told: tickets issued.
    Confirmed,
    /// No seats: the booking was rejected with nothing to undo.
    Rejected,
    /// A step failed, everything completed was undone, and the booking was told.
    Failed,
    /// A confirmed booking was undone and the booking was told.
    Cancelled,
}

impl SagaStatus {
    /// The status's stable name, e.g. `"compensating"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SagaStatus::Running => "running",
            SagaStatus::Compensating => "compensating",
            SagaStatus::Parked => "parked",
            SagaStatus::Cancelling => "cancelling",
            SagaStatus::Confirmed => "confirmed",
            SagaStatus::Rejected => "rejected",
            SagaStatus::Failed => "failed",
            SagaStatus::Cancelled => "cancelled",
        }
    }

    /// `Confirmed`, `Rejected`, `Failed` and `Cancelled`: nothing is left to do (a confirmed
    /// booking may still be cancelled, which starts a new flow).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SagaStatus::Confirmed
                | SagaStatus::Rejected
                | SagaStatus::Failed
                | SagaStatus::Cancelled
        )
    }
}

impl fmt::Display for SagaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
