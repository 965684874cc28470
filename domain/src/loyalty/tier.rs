//! Status tiers, by miles earned in the last 365 days.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A status tier, by miles earned in the last 365 days; a higher tier earns more miles per dollar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The tier every account starts in (from 0 miles; ×1.0).
    Blue,
    /// From 25,000 miles (×1.25).
    Silver,
    /// From 50,000 miles (×1.5).
    Gold,
    /// From 75,000 miles (×1.75).
    Platinum,
    /// From 100,000 miles, the top tier (×2.0).
    ExecutivePlatinum,
}

impl Tier {
    /// From the lowest tier to the highest.
    pub const ALL: [Tier; 5] = [
        Tier::Blue,
        Tier::Silver,
        Tier::Gold,
        Tier::Platinum,
        Tier::ExecutivePlatinum,
    ];

    /// Miles earned in the last 365 days needed to reach the tier.
    pub fn threshold(self) -> u64 {
        match self {
            Tier::Blue => 0,
            Tier::Silver => 25_000,
            Tier::Gold => 50_000,
            Tier::Platinum => 75_000,
            Tier::ExecutivePlatinum => 100_000,
        }
    }

    /// Earning multiplier in hundredths (Blue 1.0 = 100, Executive Platinum 2.0 = 200).
    pub fn multiplier_percent(self) -> u64 {
        match self {
            Tier::Blue => 100,
            Tier::Silver => 125,
            Tier::Gold => 150,
            Tier::Platinum => 175,
            Tier::ExecutivePlatinum => 200,
        }
    }

    /// The highest tier whose threshold `miles` reaches.
    pub fn for_miles(miles: u64) -> Tier {
        Self::ALL
            .into_iter()
            .rev()
            .find(|t| miles >= t.threshold())
            .unwrap_or(Tier::Blue)
    }

    /// The tier above, if any.
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::Blue => Some(Tier::Silver),
            Tier::Silver => Some(Tier::Gold),
            Tier::Gold => Some(Tier::Platinum),
            Tier::Platinum => Some(Tier::ExecutivePlatinum),
            Tier::ExecutivePlatinum => None,
        }
    }

    /// The tier's stable name, e.g. `"executive_platinum"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Blue => "blue",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
            Tier::Platinum => "platinum",
            Tier::ExecutivePlatinum => "executive_platinum",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
