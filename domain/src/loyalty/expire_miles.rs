//! `ExpireMiles`: lots past their expiry lose what is left in them (sent by a scheduled process).

use super::events::LoyaltyEvent;
use super::{LoyaltyAccount, LoyaltyError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Takes whatever is left in every lot whose expiry has come; sent by a scheduled process at each
/// lot's expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpireMiles {
    /// The instant to expire for: every lot with `expires_at ≤ at` loses what is left in it.
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &LoyaltyAccount,
    cmd: &ExpireMiles,
) -> Result<Vec<LoyaltyEvent>, LoyaltyError> {
    if !state.is_open() {
        return Err(LoyaltyError::NotOpen);
    }
    let lots = state.take_oldest(u64::MAX, |lot| lot.expires_at <= cmd.at);
    if lots.is_empty() {
        return Ok(vec![]);
    }
    let miles = lots.iter().map(|s| s.miles).sum();
    Ok(vec![LoyaltyEvent::MilesExpired {
        miles,
        lots,
        expired_at: cmd.at,
    }])
}
