//! The state of a payment and how events change it.

use super::events::PaymentEvent;
use crate::card::CardSummary;
use crate::ids::{BookingId, PaymentId};
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Created,
    Authorized,
    Captured,
    PartiallyRefunded,
    Refunded,
    Voided,
    Declined,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Captured => "captured",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Voided => "voided",
            PaymentStatus::Declined => "declined",
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment. `Default` is a payment not created yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Payment {
    state: Option<PaymentState>,
}

/// A created payment.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentState {
    pub payment_id: PaymentId,
    pub booking_id: BookingId,
    /// The amount asked for at creation.
    pub amount: Money,
    pub status: PaymentStatus,
    pub authorization_code: Option<String>,
    pub card: Option<CardSummary>,
    pub decline_reason: Option<String>,
    /// Zero until authorized.
    pub authorized: Money,
    pub captured: Money,
    pub refunded: Money,
}

impl PaymentState {
    /// Captured and not yet refunded.
    pub fn refundable(&self) -> Money {
        Money {
            amount: self.captured.amount.saturating_sub(self.refunded.amount),
            ..self.captured
        }
    }
}

impl Payment {
    pub fn state(&self) -> Option<&PaymentState> {
        self.state.as_ref()
    }

    pub fn status(&self) -> Option<PaymentStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    pub(super) fn apply(&mut self, event: &PaymentEvent) {
        if let PaymentEvent::PaymentCreated {
            payment_id,
            booking_id,
            amount,
            ..
        } = event
        {
            let zero = Money::zero(amount.currency);
            self.state = Some(PaymentState {
                payment_id: *payment_id,
                booking_id: *booking_id,
                amount: *amount,
                status: PaymentStatus::Created,
                authorization_code: None,
                card: None,
                decline_reason: None,
                authorized: zero,
                captured: zero,
                refunded: zero,
            });
            return;
        }
        let Some(s) = self.state.as_mut() else {
            return;
        };
        match event {
            PaymentEvent::PaymentCreated { .. } => {}
            PaymentEvent::PaymentAuthorized {
                amount,
                authorization_code,
                card,
                ..
            } => {
                s.status = PaymentStatus::Authorized;
                s.authorized = *amount;
                s.authorization_code = Some(authorization_code.clone());
                s.card = Some(card.clone());
            }
            PaymentEvent::PaymentDeclined { reason, card, .. } => {
                s.status = PaymentStatus::Declined;
                s.decline_reason = Some(reason.clone());
                s.card = card.clone();
            }
            PaymentEvent::PaymentCaptured { amount, .. } => {
                s.status = PaymentStatus::Captured;
                s.captured = *amount;
            }
            PaymentEvent::PaymentVoided { .. } => s.status = PaymentStatus::Voided,
            PaymentEvent::PaymentRefunded {
                amount: _,
                refunded_total,
                ..
            } => {
                s.refunded = *refunded_total;
                s.status = if refunded_total.amount >= s.captured.amount {
                    PaymentStatus::Refunded
                } else {
                    PaymentStatus::PartiallyRefunded
                };
            }
        }
    }
}
