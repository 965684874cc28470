//! Events of the loyalty account. Stored type names are the variant names and never change.

use super::Tier;
use crate::aggregate::DomainEvent;
use crate::ids::{BookingId, LoyaltyAccountId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Some miles of one accrual lot (a lot is identified by when it was earned and when it expires).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotSlice {
    /// When the lot's miles were earned.
    pub earned_at: DateTime<Utc>,
    /// When the lot's miles expire.
    pub expires_at: DateTime<Utc>,
    /// How many of the lot's miles.
    pub miles: u64,
}

/// What happened to a loyalty account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum LoyaltyEvent {
    /// The account was opened for a customer, at their registration.
    LoyaltyAccountOpened {
        /// The account.
        account_id: LoyaltyAccountId,
        /// The customer who owns it.
        owner: UserId,
        /// When it was opened.
        opened_at: DateTime<Utc>,
    },
    /// A booking earned miles: a new lot, valid until `expires_at`. `tier` is the tier whose
    /// multiplier applied (the tier before this award).
    MilesAwarded {
        /// The booking that earned the miles.
        booking_id: BookingId,
        /// How many miles were earned.
        miles: u64,
        /// The tier whose multiplier applied.
        tier: Tier,
        /// When the miles were earned.
        earned_at: DateTime<Utc>,
        /// When they expire: [`ACCRUAL_VALIDITY`](super::ACCRUAL_VALIDITY) after they were earned.
        expires_at: DateTime<Utc>,
    },
    /// A booking's award was taken back (cancellation or compensation), at most the balance then:
    /// first from the lot the award created, then from the oldest lots; `consumed` says which.
    /// Recorded even when `miles` is 0 (everything already spent), so the award counts as revoked.
    MilesRevoked {
        /// The booking whose award was taken back.
        booking_id: BookingId,
        /// How many miles were taken: the award, or the balance if that was smaller.
        miles: u64,
        /// The lot slices the miles were taken from.
        consumed: Vec<LotSlice>,
        /// When the award was taken back.
        revoked_at: DateTime<Utc>,
    },
    /// Miles paid part of a booking, taken from the oldest unexpired lots.
    MilesRedeemed {
        /// The booking the miles paid for.
        booking_id: BookingId,
        /// How many miles were redeemed (1 mile = 1 cent).
        miles: u64,
        /// The lot slices they came from, oldest first.
        consumed: Vec<LotSlice>,
        /// When they were redeemed.
        redeemed_at: DateTime<Utc>,
    },
    /// A booking's redeemed miles went back to the lots they came from, keeping their expiry (a
    /// slice whose lot expired meanwhile is due again at the next `MilesExpired`).
    MilesRestored {
        /// The booking whose redemption was undone.
        booking_id: BookingId,
        /// How many miles came back.
        miles: u64,
        /// The lot slices they went back to: those the redemption took.
        lots: Vec<LotSlice>,
        /// When they came back.
        restored_at: DateTime<Utc>,
    },
    /// Lots reached their expiry with miles left; `lots` oldest first.
    MilesExpired {
        /// How many miles expired.
        miles: u64,
        /// The lot slices that expired, oldest first.
        lots: Vec<LotSlice>,
        /// When they expired: the instant the expiry ran for.
        expired_at: DateTime<Utc>,
    },
}

impl DomainEvent for LoyaltyEvent {
    fn event_type(&self) -> &'static str {
        match self {
            LoyaltyEvent::LoyaltyAccountOpened { .. } => "LoyaltyAccountOpened",
            LoyaltyEvent::MilesAwarded { .. } => "MilesAwarded",
            LoyaltyEvent::MilesRevoked { .. } => "MilesRevoked",
            LoyaltyEvent::MilesRedeemed { .. } => "MilesRedeemed",
            LoyaltyEvent::MilesRestored { .. } => "MilesRestored",
            LoyaltyEvent::MilesExpired { .. } => "MilesExpired",
        }
    }
}
