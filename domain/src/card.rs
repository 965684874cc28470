//! Cards and the payment provider port.
//!
//! A full card number exists only inside a [`CardDetails`] on its way to the provider; its `Debug`
//! prints the last four digits only, and nothing else in the system ever holds more.

use crate::money::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Unknown,
}

impl CardBrand {
    pub fn of(number: &str) -> Self {
        let d2: u32 = number.get(..2).and_then(|s| s.parse().ok()).unwrap_or(0);
        let d4: u32 = number.get(..4).and_then(|s| s.parse().ok()).unwrap_or(0);
        match () {
            _ if number.starts_with('4') => CardBrand::Visa,
            _ if (51..=55).contains(&d2) || (2221..=2720).contains(&d4) => CardBrand::Mastercard,
            _ if d2 == 34 || d2 == 37 => CardBrand::Amex,
            _ if number.starts_with("6011") || d2 == 65 => CardBrand::Discover,
            _ => CardBrand::Unknown,
        }
    }
}

/// What may be kept about a card: brand and last four digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    pub brand: CardBrand,
    pub last4: String,
}

/// A card as presented for one authorization. Validated on construction (digits only, 12-19 long,
/// Luhn, month 1-12, 3-4 digit CVC); expiry against the clock is the processor's check.
#[derive(Clone, PartialEq, Eq)]
pub struct CardDetails {
    number: String,
    pub exp_month: u32,
    pub exp_year: i32,
    cvc: String,
}

impl fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CardDetails(**** {}, {:02}/{})",
            self.summary().last4,
            self.exp_month,
            self.exp_year
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("card_number must be 12 to 19 digits")]
    NumberFormat,
    #[error("card_number fails the Luhn check")]
    Luhn,
    #[error("exp_month must be 1 to 12")]
    ExpMonth,
    #[error("exp_year is out of range")]
    ExpYear,
    #[error("cvc must be 3 or 4 digits")]
    Cvc,
}

impl CardError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            CardError::NumberFormat | CardError::Luhn => "card_number",
            CardError::ExpMonth => "exp_month",
            CardError::ExpYear => "exp_year",
            CardError::Cvc => "cvc",
        }
    }
}

/// The last day a card expiring `exp_month/exp_year` is valid.
pub fn last_valid_day(exp_month: u32, exp_year: i32) -> Option<NaiveDate> {
    let (y, m) = if exp_month == 12 {
        (exp_year + 1, 1)
    } else {
        (exp_year, exp_month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt())
}

pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

impl CardDetails {
    pub fn parse(
        number: &str,
        exp_month: u32,
        exp_year: i32,
        cvc: &str,
    ) -> Result<Self, CardError> {
        let number: String = number.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::NumberFormat);
        }
        if !luhn_valid(&number) {
            return Err(CardError::Luhn);
        }
        if !(1..=12).contains(&exp_month) {
            return Err(CardError::ExpMonth);
        }
        if !(2000..=2100).contains(&exp_year) {
            return Err(CardError::ExpYear);
        }
        if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::Cvc);
        }
        Ok(Self {
            number,
            exp_month,
            exp_year,
            cvc: cvc.to_owned(),
        })
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn summary(&self) -> CardSummary {
        CardSummary {
            brand: CardBrand::of(&self.number),
            last4: self.number[self.number.len().saturating_sub(4)..].to_owned(),
        }
    }

    /// The last day the card is valid.
    pub fn expires_on(&self) -> Option<NaiveDate> {
        last_valid_day(self.exp_month, self.exp_year)
    }
}

/// An authorization request to a payment provider.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub card: CardDetails,
    pub amount: Money,
    /// Today, from the injected clock (for the expiry check).
    pub today: NaiveDate,
    /// The provider's idempotency key: the same key never authorizes twice.
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    pub authorization_code: String,
    pub card: CardSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The card or the amount was refused (`card_declined`, `insufficient_funds`, `expired_card`,
    /// `amount_too_large`): final.
    #[error("declined: {0}")]
    Declined(String),
    /// The provider failed (`processing_error`): the same request may succeed later.
    #[error("provider error: {0}")]
    Retryable(String),
}

pub type ProviderFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Authorization, ProviderError>> + Send + 'a>>;

/// A card exchanged for an opaque token at the edge, so that the saga can authorize later (after a
/// restart even) without anything in SkyFly ever holding the number or the CVC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardToken {
    pub token: String,
    pub card: CardSummary,
}

/// An authorization of a tokenized card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAuthorizationRequest {
    pub token: String,
    pub amount: Money,
    pub today: NaiveDate,
    pub reference: String,
}

/// The payment provider port. The built-in card processor implements it; a real acquirer would.
pub trait PaymentProvider: Send + Sync + 'static {
    fn authorize(&self, request: AuthorizationRequest) -> ProviderFuture<'_>;

    /// Vaults a card and returns its token (the provider's, opaque to SkyFly).
    fn tokenize(&self, card: CardDetails) -> Result<CardToken, ProviderError>;

    fn authorize_token(&self, request: TokenAuthorizationRequest) -> ProviderFuture<'_>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_pass_luhn_and_typos_do_not() {
        for n in [
            "4242424242424242",
            "5555555555554444",
            "4000000000000002",
            "4000000000009995",
            "4000000000000069",
            "4000000000000119",
        ] {
            assert!(luhn_valid(n), "{n}");
        }
        assert!(!luhn_valid("4242424242424241"));
        assert_eq!(
            CardDetails::parse("4242 4242 4242 4241", 12, 2030, "123"),
            Err(CardError::Luhn)
        );
    }

    #[test]
    fn card_details_never_print_the_full_number() {
        let c = CardDetails::parse("4242 4242 4242 4242", 12, 2030, "123").unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("42424242"), "{shown}");
        assert!(shown.contains("4242"));
        assert_eq!(
            c.summary(),
            CardSummary {
                brand: CardBrand::Visa,
                last4: "4242".into()
            }
        );
        assert_eq!(CardBrand::of("5555555555554444"), CardBrand::Mastercard);
    }

    #[test]
    fn malformed_cards_name_the_field() {
        assert_eq!(
            CardDetails::parse("4242", 12, 2030, "123")
                .unwrap_err()
                .field(),
            "card_number"
        );
        assert_eq!(
            CardDetails::parse("4242424242424242", 13, 2030, "123")
                .unwrap_err()
                .field(),
            "exp_month"
        );
        assert_eq!(
            CardDetails::parse("4242424242424242", 12, 2030, "12")
                .unwrap_err()
                .field(),
            "cvc"
        );
        assert_eq!(
            CardDetails::parse("4242424242424242", 2, 2028, "123")
                .unwrap()
                .expires_on(),
            NaiveDate::from_ymd_opt(2028, 2, 29)
        );
    }
}
