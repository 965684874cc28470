//! Identifiers. Every id is a newtype so that a booking id can never be passed where a payment id
//! is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The id whose UUID is `id`.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The UUID behind this id.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A booking (and the saga that drives it).
    BookingId
);
uuid_id!(
    /// A registered user, customer or staff.
    UserId
);
uuid_id!(
    /// A payment: one authorization and what follows from it.
    PaymentId
);
uuid_id!(
    /// A loyalty account; every customer has exactly one.
    LoyaltyAccountId
);
uuid_id!(
    /// One recorded event (UUIDv7, so ids sort by creation time).
    EventId
);
uuid_id!(
    /// One command; the event store records it so that a redelivered command takes effect once.
    CommandId
);

/// Namespace for ids derived with UUIDv5 (deterministic ids: command ids of saga steps, user ids
/// from e-mail addresses).
pub const SKYFLY_NAMESPACE: Uuid = Uuid::from_u128(0x5c1f_1e00_7a1d_4b7e_9d3c_2f0a_8b6e_4d21);

impl CommandId {
    /// A command id derived from a stable name, e.g. `"<saga id>/reserve_seats"` or
    /// `"<user id>/idempotency/<key>"`: the same name always gives the same id.
    pub fn derived(name: &str) -> Self {
        Self(Uuid::new_v5(&SKYFLY_NAMESPACE, name.as_bytes()))
    }
}

impl LoyaltyAccountId {
    /// A customer's loyalty account id is derived from their user id: one account per customer,
    /// found without a lookup.
    pub fn for_user(user: UserId) -> Self {
        Self(Uuid::new_v5(
            &SKYFLY_NAMESPACE,
            format!("loyalty/{}", user.0).as_bytes(),
        ))
    }
}

/// A flight instance: flight number plus departure date, e.g. `AA100-2026-12-01`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FlightId {
    number: FlightNumber,
    date: chrono::NaiveDate,
}

impl FlightId {
    /// The flight `number` departing on `date` (the local date of departure at the origin).
    pub fn new(number: FlightNumber, date: chrono::NaiveDate) -> Self {
        Self { number, date }
    }
    /// The flight number, e.g. `AA100`.
    pub fn number(&self) -> &FlightNumber {
        &self.number
    }
    /// The local date of departure at the origin.
    pub fn date(&self) -> chrono::NaiveDate {
        self.date
    }
    /// Reads a flight id written as `<flight number>-<YYYY-MM-DD>`, e.g. `AA100-2026-12-01`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        // `AA100-2026-12-01`: the flight number never contains '-', so split at the first one.
        let (number, date) = s.split_once('-').ok_or(IdError::FlightId)?;
        let number = FlightNumber::parse(number).map_err(|_| IdError::FlightId)?;
        let date =
            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| IdError::FlightId)?;
        Ok(Self { number, date })
    }
}

impl fmt::Display for FlightId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.number, self.date.format("%Y-%m-%d"))
    }
}

impl std::str::FromStr for FlightId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for FlightId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<FlightId> for String {
    fn from(id: FlightId) -> Self {
        id.to_string()
    }
}

/// `AA100`: a 2-character airline designator followed by 1 to 4 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FlightNumber(String);

impl FlightNumber {
    /// Reads a flight number: 3 to 6 characters, a 2-character airline designator (upper-case
    /// letters or digits, not both digits) then 1 to 4 digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let b = s.as_bytes();
        let ok = (3..=6).contains(&b.len())
            && b[..2]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && !b[..2].iter().all(|c| c.is_ascii_digit())
            && b[2..].iter().all(|c| c.is_ascii_digit());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::FlightNumber)
        }
    }
    /// The 2-character airline designator, e.g. `AA` of `AA100`.
    pub fn airline(&self) -> &str {
        &self.0[..2]
    }
    /// The flight number as written, e.g. `AA100`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FlightNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FlightNumber {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<FlightNumber> for String {
    fn from(n: FlightNumber) -> Self {
        n.0
    }
}

/// A 6-character booking reference, as printed on the itinerary (`K7Q2ZD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Locator(pub String);

impl Locator {
    /// Derives the locator from the booking id: unambiguous characters only (no 0/O, 1/I).
    pub fn for_booking(id: BookingId) -> Self {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut n = id.0.as_u128() ^ (id.0.as_u128() >> 64);
        let mut s = String::with_capacity(6);
        for _ in 0..6 {
            s.push(ALPHABET[(n % 32) as usize] as char);
            n /= 32;
        }
        Self(s)
    }
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a flight id or flight number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text is not `<flight number>-<YYYY-MM-DD>`.
    #[error("a flight id looks like AA100-2026-12-01")]
    FlightId,
    /// The text is not a 2-character airline designator followed by 1 to 4 digits.
    #[error("a flight number is a 2-character airline code and 1 to 4 digits, e.g. AA100")]
    FlightNumber,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flight_id_round_trips_through_its_text_form() {
        let id = FlightId::parse("AA100-2026-12-01").unwrap();
        assert_eq!(id.number().as_str(), "AA100");
        assert_eq!(id.to_string(), "AA100-2026-12-01");
        assert_eq!("AA100-2026-12-01".parse::<FlightId>(), Ok(id.clone()));
        assert_eq!(
            FlightId::parse("U21-2026-01-05")
                .unwrap()
                .number()
                .airline(),
            "U2"
        );
    }

    #[test]
    fn malformed_flight_ids_are_refused() {
        for bad in [
            "AA100",
            "AA-2026-12-01",
            "A-2026-12-01",
            "AA12345-2026-12-01",
            "AA100-2026-13-01",
            "aa100-2026-12-01",
            "12100-2026-12-01",
        ] {
            assert!(FlightId::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn derived_command_ids_are_stable_and_distinct() {
        assert_eq!(
            CommandId::derived("a/reserve_seats"),
            CommandId::derived("a/reserve_seats")
        );
        assert_ne!(
            CommandId::derived("a/reserve_seats"),
            CommandId::derived("a/redeem_miles")
        );
    }

    #[test]
    fn locators_are_six_unambiguous_characters() {
        let l = Locator::for_booking(BookingId(Uuid::now_v7()));
        assert_eq!(l.0.len(), 6);
        assert!(!l.0.contains(['0', 'O', '1', 'I']));
    }
}
