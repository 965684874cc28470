//! Airports (places).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An IATA airport code: three upper-case letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iata([u8; 3]);

impl Iata {
    /// Reads an airport code; refused unless it is exactly three upper-case ASCII letters.
    pub fn parse(s: &str) -> Result<Self, PlaceError> {
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
            Ok(Self([b[0], b[1], b[2]]))
        } else {
            Err(PlaceError::Iata)
        }
    }
    /// The code as written, e.g. `"ORD"`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for Iata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Iata {
    type Error = PlaceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Iata> for String {
    fn from(c: Iata) -> Self {
        c.as_str().to_owned()
    }
}

/// An airport: reference data, not event-sourced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Airport {
    /// The airport's IATA code.
    pub code: Iata,
    /// The airport's name, e.g. `O'Hare International Airport`.
    pub name: String,
    /// The city the airport serves.
    pub city: String,
    /// The country the airport is in.
    pub country: String,
    /// IANA time zone, e.g. `America/Chicago`.
    pub time_zone: String,
}

/// Why an airport code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    /// The code is not three upper-case letters.
    #[error("an airport code is three upper-case letters (IATA)")]
    Iata,
}
