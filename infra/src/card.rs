//! The built-in card processor: the default payment provider, with no network. It applies the
//! checks a real acquirer would (expiry, amount limit) and answers the documented test cards.

use chrono::NaiveDate;
use skyfly_domain::card::{
    Authorization, AuthorizationRequest, CardBrand, CardDetails, CardSummary, CardToken,
    PaymentProvider, ProviderError, ProviderFuture, TokenAuthorizationRequest, last_valid_day,
};
use skyfly_domain::money::Money;
use uuid::Uuid;

/// Largest amount one payment may carry: 10,000.00.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000;

/// The built-in payment provider: no network, no state. It tokenizes valid cards, checks expiry
/// and the amount limit at authorization, and answers the test cards of `docs/domain.md` (approving
/// every other valid card).
#[derive(Debug, Default, Clone, Copy)]
pub struct BuiltInCardProcessor;

/// What the built-in processor will answer for a card: the test cards of docs/domain.md, approval for
/// every other valid card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Approve,
    Decline(&'static str),
    ProcessingError,
}

impl Behaviour {
    fn of(number: &str) -> Self {
        match number {
            "4000000000000002" => Behaviour::Decline("card_declined"),
            "4000000000009995" => Behaviour::Decline("insufficient_funds"),
            "4000000000000069" => Behaviour::Decline("expired_card"),
            "4000000000000119" => Behaviour::ProcessingError,
            _ => Behaviour::Approve,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Behaviour::Approve => "ok",
            Behaviour::Decline(reason) => reason,
            Behaviour::ProcessingError => "processing_error",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Some(match tag {
            "ok" => Behaviour::Approve,
            "card_declined" => Behaviour::Decline("card_declined"),
            "insufficient_funds" => Behaviour::Decline("insufficient_funds"),
            "expired_card" => Behaviour::Decline("expired_card"),
            "processing_error" => Behaviour::ProcessingError,
            _ => return None,
        })
    }
}

/// Everything the built-in processor needs to authorize later. Like a payment service's test-mode
/// token, it carries the card's outcome class, brand, last four digits and expiry — never the
/// number or the CVC: `tok.<class>.<brand>.<last4>.<MM><YYYY>.<nonce>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TokenContents {
    behaviour: Behaviour,
    card: CardSummary,
    exp_month: u32,
    exp_year: i32,
}

fn brand_tag(brand: CardBrand) -> &'static str {
    match brand {
        CardBrand::Visa => "visa",
        CardBrand::Mastercard => "mastercard",
        CardBrand::Amex => "amex",
        CardBrand::Discover => "discover",
        CardBrand::Unknown => "unknown",
    }
}

fn parse_token(token: &str) -> Option<TokenContents> {
    let mut parts = token.split('.');
    if parts.next()? != "tok" {
        return None;
    }
    let behaviour = Behaviour::from_tag(parts.next()?)?;
    let brand = match parts.next()? {
        "visa" => CardBrand::Visa,
        "mastercard" => CardBrand::Mastercard,
        "amex" => CardBrand::Amex,
        "discover" => CardBrand::Discover,
        _ => CardBrand::Unknown,
    };
    let last4 = parts.next()?.to_owned();
    let expiry = parts.next()?;
    let (month, year) = (
        expiry.get(..2)?.parse().ok()?,
        expiry.get(2..)?.parse().ok()?,
    );
    parts.next()?;
    Some(TokenContents {
        behaviour,
        card: CardSummary { brand, last4 },
        exp_month: month,
        exp_year: year,
    })
}

impl BuiltInCardProcessor {
    fn decide(request: &AuthorizationRequest) -> Result<Authorization, ProviderError> {
        let card = &request.card;
        Self::decide_for(
            Behaviour::of(card.number()),
            card.summary(),
            card.expires_on(),
            request.amount,
            request.today,
            &request.reference,
        )
    }

    fn decide_for(
        behaviour: Behaviour,
        card: CardSummary,
        expires_on: Option<NaiveDate>,
        amount: Money,
        today: NaiveDate,
        reference: &str,
    ) -> Result<Authorization, ProviderError> {
        if expires_on.is_none_or(|last_day| last_day < today) {
            return Err(ProviderError::Declined("expired_card".into()));
        }
        if amount.amount <= 0 || amount.amount > MAX_AMOUNT_MINOR {
            return Err(ProviderError::Declined("amount_too_large".into()));
        }
        match behaviour {
            Behaviour::Decline(reason) => Err(ProviderError::Declined(reason.into())),
            Behaviour::ProcessingError => Err(ProviderError::Retryable("processing_error".into())),
            Behaviour::Approve => {
                // Deterministic per reference: asking twice for the same payment gives the same code.
                let code = Uuid::new_v5(&Uuid::NAMESPACE_OID, reference.as_bytes());
                Ok(Authorization {
                    authorization_code: code.simple().to_string()[..8].to_uppercase(),
                    card,
                })
            }
        }
    }
}

impl PaymentProvider for BuiltInCardProcessor {
    fn authorize(&self, request: AuthorizationRequest) -> ProviderFuture<'_> {
        Box::pin(async move { Self::decide(&request) })
    }

    fn tokenize(&self, card: CardDetails) -> Result<CardToken, ProviderError> {
        let summary = card.summary();
        let token = format!(
            "tok.{}.{}.{}.{:02}{:04}.{}",
            Behaviour::of(card.number()).tag(),
            brand_tag(summary.brand),
            summary.last4,
            card.exp_month,
            card.exp_year,
            Uuid::new_v4().simple()
        );
        Ok(CardToken {
            token,
            card: summary,
        })
    }

    fn authorize_token(&self, request: TokenAuthorizationRequest) -> ProviderFuture<'_> {
        Box::pin(async move {
            let t = parse_token(&request.token)
                .ok_or_else(|| ProviderError::Declined("invalid_token".into()))?;
            Self::decide_for(
                t.behaviour,
                t.card,
                last_valid_day(t.exp_month, t.exp_year),
                request.amount,
                request.today,
                &request.reference,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use skyfly_domain::card::CardDetails;
    use skyfly_domain::money::Money;

    fn request(number: &str, amount: i64, exp_year: i32) -> AuthorizationRequest {
        AuthorizationRequest {
            card: CardDetails::parse(number, 12, exp_year, "123").unwrap(),
            amount: Money::usd(amount),
            today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            reference: "payment-1".into(),
        }
    }

    #[test]
    fn test_cards_answer_as_documented() {
        let answer = |n: &str| BuiltInCardProcessor::decide(&request(n, 10_000, 2030));
        assert!(answer("4242424242424242").is_ok());
        assert!(answer("5555555555554444").is_ok());
        assert_eq!(
            answer("4000000000000002"),
            Err(ProviderError::Declined("card_declined".into()))
        );
        assert_eq!(
            answer("4000000000009995"),
            Err(ProviderError::Declined("insufficient_funds".into()))
        );
        assert_eq!(
            answer("4000000000000069"),
            Err(ProviderError::Declined("expired_card".into()))
        );
        assert_eq!(
            answer("4000000000000119"),
            Err(ProviderError::Retryable("processing_error".into()))
        );
    }

    #[test]
    fn past_expiry_and_large_amounts_are_declined() {
        assert_eq!(
            BuiltInCardProcessor::decide(&request("4242424242424242", 100, 2025)),
            Err(ProviderError::Declined("expired_card".into()))
        );
        assert!(
            BuiltInCardProcessor::decide(&request("4242424242424242", MAX_AMOUNT_MINOR, 2030))
                .is_ok()
        );
        assert_eq!(
            BuiltInCardProcessor::decide(&request("4242424242424242", MAX_AMOUNT_MINOR + 1, 2030)),
            Err(ProviderError::Declined("amount_too_large".into()))
        );
    }

    #[tokio::test]
    async fn a_token_authorizes_like_its_card_and_holds_no_card_number() {
        let p = BuiltInCardProcessor;
        for (number, expected) in [
            ("4242424242424242", Ok(())),
            (
                "4000000000000002",
                Err(ProviderError::Declined("card_declined".into())),
            ),
            (
                "4000000000009995",
                Err(ProviderError::Declined("insufficient_funds".into())),
            ),
            (
                "4000000000000069",
                Err(ProviderError::Declined("expired_card".into())),
            ),
            (
                "4000000000000119",
                Err(ProviderError::Retryable("processing_error".into())),
            ),
        ] {
            let card = CardDetails::parse(number, 12, 2030, "987").unwrap();
            let token = p.tokenize(card).unwrap();
            assert!(!token.token.contains(&number[..12]), "{}", token.token);
            // Everything but the random nonce is structured: none of it may carry the CVC.
            let parts: Vec<&str> = token.token.split('.').collect();
            assert_eq!(parts.len(), 6, "{}", token.token);
            assert!(
                !parts[..5].join(".").contains("987"),
                "no CVC in {}",
                token.token
            );
            let request = |amount: i64| TokenAuthorizationRequest {
                token: token.token.clone(),
                amount: Money::usd(amount),
                today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
                reference: "payment-1".into(),
            };
            let got = p
                .authorize_token(request(100))
                .await
                .map(|a| assert_eq!(a.card.last4, &number[12..]));
            assert_eq!(got, expected, "{number}");
            if expected.is_ok() {
                let too_much = p.authorize_token(request(MAX_AMOUNT_MINOR + 1)).await;
                assert_eq!(
                    too_much,
                    Err(ProviderError::Declined("amount_too_large".into()))
                );
            }
        }
        let expired = p
            .tokenize(CardDetails::parse("4242424242424242", 1, 2026, "123").unwrap())
            .unwrap();
        let r = p
            .authorize_token(TokenAuthorizationRequest {
                token: expired.token,
                amount: Money::usd(100),
                today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
                reference: "x".into(),
            })
            .await;
        assert_eq!(
            r,
            Err(ProviderError::Declined("expired_card".into())),
            "expiry is checked at authorization time"
        );
        let forged = p
            .authorize_token(TokenAuthorizationRequest {
                token: "tok.bogus".into(),
                amount: Money::usd(100),
                today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
                reference: "x".into(),
            })
            .await;
        assert_eq!(forged, Err(ProviderError::Declined("invalid_token".into())));
    }

    #[test]
    fn the_same_reference_gets_the_same_authorization_code() {
        let a = BuiltInCardProcessor::decide(&request("4242424242424242", 100, 2030)).unwrap();
        let b = BuiltInCardProcessor::decide(&request("4242424242424242", 100, 2030)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.card.last4, "4242");
    }
}
