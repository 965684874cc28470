//! `CreatePayment`: a payment to authorize for a booking.

use super::events::PaymentEvent;
use super::{Payment, PaymentError};
use crate::ids::{BookingId, PaymentId};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The largest single payment: 10,000.00 (the card processor's limit).
pub const MAX_PAYMENT_CENTS: i64 = 1_000_000;

/// Opens a payment of an amount to authorize for a booking (for the booking saga, what the card
/// pays of the booking's total).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatePayment {
    /// The new payment's id.
    pub payment_id: PaymentId,
    /// The booking the payment pays for.
    pub booking_id: BookingId,
    /// What is to be authorized: above 0 and at most [`MAX_PAYMENT_CENTS`].
    pub amount: Money,
    /// When the payment is created.
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
