//! `RevokeMiles`: take back what a booking earned (cancellation, or saga compensation).

use super::events::LoyaltyEvent;
use super::{LoyaltyAccount, LoyaltyError};
use crate::ids::BookingId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevokeMiles {
    pub booking_id: BookingId,
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &LoyaltyAccount,
    cmd: &RevokeMiles,
) -> Result<Vec<LoyaltyEvent>, LoyaltyError> {
    // A compensation must always be able to run: no account or no award means nothing to undo.
    let Some(award) = state.award(cmd.booking_id) else {
        return Ok(vec![]);
    };
    if award.revoked.is_some() {
        return Ok(vec![]);
    }
    // Never below zero: if the miles were already spent, take what is left and record that. The
    // revocation is recorded even when that is 0, so a later one cannot take miles earned since.
    let miles = award.miles.min(state.balance());
    let consumed = state.take_oldest(miles, |_| true);
    Ok(vec![LoyaltyEvent::MilesRevoked {
        booking_id: cmd.booking_id,
        miles,
        consumed,
    }])
}
