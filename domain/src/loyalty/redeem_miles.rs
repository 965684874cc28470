//! `RedeemMiles` and `RestoreMiles`: miles pay part of a booking, and come back if it is undone.

use super::events::LoyaltyEvent;
use super::{LoyaltyAccount, LoyaltyError};
use crate::ids::BookingId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Spends miles to pay part of a booking's fare, from the oldest lots not yet expired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedeemMiles {
    /// The booking the miles pay for; it redeems once.
    pub booking_id: BookingId,
    /// How many miles to spend (1 mile = 1 cent), 1 to [`MAX_MILES`](super::MAX_MILES) and at
    /// most the unexpired balance.
    pub miles: u64,
    /// When the miles are spent; lots expired by then cannot be spent.
    pub at: DateTime<Utc>,
}

/// Gives back what a booking redeemed (saga compensation, or cancellation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreMiles {
    /// The booking whose redeemed miles come back.
    pub booking_id: BookingId,
    /// When they come back.
    pub at: DateTime<Utc>,
}

pub(super) fn decide_redeem(
    state: &LoyaltyAccount,
    cmd: &RedeemMiles,
) -> Result<Vec<LoyaltyEvent>, LoyaltyError> {
    if !state.is_open() {
        return Err(LoyaltyError::NotOpen);
    }
    if cmd.miles == 0 || cmd.miles > super::MAX_MILES {
        return Err(LoyaltyError::InvalidMiles);
    }
    if let Some(redemption) = state.redemption(cmd.booking_id) {
        return if redemption.miles == cmd.miles {
            Ok(vec![])
        } else {
            Err(LoyaltyError::RedemptionMismatch {
                redeemed: redemption.miles,
            })
        };
    }
    // Miles past their expiry cannot be spent, even before `ExpireMiles` has removed them.
    let balance = state.available_at(cmd.at);
    if balance < cmd.miles {
        return Err(LoyaltyError::InsufficientMiles {
            balance,
            requested: cmd.miles,
        });
    }
    let consumed = state.take_oldest(cmd.miles, |lot| lot.expires_at > cmd.at);
    Ok(vec![LoyaltyEvent::MilesRedeemed {
        booking_id: cmd.booking_id,
        miles: cmd.miles,
        consumed,
        redeemed_at: cmd.at,
    }])
}

pub(super) fn decide_restore(
    state: &LoyaltyAccount,
    cmd: &RestoreMiles,
) -> Result<Vec<LoyaltyEvent>, LoyaltyError> {
    match state.redemption(cmd.booking_id) {
        Some(r) if !r.restored => Ok(vec![LoyaltyEvent::MilesRestored {
            booking_id: cmd.booking_id,
            miles: r.miles,
            lots: r.consumed.clone(),
            restored_at: cmd.at,
        }]),
        // Nothing redeemed, or already given back.
        _ => Ok(vec![]),
    }
}
