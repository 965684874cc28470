//! `RecordAuthorization` and `RecordDecline`: what the provider answered.

use super::events::PaymentEvent;
use super::{Payment, PaymentError, PaymentStatus};
use crate::card::{Authorization, CardSummary};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The provider authorized the payment's full amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordAuthorization {
    /// The provider's approval: its authorization code and the card.
    pub authorization: Authorization,
    /// When the provider authorized.
    pub at: DateTime<Utc>,
}

/// The provider declined; `card` when the card could be read at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordDecline {
    /// The provider's reason, e.g. `card_declined`, `insufficient_funds`, `expired_card`.
    pub reason: String,
    /// The card declined, as it may be kept, when it could be read at all.
    pub card: Option<CardSummary>,
    /// When the provider declined.
    pub at: DateTime<Utc>,
}

pub(super) fn decide_authorization(
    state: &Payment,
    cmd: &RecordAuthorization,
) -> Result<Vec<PaymentEvent>, PaymentError> {
    let s = state.state().ok_or(PaymentError::NotFound)?;
    match s.status {
        PaymentStatus::Created => Ok(vec![PaymentEvent::PaymentAuthorized {
            amount: s.amount,
            authorization_code: cmd.authorization.authorization_code.clone(),
            card: cmd.authorization.card.clone(),
            authorized_at: cmd.at,
        }]),
        PaymentStatus::Authorized => Ok(vec![]),
        // Later states passed through this very authorization: it has long taken effect. Any other
        // authorization code there would be a second hold on the card, which must not go unseen.
        _ if s.authorization_code.as_deref()
            == Some(cmd.authorization.authorization_code.as_str()) =>
        {
            Ok(vec![])
        }
        status => Err(PaymentError::InvalidState { status }),
    }
}

pub(super) fn decide_decline(
    state: &Payment,
    cmd: &RecordDecline,
) -> Result<Vec<PaymentEvent>, PaymentError> {
    let s = state.state().ok_or(PaymentError::NotFound)?;
    match s.status {
        PaymentStatus::Created => Ok(vec![PaymentEvent::PaymentDeclined {
            reason: cmd.reason.clone(),
            card: cmd.card.clone(),
            declined_at: cmd.at,
        }]),
        PaymentStatus::Declined => Ok(vec![]),
        status => Err(PaymentError::InvalidState { status }),
    }
}
