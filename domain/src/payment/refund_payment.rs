//! `RefundPayment`: give (part of) the captured amount back.

use super::events::PaymentEvent;
use super::{Payment, PaymentError, PaymentStatus};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Gives captured money (or part of it) back to the card: a compensation, or the refund of a
/// cancellation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundPayment {
    /// Defaults to everything captured and not yet refunded.
    pub amount: Option<Money>,
    /// When the money goes back.
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &Payment,
    cmd: &RefundPayment,
) -> Result<Vec<PaymentEvent>, PaymentError> {
    let s = state.state().ok_or(PaymentError::NotFound)?;
    match s.status {
        PaymentStatus::Captured | PaymentStatus::PartiallyRefunded => {}
        // "Refund the rest" of a fully refunded payment has already taken effect.
        PaymentStatus::Refunded if cmd.amount.is_none() => return Ok(vec![]),
        PaymentStatus::Refunded => {}
        status => return Err(PaymentError::InvalidState { status }),
    }
    let remaining = s.refundable();
    let amount = cmd.amount.unwrap_or(remaining);
    if amount.currency != remaining.currency {
        return Err(PaymentError::CurrencyMismatch {
            expected: remaining.currency,
        });
    }
    if amount.amount <= 0 && cmd.amount.is_some() {
        return Err(PaymentError::InvalidAmount);
    }
    if amount.amount > remaining.amount {
        return Err(PaymentError::RefundExceedsCaptured { remaining });
    }
    if amount.amount <= 0 {
        return Ok(vec![]);
    }
    // At most what was captured, so it fits; checked all the same (a refusal, never a wrap).
    let refunded_total = s
        .refunded
        .checked_add(amount)
        .map_err(|_| PaymentError::RefundExceedsCaptured { remaining })?;
    Ok(vec![PaymentEvent::PaymentRefunded {
        amount,
        refunded_total,
        refunded_at: cmd.at,
    }])
}
