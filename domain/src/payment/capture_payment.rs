//! `CapturePayment`: take (part of) the authorized amount.

use super::events::PaymentEvent;
use super::{Payment, PaymentError, PaymentStatus};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Takes the authorized money (or part of it) from the card; the booking saga captures it all when
/// it confirms the booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapturePayment {
    /// Defaults to the whole authorized amount.
    pub amount: Option<Money>,
    /// When the money is taken.
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &Payment,
    cmd: &CapturePayment,
) -> Result<Vec<PaymentEvent>, PaymentError> {
    let s = state.state().ok_or(PaymentError::NotFound)?;
    match s.status {
        PaymentStatus::Authorized => {}
        PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
            return Ok(vec![]);
        }
        status => return Err(PaymentError::InvalidState { status }),
    }
    let amount = cmd.amount.unwrap_or(s.authorized);
    if amount.currency != s.authorized.currency {
        return Err(PaymentError::CurrencyMismatch {
            expected: s.authorized.currency,
        });
    }
    if amount.amount <= 0 {
        return Err(PaymentError::InvalidAmount);
    }
    if amount.amount > s.authorized.amount {
        return Err(PaymentError::CaptureExceedsAuthorized {
            authorized: s.authorized,
        });
    }
    Ok(vec![PaymentEvent::PaymentCaptured {
        amount,
        captured_at: cmd.at,
    }])
}
