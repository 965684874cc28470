//! Events of the loyalty account. Stored type names are the variant names and never change.

use super::Tier;
use crate::aggregate::DomainEvent;
use crate::ids::{BookingId, LoyaltyAccountId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Some miles of one accrual lot (a lot is identified by when it was earned and when it expires).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotSlice {
    pub earned_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub miles: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum LoyaltyEvent {
    LoyaltyAccountOpened {
        account_id: LoyaltyAccountId,
        owner: UserId,
        opened_at: DateTime<Utc>,
    },
    /// A booking earned miles: a new lot, valid until `expires_at`. `tier` is the tier whose
    /// multiplier applied (the tier before this award).
    MilesAwarded {
        booking_id: BookingId,
        miles: u64,
        tier: Tier,
        earned_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    /// A booking's award was taken back (cancellation or compensation), at most the balance then:
    /// first from the lot the award created, then from the oldest lots; `consumed` says which.
    /// Recorded even when `miles` is 0 (everything already spent), so the award counts as revoked.
    MilesRevoked {
        booking_id: BookingId,
        miles: u64,
        consumed: Vec<LotSlice>,
        revoked_at: DateTime<Utc>,
    },
    /// Miles paid part of a booking, taken from the oldest unexpired lots.
    MilesRedeemed {
        booking_id: BookingId,
        miles: u64,
        consumed: Vec<LotSlice>,
        redeemed_at: DateTime<Utc>,
    },
    /// A booking's redeemed miles went back to the lots they came from, keeping their expiry (a
    /// slice whose lot expired meanwhile is due again at the next `MilesExpired`).
    MilesRestored {
        booking_id: BookingId,
        miles: u64,
        lots: Vec<LotSlice>,
        restored_at: DateTime<Utc>,
    },
    /// Lots reached their expiry with miles left; `lots` oldest first.
    MilesExpired {
        miles: u64,
        lots: Vec<LotSlice>,
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
