//! Pricing: `fare = n × base_fare`, `taxes = round_half_up(7.5% × fare)`, `total = fare + taxes`.

use crate::cabin::Cabin;
use crate::ids::FlightId;
use crate::money::{Money, MoneyError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a quote holds.
pub const QUOTE_VALIDITY: Duration = Duration::minutes(15);
/// Tax rate in basis points (7.5%).
pub const TAX_RATE_BP: i64 = 750;

/// The price of a party of passengers in one cabin of a flight, valid for [`QUOTE_VALIDITY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The flight priced.
    pub flight_id: FlightId,
    /// The cabin priced.
    pub cabin: Cabin,
    /// The number of passengers (one seat each).
    pub passengers: u32,
    /// The party's fare: the cabin's base fare times the passengers.
    pub fare: Money,
    /// Taxes: 7.5 % of the whole fare, rounded half up to the cent.
    pub taxes: Money,
    /// What the party pays: fare plus taxes.
    pub total: Money,
    /// When the quote stops holding: [`QUOTE_VALIDITY`] after it was made.
    pub expires_at: DateTime<Utc>,
}

/// `round_half_up(amount × bp / 10000)` for non-negative amounts.
pub fn taxes_on(fare: Money) -> Result<Money, MoneyError> {
    let scaled = fare
        .amount
        .checked_mul(TAX_RATE_BP)
        .ok_or(MoneyError::Overflow)?;
    Ok(Money {
        amount: (scaled + 5_000) / 10_000,
        ..fare
    })
}

/// Prices `passengers` seats in `cabin` of `flight_id` at `base_fare` each, at instant `now`:
/// `fare = passengers × base_fare`, taxes on the whole fare, `total = fare + taxes`.
pub fn quote(
    flight_id: FlightId,
    cabin: Cabin,
    passengers: u32,
    base_fare: Money,
    now: DateTime<Utc>,
) -> Result<Quote, MoneyError> {
    let fare = base_fare.checked_mul(i64::from(passengers))?;
    let taxes = taxes_on(fare)?;
    let total = fare.checked_add(taxes)?;
    Ok(Quote {
        flight_id,
        cabin,
        passengers,
        fare,
        taxes,
        total,
        expires_at: now + QUOTE_VALIDITY,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxes_round_half_up() {
        // 7.5% of 10.00 = 0.75 exactly; of 0.06 = 0.0045 -> 0; of 0.20 = 0.015 -> 0.02
        assert_eq!(taxes_on(Money::usd(1000)).unwrap().amount, 75);
        assert_eq!(taxes_on(Money::usd(6)).unwrap().amount, 0);
        assert_eq!(taxes_on(Money::usd(20)).unwrap().amount, 2);
        assert_eq!(taxes_on(Money::usd(14)).unwrap().amount, 1); // 1.05 -> 1
    }

    #[test]
    fn a_quote_multiplies_the_base_fare_and_adds_taxes() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let q = quote(
            FlightId::parse("SF100-2026-12-01").unwrap(),
            Cabin::Economy,
            2,
            Money::usd(19_999),
            now,
        )
        .unwrap();
        assert_eq!(q.fare.amount, 39_998);
        assert_eq!(q.taxes.amount, 3_000); // 2999.85 -> 3000
        assert_eq!(q.total.amount, 42_998);
        assert_eq!(q.expires_at, now + QUOTE_VALIDITY);
    }
}
