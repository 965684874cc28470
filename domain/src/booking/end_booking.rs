//! `RejectBooking` and `FailBooking`: the saga ended without a ticket.

use super::events::BookingEvent;
use super::{Booking, BookingError, BookingStatus, SagaStep};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// No seats were available: nothing to undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectBooking {
    /// The refusal's stable code, e.g. `seats_unavailable`.
    pub reason: String,
    /// When the booking is rejected.
    pub at: DateTime<Utc>,
}

/// A step failed; its predecessors have been compensated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailBooking {
    /// The saga step that failed (a failure in `commit_seats` or `capture_payment` counts as
    /// `confirm_booking`).
    pub step: SagaStep,
    /// Why it failed: the refusal's stable code, `timeout`, or the fault that was injected.
    pub reason: String,
    /// When the booking is marked failed.
    pub at: DateTime<Utc>,
}

pub(super) fn decide_reject(
    state: &Booking,
    cmd: &RejectBooking,
) -> Result<Vec<BookingEvent>, BookingError> {
    let s = state.state().ok_or(BookingError::NotFound)?;
    match s.status {
        BookingStatus::Pending => Ok(vec![BookingEvent::BookingRejected {
            reason: cmd.reason.clone(),
            rejected_at: cmd.at,
        }]),
        BookingStatus::Rejected => Ok(vec![]),
        status => Err(BookingError::NotPending { status }),
    }
}

pub(super) fn decide_fail(
    state: &Booking,
    cmd: &FailBooking,
) -> Result<Vec<BookingEvent>, BookingError> {
    let s = state.state().ok_or(BookingError::NotFound)?;
    match s.status {
        BookingStatus::Pending => Ok(vec![BookingEvent::BookingFailed {
            step: cmd.step,
            reason: cmd.reason.clone(),
            failed_at: cmd.at,
        }]),
        BookingStatus::Failed => Ok(vec![]),
        status => Err(BookingError::NotPending { status }),
    }
}
