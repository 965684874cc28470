//! `CreatePayment`: a payment to authorize for a booking.

use super::events::PaymentEvent;
use super::{Payment, PaymentError};
use crate::ids::{BookingId, PaymentId};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The largest single payment: 10,000.00 (the card processor's limit).
pub const MAX_PAYMENT_CENTS: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatePayment {
    pub payment_id: PaymentId,
    pub booking_id: BookingId,
    pub amount: Money,
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &Payment,
    cmd: &CreatePayment,
) -> Result<Vec<PaymentEvent>, PaymentError> {
    if state.state().is_some() {
        return Err(PaymentError::AlreadyExists);
    }
    if cmd.amount.amount <= 0 {
        return Err(PaymentError::InvalidAmount);
    }
    if cmd.amount.amount > MAX_PAYMENT_CENTS {
        return Err(PaymentError::AmountTooLarge {
            max: Money::new(MAX_PAYMENT_CENTS, cmd.amount.currency),
        });
    }
    Ok(vec![PaymentEvent::PaymentCreated {
        payment_id: cmd.payment_id,
        booking_id: cmd.booking_id,
        amount: cmd.amount,
        created_at: cmd.at,
    }])
}
