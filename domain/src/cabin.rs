//! Cabins of a flight, from the back of the aircraft to the front.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A cabin (class of travel) of a flight; each offered cabin has its own seats and base fare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cabin {
    /// The standard cabin at the back of the aircraft.
    Economy,
    /// Premium economy, between economy and business.
    Premium,
    /// Business class.
    Business,
    /// First class, at the front.
    First,
}

impl Cabin {
    /// Every cabin, from the back of the aircraft to the front.
    pub const ALL: [Cabin; 4] = [
        Cabin::Economy,
        Cabin::Premium,
        Cabin::Business,
        Cabin::First,
    ];

    /// The cabin's stable name as it appears in events and over HTTP (`"economy"`, `"premium"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Cabin::Economy => "economy",
            Cabin::Premium => "premium",
            Cabin::Business => "business",
            Cabin::First => "first",
        }
    }

    /// The cabin named `s` (exactly as [`Cabin::as_str`] spells it, lower case), or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Loyalty earning bonus, in hundredths (economy 1.0 = 100, first 2.0 = 200), so that the
    /// accrual formula stays in integers.
    pub fn bonus_percent(self) -> u64 {
        match self {
            Cabin::Economy => 100,
            Cabin::Premium => 125,
            Cabin::Business => 150,
            Cabin::First => 200,
        }
    }
}

impl fmt::Display for Cabin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
