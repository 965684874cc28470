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

/// The card network a card belongs to, told by its number's leading digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    /// Visa: numbers starting with 4.
    Visa,
    /// Mastercard: numbers starting with 51 to 55 or 2221 to 2720.
    Mastercard,
    /// American Express: numbers starting with 34 or 37.
    Amex,
    /// Discover: numbers starting with 6011 or 65.
    Discover,
    /// A number no known network claims.
    Unknown,
}

impl CardBrand {
    /// The network of the card `number` (digits only), [`CardBrand::Unknown`] when none claims it.
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
    /// The card's network.
    pub brand: CardBrand,
    /// The last four digits of the card number, the only digits ever kept.
    pub last4: String,
}

/// A card as presented for one authorization. Validated on construction (digits only, 12-19 long,
/// Luhn, month 1-12, 3-4 digit CVC); expiry against the clock is the processor's check.
#[derive(Clone, PartialEq, Eq)]
pub struct CardDetails {
    number: String,
    /// The month the card expires, 1 to 12; it is valid through the last day of that month.
    pub exp_month: u32,
    /// The year the card expires, 2000 to 2100.
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

/// Why card details presented by the customer are refused, before anything is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The card number is not 12 to 19 digits (spaces and dashes aside).
    #[error("card_number must be 12 to 19 digits")]
    NumberFormat,
    /// The card number fails the Luhn checksum, as a mistyped number usually does.
    #[error("card_number fails the Luhn check")]
    Luhn,
    /// The expiry month is not 1 to 12.
    #[error("exp_month must be 1 to 12")]
    ExpMonth,
    /// The expiry year is not 2000 to 2100.
    #[error("exp_year is out of range")]
    ExpYear,
    /// The card verification code is not 3 or 4 digits.
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

/// Whether `digits` (ASCII digits only) pass the Luhn checksum that every card number carries.
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
    /// Checks card details as the customer typed them: spaces and dashes in the number are ignored,
    /// then the number's length, its Luhn checksum, the expiry month and year and the CVC are
    /// checked in that order; the first to fail is the error.
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

    /// The full card number (digits only), for the provider alone.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// What may be kept about this card: its brand and last four digits.
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
    /// The card to charge.
    pub card: CardDetails,
    /// The amount to authorize.
    pub amount: Money,
    /// Today, from the injected clock (for the expiry check).
    pub today: NaiveDate,
    /// The provider's idempotency key: the same key never authorizes twice.
    pub reference: String,
}

/// A provider's approval of an amount on a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// The provider's code for this approval.
    pub authorization_code: String,
    /// The card that was authorized, as it may be kept.
    pub card: CardSummary,
}

/// Why a payment provider did not authorize.
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

/// The answer a payment provider will give to an authorization.
pub type ProviderFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Authorization, ProviderError>> + Send + 'a>>;

/// A card exchanged for an opaque token at the edge, so that the saga can authorize later (after a
/// restart even) without anything in SkyFly ever holding the number or the CVC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardToken {
    /// The provider's opaque token for the card, which stands in for it from then on.
    pub token: String,
    /// The card behind the token, as it may be kept.
    pub card: CardSummary,
}

/// An authorization of a tokenized card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAuthorizationRequest {
    /// The token of the card to charge.
    pub token: String,
    /// The amount to authorize.
    pub amount: Money,
    /// Today, from the injected clock (for the expiry check).
    pub today: NaiveDate,
    /// The provider's idempotency key: the same key never authorizes twice.
    pub reference: String,
}

/// The payment provider port. The built-in card processor implements it; a real acquirer would.
pub trait PaymentProvider: Send + Sync + 'static {
    /// Authorizes an amount on a card presented in full.
    fn authorize(&self, request: AuthorizationRequest) -> ProviderFuture<'_>;

    /// Vaults a card and returns its token (the provider's, opaque to SkyFly).
    fn tokenize(&self, card: CardDetails) -> Result<CardToken, ProviderError>;

    /// Authorizes an amount on a card vaulted earlier by [`PaymentProvider::tokenize`].
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
