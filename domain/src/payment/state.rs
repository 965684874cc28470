//! The state of a payment and how events change it.

use super::events::PaymentEvent;
use crate::card::CardSummary;
use crate::ids::{BookingId, PaymentId};
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Created, waiting for the provider's answer.
    Created,
    /// The provider holds the amount on the card.
    Authorized,
    /// The money was taken.
    Captured,
    /// Part of the captured money went back to the card.
    PartiallyRefunded,
    /// Everything captured went back to the card.
    Refunded,
    /// The authorization was released without taking the money.
    Voided,
    /// The provider refused; final.
    Declined,
}

impl PaymentStatus {
    /// The status's stable name, e.g. `"partially_refunded"`.
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
    /// The payment.
    pub payment_id: PaymentId,
    /// The booking it pays for.
    pub booking_id: BookingId,
    /// The amount asked for at creation.
    pub amount: Money,
    /// Where the payment stands.
    pub status: PaymentStatus,
    /// The provider's authorization code, once authorized.
    pub authorization_code: Option<String>,
    /// The card authorized or declined, as it may be kept.
    pub card: Option<CardSummary>,
    /// The provider's reason, if it declined.
    pub decline_reason: Option<String>,
    /// Zero until authorized.
    pub authorized: Money,
    /// The amount taken; zero until captured.
    pub captured: Money,
    /// All refunds so far; zero until refunded.
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
    /// The created payment, or `None` before it is created.
    pub fn state(&self) -> Option<&PaymentState> {
        self.state.as_ref()
    }

    /// Where the payment stands, or `None` before it is created.
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
