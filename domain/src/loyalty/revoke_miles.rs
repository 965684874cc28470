//! `RevokeMiles`: take back what a booking earned (cancellation, or saga compensation).

use super::events::{LotSlice, LoyaltyEvent};
use super::{LoyaltyAccount, LoyaltyError};
use crate::ids::BookingId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Takes back what a booking earned (cancellation, or saga compensation), never more than the
/// balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevokeMiles {
    /// The booking whose award is taken back.
    pub booking_id: BookingId,
    /// When the award is taken back.
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
    // The booking's own lot first (what it earned is what goes), then the oldest miles, which are
    // the ones closest to expiring anyway.
    let own = state
        .lot(award.earned_at, award.expires_at)
        .filter(|lot| lot.remaining > 0)
        .map(|lot| LotSlice {
            earned_at: lot.earned_at,
            expires_at: lot.expires_at,
            miles: miles.min(lot.remaining),
        });
    let from_own = own.map_or(0, |slice| slice.miles);
    let rest = state.take_oldest(miles - from_own, |lot| {
        (lot.earned_at, lot.expires_at) != (award.earned_at, award.expires_at)
    });
    let consumed = own
        .into_iter()
        .filter(|s| s.miles > 0)
        .chain(rest)
        .collect();
    Ok(vec![LoyaltyEvent::MilesRevoked {
        booking_id: cmd.booking_id,
        miles,
        consumed,
        revoked_at: cmd.at,
    }])
}
