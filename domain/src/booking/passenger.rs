//! A passenger's name as it will appear on the ticket.

use super::BookingError;
use serde::{Deserialize, Serialize};

/// The longest first or last name accepted, in characters (after trimming).
pub const MAX_PASSENGER_NAME_LEN: usize = 50;

/// A passenger: first and last name, each trimmed, non-empty and at most 50 characters. Validated
/// when built or deserialized, so a `Passenger` is always printable on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PassengerFields")]
pub struct Passenger {
    first_name: String,
    last_name: String,
}

#[derive(Deserialize)]
struct PassengerFields {
    first_name: String,
    last_name: String,
}

impl Passenger {
    /// A passenger named `first_name` `last_name`; each is trimmed and must then be 1 to
    /// [`MAX_PASSENGER_NAME_LEN`] characters, else [`BookingError::InvalidPassengerName`].
    pub fn new(first_name: &str, last_name: &str) -> Result<Self, BookingError> {
        Ok(Self {
            first_name: name(first_name)?,
            last_name: name(last_name)?,
        })
    }

    /// The passenger's first name, trimmed.
    pub fn first_name(&self) -> &str {
        &self.first_name
    }

    /// The passenger's last name, trimmed.
    pub fn last_name(&self) -> &str {
        &self.last_name
    }
}

fn name(s: &str) -> Result<String, BookingError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > MAX_PASSENGER_NAME_LEN {
        Err(BookingError::InvalidPassengerName)
    } else {
        Ok(s.to_owned())
    }
}

impl TryFrom<PassengerFields> for Passenger {
    type Error = BookingError;
    fn try_from(p: PassengerFields) -> Result<Self, Self::Error> {
        Self::new(&p.first_name, &p.last_name)
    }
}
