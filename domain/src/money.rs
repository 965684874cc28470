//! Money in integer minor units with an ISO 4217 currency code. Never `f64`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code, three upper-case letters such as `USD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// US dollars (the currency of the schedule files' fares).
    pub const USD: Currency = Currency(*b"USD");

    /// Reads a currency code; refused unless it is exactly three upper-case ASCII letters.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
            Ok(Self([b[0], b[1], b[2]]))
        } else {
            Err(MoneyError::Currency)
        }
    }

    /// The code as written, e.g. `"USD"`.
    pub fn as_str(&self) -> &str {
        // Only ever built from three ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.as_str().to_owned()
    }
}

/// `{ "amount": 12345, "currency": "USD" }`: 123.45 US dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount in minor units (cents for USD).
    pub amount: i64,
    /// The currency the amount is in; amounts in different currencies are never combined.
    pub currency: Currency,
}

impl Money {
    /// The largest amount, in minor units, any request may carry (10,000,000.00): every amount a
    /// client gives is at most this in absolute value, so sums of a few of them stay far from
    /// overflow (and arithmetic on amounts is checked anyway).
    pub const MAX_AMOUNT: i64 = 1_000_000_000;

    /// `amount` minor units of `currency`.
    pub const fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }
    /// `amount` US cents.
    pub const fn usd(amount: i64) -> Self {
        Self {
            amount,
            currency: Currency::USD,
        }
    }
    /// Nothing, in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Self {
            amount: 0,
            currency,
        }
    }

    /// The sum of two amounts; refused if their currencies differ or the sum overflows.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_add(other.amount)
            .map(|amount| Money { amount, ..self })
            .ok_or(MoneyError::Overflow)
    }

    /// This amount less `other`; refused if their currencies differ or the difference overflows.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_sub(other.amount)
            .map(|amount| Money { amount, ..self })
            .ok_or(MoneyError::Overflow)
    }

    /// This amount `n` times (e.g. a fare for `n` passengers); refused if it overflows.
    pub fn checked_mul(self, n: i64) -> Result<Money, MoneyError> {
        self.amount
            .checked_mul(n)
            .map(|amount| Money { amount, ..self })
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch)
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount < 0 { "-" } else { "" };
        let a = self.amount.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", a / 100, a % 100, self.currency)
    }
}

/// Why an amount or a currency is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency is not three upper-case letters.
    #[error("a currency is an ISO 4217 code of three upper-case letters")]
    Currency,
    /// Amounts in different currencies were combined.
    #[error("amounts in different currencies cannot be combined")]
    CurrencyMismatch,
    /// The result does not fit in the amount's range.
    #[error("amount out of range")]
    Overflow,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_serializes_as_minor_units_and_code() {
        let m = Money::usd(12345);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":12345,"currency":"USD"}"#
        );
        assert_eq!(m.to_string(), "123.45 USD");
    }

    #[test]
    fn mixing_currencies_is_refused() {
        let eur = Money::new(1, Currency::parse("EUR").unwrap());
        assert_eq!(
            Money::usd(1).checked_add(eur),
            Err(MoneyError::CurrencyMismatch)
        );
        assert!(Currency::parse("usd").is_err());
    }
}
