//! Airports (places).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An IATA airport code: three upper-case letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iata([u8; 3]);

impl Iata {
    pub fn parse(s: &str) -> Result<Self, PlaceError> {
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
            Ok(Self([b[0], b[1], b[2]]))
        } else {
            Err(PlaceError::Iata)
        }
    }
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
    pub code: Iata,
    pub name: String,
    pub city: String,
    pub country: String,
    /// IANA time zone, e.g. `America/Chicago`.
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("an airport code is three upper-case letters (IATA)")]
    Iata,
}
