//! The built-in card processor: the default payment provider, with no network. It applies the
//! checks a real acquirer would (expiry, amount limit) and answers the documented test cards.

use skyfly_domain::card::{
    Authorization, AuthorizationRequest, PaymentProvider, ProviderError, ProviderFuture,
};
use uuid::Uuid;

/// Largest amount one payment may carry: 10,000.00.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000;

#[derive(Debug, Default, Clone, Copy)]
pub struct BuiltInCardProcessor;

impl BuiltInCardProcessor {
    fn decide(request: &AuthorizationRequest) -> Result<Authorization, ProviderError> {
        let card = &request.card;
        if card
            .expires_on()
            .is_none_or(|last_day| last_day < request.today)
        {
            return Err(ProviderError::Declined("expired_card".into()));
        }
        if request.amount.amount <= 0 || request.amount.amount > MAX_AMOUNT_MINOR {
            return Err(ProviderError::Declined("amount_too_large".into()));
        }
        match card.number() {
            "4000000000000002" => Err(ProviderError::Declined("card_declined".into())),
            "4000000000009995" => Err(ProviderError::Declined("insufficient_funds".into())),
            "4000000000000069" => Err(ProviderError::Declined("expired_card".into())),
            "4000000000000119" => Err(ProviderError::Retryable("processing_error".into())),
            _ => {
                // Deterministic per reference: asking twice for the same payment gives the same code.
                let code = Uuid::new_v5(&Uuid::NAMESPACE_OID, request.reference.as_bytes());
                Ok(Authorization {
                    authorization_code: code.simple().to_string()[..8].to_uppercase(),
                    card: card.summary(),
                })
            }
        }
    }
}

impl PaymentProvider for BuiltInCardProcessor {
    fn authorize(&self, request: AuthorizationRequest) -> ProviderFuture<'_> {
        Box::pin(async move { Self::decide(&request) })
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

    #[test]
    fn the_same_reference_gets_the_same_authorization_code() {
        let a = BuiltInCardProcessor::decide(&request("4242424242424242", 100, 2030)).unwrap();
        let b = BuiltInCardProcessor::decide(&request("4242424242424242", 100, 2030)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.card.last4, "4242");
    }
}
