//! The state of a loyalty account: its lots, what each booking did, and the running totals.

use super::Tier;
use super::events::{LotSlice, LoyaltyEvent};
use crate::ids::{BookingId, LoyaltyAccountId, UserId};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// How long earned miles stay valid, and the window that qualifies for a tier.
pub const ACCRUAL_VALIDITY: Duration = Duration::days(365);

/// A loyalty account. `Default` is an account not opened yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoyaltyAccount {
    account: Option<AccountInfo>,
    /// Sorted by `earned_at`, at most one lot per (earned_at, expires_at).
    lots: Vec<Lot>,
    awards: BTreeMap<BookingId, Award>,
    redemptions: BTreeMap<BookingId, Redemption>,
    totals: LoyaltyTotals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    pub account_id: LoyaltyAccountId,
    pub owner: UserId,
    pub opened_at: DateTime<Utc>,
}

/// Miles earned at one instant, and how many of them are left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub earned_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub remaining: u64,
}

/// What a booking earned, and how much of it was taken back (`None`: not revoked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Award {
    pub miles: u64,
    pub tier: Tier,
    pub earned_at: DateTime<Utc>,
    pub revoked: Option<u64>,
}

/// What a booking redeemed, from which lots, and whether it was given back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    pub miles: u64,
    pub consumed: Vec<LotSlice>,
    pub restored: bool,
}

/// Running totals of every movement; `balance = earned − revoked − redeemed + restored − expired`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoyaltyTotals {
    pub earned: u64,
    pub revoked: u64,
    pub redeemed: u64,
    pub restored: u64,
    pub expired: u64,
}

impl LoyaltyAccount {
    pub fn account(&self) -> Option<&AccountInfo> {
        self.account.as_ref()
    }

    pub fn is_open(&self) -> bool {
        self.account.is_some()
    }

    /// Miles in the account, including any past their expiry that `ExpireMiles` has not yet
    /// removed (the ledger balance).
    pub fn balance(&self) -> u64 {
        self.lots.iter().map(|l| l.remaining).sum()
    }

    /// Miles that can be spent at `at`: the balance less lots already past their expiry.
    pub fn available_at(&self, at: DateTime<Utc>) -> u64 {
        self.lots
            .iter()
            .filter(|l| l.expires_at > at)
            .map(|l| l.remaining)
            .sum()
    }

    /// Miles earned in the 365 days up to `at` that still count for status: awards of bookings
    /// whose miles were revoked (cancelled or failed bookings) do not count at all.
    pub fn earned_last_365_days(&self, at: DateTime<Utc>) -> u64 {
        self.awards
            .values()
            .filter(|a| {
                a.revoked.is_none() && a.earned_at <= at && a.earned_at > at - ACCRUAL_VALIDITY
            })
            .map(|a| a.miles)
            .sum()
    }

    pub fn tier_at(&self, at: DateTime<Utc>) -> Tier {
        Tier::for_miles(self.earned_last_365_days(at))
    }

    pub fn totals(&self) -> LoyaltyTotals {
        self.totals
    }

    pub fn lots(&self) -> &[Lot] {
        &self.lots
    }

    pub fn award(&self, booking_id: BookingId) -> Option<&Award> {
        self.awards.get(&booking_id)
    }

    pub fn redemption(&self, booking_id: BookingId) -> Option<&Redemption> {
        self.redemptions.get(&booking_id)
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
                    revoked: None,
                };
                self.awards.insert(*booking_id, award);
                self.totals.earned = self.totals.earned.saturating_add(*miles);
            }
            LoyaltyEvent::MilesRevoked {
                booking_id,
                miles,
                consumed,
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
            } => {
                lots.iter().for_each(|s| self.put_back(s));
                if let Some(redemption) = self.redemptions.get_mut(booking_id) {
                    redemption.restored = true;
                }
                self.totals.restored = self.totals.restored.saturating_add(*miles);
            }
            LoyaltyEvent::MilesExpired { miles, lots, at: _ } => {
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
