//! The state of a loyalty account: its lots, what each booking did, and the running totals.

use super::Tier;
use super::events::{LotSlice, LoyaltyEvent};
use crate::ids::{BookingId, LoyaltyAccountId, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long earned miles stay valid, and the window that qualifies for a tier.
pub const ACCRUAL_VALIDITY: Duration = Duration::days(365);

/// A loyalty account. `Default` is an account not opened yet.
///
/// Serialisable so that read models can keep the folded state as a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoyaltyAccount {
    account: Option<AccountInfo>,
    /// Sorted by `earned_at`, at most one lot per (earned_at, expires_at).
    lots: Vec<Lot>,
    awards: BTreeMap<BookingId, Award>,
    redemptions: BTreeMap<BookingId, Redemption>,
    totals: MileTotals,
}

/// Who the account belongs to and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// The account.
    pub account_id: LoyaltyAccountId,
    /// The customer who owns it.
    pub owner: UserId,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
}

/// Miles earned at one instant, and how many of them are left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// When the lot's miles were earned.
    pub earned_at: DateTime<Utc>,
    /// When what is left of them expires.
    pub expires_at: DateTime<Utc>,
    /// How many of the lot's miles are left to spend.
    pub remaining: u64,
}

/// What a booking earned, and how much of it was taken back (`None`: not revoked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    /// How many miles the booking earned.
    pub miles: u64,
    /// The tier whose multiplier applied.
    pub tier: Tier,
    /// When the miles were earned.
    pub earned_at: DateTime<Utc>,
    /// The lot the award created is `(earned_at, expires_at)`.
    pub expires_at: DateTime<Utc>,
    /// How many miles were taken back, once revoked (possibly 0 when nothing was left).
    pub revoked: Option<u64>,
}

/// What a booking redeemed, from which lots, and whether it was given back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// How many miles the booking redeemed.
    pub miles: u64,
    /// The lot slices the miles came from, oldest first; restoring them puts them back there.
    pub consumed: Vec<LotSlice>,
    /// Whether the miles were given back.
    pub restored: bool,
}

/// Running totals of every movement; `balance = earned − revoked − redeemed + restored − expired`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MileTotals {
    /// Every mile ever awarded.
    pub earned: u64,
    /// Every mile taken back from awards.
    pub revoked: u64,
    /// Every mile spent on bookings.
    pub redeemed: u64,
    /// Every redeemed mile given back.
    pub restored: u64,
    /// Every mile lost to expiry.
    pub expired: u64,
}

impl LoyaltyAccount {
    /// Who the account belongs to, or `None` before it is opened.
    pub fn account(&self) -> Option<&AccountInfo> {
        self.account.as_ref()
    }

    /// Whether the account has been opened.
    pub fn is_open(&self) -> bool {
        self.account.is_some()
    }

    /// The customer who owns the account, or `None` before it is opened.
    pub fn owner(&self) -> Option<UserId> {
        self.account.as_ref().map(|a| a.owner)
    }

    /// Miles in the account, including any past their expiry that `ExpireMiles` has not yet
    /// removed (the ledger balance).
    pub fn balance(&self) -> u64 {
        self.lots
            .iter()
            .fold(0, |sum, l| sum.saturating_add(l.remaining))
    }

    /// Miles that can be spent at `at`: the balance less lots already past their expiry.
    pub fn available_at(&self, at: DateTime<Utc>) -> u64 {
        self.lots
            .iter()
            .filter(|l| l.expires_at > at)
            .fold(0, |sum, l| sum.saturating_add(l.remaining))
    }

    /// Miles earned in the 365 days up to `at` (`at − 365 days < earned_at ≤ at`), net of what
    /// was revoked from those awards: what counts for status. Redeemed or expired miles still
    /// count (they were earned); revoked ones (cancelled or failed bookings) do not.
    pub fn earned_last_365_days(&self, at: DateTime<Utc>) -> u64 {
        let since = at.checked_sub_signed(ACCRUAL_VALIDITY);
        self.awards
            .values()
            .filter(|a| a.earned_at <= at && since.is_none_or(|since| a.earned_at > since))
            .map(|a| a.miles.saturating_sub(a.revoked.unwrap_or(0)))
            .fold(0, u64::saturating_add)
    }

    /// The status tier at `at`, by [`Self::earned_last_365_days`].
    pub fn tier_at(&self, at: DateTime<Utc>) -> Tier {
        Tier::for_miles(self.earned_last_365_days(at))
    }

    /// The next tier up and the miles still to earn for it, `None` at the top tier.
    pub fn next_tier_at(&self, at: DateTime<Utc>) -> Option<(Tier, u64)> {
        let earned = self.earned_last_365_days(at);
        let next = Tier::for_miles(earned).next()?;
        Some((next, next.threshold().saturating_sub(earned)))
    }

    /// The running totals of every movement of miles.
    pub fn totals(&self) -> MileTotals {
        self.totals
    }

    /// Miles the booking earned (before any revocation), if it earned any.
    pub fn awarded_for(&self, booking_id: BookingId) -> Option<u64> {
        self.awards.get(&booking_id).map(|a| a.miles)
    }

    /// Miles the booking redeemed (whether or not they were restored since), if it redeemed any.
    pub fn redeemed_for(&self, booking_id: BookingId) -> Option<u64> {
        self.redemptions.get(&booking_id).map(|r| r.miles)
    }

    /// The lots with miles earned, oldest first (including emptied ones).
    pub fn lots(&self) -> &[Lot] {
        &self.lots
    }

    /// What `booking_id` earned, if it earned anything.
    pub fn award(&self, booking_id: BookingId) -> Option<&Award> {
        self.awards.get(&booking_id)
    }

    /// What `booking_id` redeemed, if it redeemed anything.
    pub fn redemption(&self, booking_id: BookingId) -> Option<&Redemption> {
        self.redemptions.get(&booking_id)
    }

    /// The lot of miles earned at `earned_at` that expire at `expires_at`, if there is one.
    pub(super) fn lot(&self, earned_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> Option<&Lot> {
        self.lots
            .binary_search_by(|l| (l.earned_at, l.expires_at).cmp(&(earned_at, expires_at)))
            .ok()
            .map(|i| &self.lots[i])
    }

    /// Takes `miles` from the lots that `usable` admits, oldest first. Short if they hold fewer.
    pub(super) fn take_oldest(&self, miles: u64, usable: impl Fn(&Lot) -> bool) -> Vec<LotSlice> {
        let mut left = miles;
        let mut slices = Vec::new();
        for lot in self.lots.iter().filter(|l| l.remaining > 0 && usable(l)) {
            if left == 0 {
                break;
            }
            let take = left.min(lot.remaining);
            slices.push(LotSlice {
                earned_at: lot.earned_at,
                expires_at: lot.expires_at,
                miles: take,
            });
            left -= take;
        }
        slices
    }

    pub(super) fn apply(&mut self, event: &LoyaltyEvent) {
        match event {
            LoyaltyEvent::LoyaltyAccountOpened {
                account_id,
                owner,
                opened_at,
            } => {
                self.account = Some(AccountInfo {
                    account_id: *account_id,
                    owner: *owner,
                    opened_at: *opened_at,
                });
            }
            LoyaltyEvent::MilesAwarded {
                booking_id,
                miles,
                tier,
                earned_at,
                expires_at,
            } => {
                self.put_back(&LotSlice {
                    earned_at: *earned_at,
                    expires_at: *expires_at,
                    miles: *miles,
                });
                let award = Award {
                    miles: *miles,
                    tier: *tier,
                    earned_at: *earned_at,
                    expires_at: *expires_at,
                    revoked: None,
                };
                self.awards.insert(*booking_id, award);
                self.totals.earned = self.totals.earned.saturating_add(*miles);
            }
            LoyaltyEvent::MilesRevoked {
                booking_id,
                miles,
                consumed,
                ..
            } => {
                consumed.iter().for_each(|s| self.take(s));
                if let Some(award) = self.awards.get_mut(booking_id) {
                    award.revoked = Some(*miles);
                }
                self.totals.revoked = self.totals.revoked.saturating_add(*miles);
            }
            LoyaltyEvent::MilesRedeemed {
                booking_id,
                miles,
                consumed,
                ..
            } => {
                consumed.iter().for_each(|s| self.take(s));
                let redemption = Redemption {
                    miles: *miles,
                    consumed: consumed.clone(),
                    restored: false,
                };
                self.redemptions.insert(*booking_id, redemption);
                self.totals.redeemed = self.totals.redeemed.saturating_add(*miles);
            }
            LoyaltyEvent::MilesRestored {
                booking_id,
                miles,
                lots,
                ..
            } => {
                lots.iter().for_each(|s| self.put_back(s));
                if let Some(redemption) = self.redemptions.get_mut(booking_id) {
                    redemption.restored = true;
                }
                self.totals.restored = self.totals.restored.saturating_add(*miles);
            }
            LoyaltyEvent::MilesExpired { miles, lots, .. } => {
                lots.iter().for_each(|s| self.take(s));
                self.totals.expired = self.totals.expired.saturating_add(*miles);
            }
        }
    }

    /// Adds a slice to its lot, creating the lot (in `earned_at` order) if there is none.
    fn put_back(&mut self, slice: &LotSlice) {
        let key = (slice.earned_at, slice.expires_at);
        match self
            .lots
            .binary_search_by(|l| (l.earned_at, l.expires_at).cmp(&key))
        {
            Ok(i) => self.lots[i].remaining = self.lots[i].remaining.saturating_add(slice.miles),
            Err(i) => self.lots.insert(
                i,
                Lot {
                    earned_at: slice.earned_at,
                    expires_at: slice.expires_at,
                    remaining: slice.miles,
                },
            ),
        }
    }

    fn take(&mut self, slice: &LotSlice) {
        let key = (slice.earned_at, slice.expires_at);
        if let Ok(i) = self
            .lots
            .binary_search_by(|l| (l.earned_at, l.expires_at).cmp(&key))
        {
            self.lots[i].remaining = self.lots[i].remaining.saturating_sub(slice.miles);
        }
    }
}
