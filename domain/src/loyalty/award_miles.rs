//! `AwardMiles`: a confirmed booking earns miles.

use super::events::LoyaltyEvent;
use super::state::ACCRUAL_VALIDITY;
use super::{LoyaltyAccount, LoyaltyError, Tier};
use crate::cabin::Cabin;
use crate::ids::BookingId;
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most miles one award or one redemption may move (an award by staff, a booking's
/// redemption): a bound on what a client can ask for, so that no sum of them comes near overflow.
pub const MAX_MILES: u64 = 10_000_000;
/// The most miles an account may hold: an award that would take the balance past it is refused
/// (`balance_limit_exceeded`), never saturated or wrapped.
pub const MAX_BALANCE: u64 = 1_000_000_000;

/// How many miles an award is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accrual {
    /// A fixed number of miles (promotions, staff corrections), at most [`MAX_MILES`].
    Miles(u64),
    /// Earned on what the card paid for the fare (`quote.fare − redeem_miles`, see
    /// [`crate::booking::BookingState::card_fare`]; never the taxes), by cabin and the account's
    /// tier (see [`fare_miles`]). Keeping taxes out is the caller's job: the aggregate only sees
    /// the amount it is given.
    Fare {
        /// What the card paid for the fare, without the taxes.
        paid_by_card: Money,
        /// The cabin flown, for its earning bonus.
        cabin: Cabin,
    },
}

/// Awards a booking the miles it earned: a new lot, valid for
/// [`ACCRUAL_VALIDITY`](super::ACCRUAL_VALIDITY). One award per booking; an award of 0 miles
/// records nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwardMiles {
    /// The booking that earned the miles.
    pub booking_id: BookingId,
    /// How many miles it earned, fixed or by the fare.
    pub accrual: Accrual,
    /// When the miles are earned; the tier at this instant sets the multiplier.
    pub at: DateTime<Utc>,
}

/// `floor(dollars × cabin bonus × tier multiplier)` in integers:
/// `cents × bonus% × multiplier% / 1_000_000`. Nothing is earned on a negative amount.
pub fn fare_miles(paid_by_card: Money, cabin: Cabin, tier: Tier) -> u64 {
    let cents = u128::try_from(paid_by_card.amount).unwrap_or(0);
    let miles = cents * u128::from(cabin.bonus_percent()) * u128::from(tier.multiplier_percent())
        / 1_000_000;
    u64::try_from(miles).unwrap_or(u64::MAX)
}

pub(super) fn decide(
    state: &LoyaltyAccount,
    cmd: &AwardMiles,
) -> Result<Vec<LoyaltyEvent>, LoyaltyError> {
    if !state.is_open() {
        return Err(LoyaltyError::NotOpen);
    }
    if state.award(cmd.booking_id).is_some() {
        return Ok(vec![]);
    }
    let tier = state.tier_at(cmd.at);
    let miles = match cmd.accrual {
        Accrual::Miles(miles) if miles > MAX_MILES => return Err(LoyaltyError::InvalidMiles),
        Accrual::Miles(miles) => miles,
        Accrual::Fare {
            paid_by_card,
            cabin,
        } => fare_miles(paid_by_card, cabin, tier),
    };
    // Nothing earned (e.g. the fare was paid entirely with miles): nothing to record.
    if miles == 0 {
        return Ok(vec![]);
    }
    // Checked: a balance past the limit (or past u64) is a refusal, never a wrap.
    let balance = state.balance();
    if balance.checked_add(miles).is_none_or(|b| b > MAX_BALANCE) {
        return Err(LoyaltyError::BalanceLimitExceeded {
            balance,
            limit: MAX_BALANCE,
        });
    }
    Ok(vec![LoyaltyEvent::MilesAwarded {
        booking_id: cmd.booking_id,
        miles,
        tier,
        earned_at: cmd.at,
        expires_at: cmd
            .at
            .checked_add_signed(ACCRUAL_VALIDITY)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    }])
}
