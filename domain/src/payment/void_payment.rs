//! `VoidPayment`: release an authorization without taking the money (saga compensation).

use super::events::PaymentEvent;
use super::{Payment, PaymentError, PaymentStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Releases an authorization without taking the money, when the booking saga compensates before
/// capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoidPayment {
    /// When the authorization is released.
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &Payment,
    cmd: &VoidPayment,
) -> Result<Vec<PaymentEvent>, PaymentError> {
    let s = state.state().ok_or(PaymentError::NotFound)?;
    match s.status {
        PaymentStatus::Authorized => Ok(vec![PaymentEvent::PaymentVoided { voided_at: cmd.at }]),
        PaymentStatus::Voided => Ok(vec![]),
        PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
            Err(PaymentError::AlreadyCaptured)
        }
        status @ (PaymentStatus::Created | PaymentStatus::Declined) => {
            Err(PaymentError::InvalidState { status })
        }
    }
}
