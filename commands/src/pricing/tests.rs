//! Quoting fares on the in-memory stores.

use super::*;
use crate::testing::{TestApplication, flight_id, schedule_flight, start};
use skyfly_domain::money::Money;

fn invalid_field(e: &UseCaseError) -> (&str, &'static str) {
    match e {
        UseCaseError::Invalid { field, code, .. } => (field.as_str(), code),
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn economy_for(passengers: u32) -> PriceSeats {
    PriceSeats::parse(&flight_id().to_string(), Cabin::Economy, passengers).unwrap()
}

#[tokio::test]
async fn a_quote_prices_the_party_and_records_nothing() {
    let t = TestApplication::new();
    schedule_flight(&t.app, 10).await;
    let head = t.app.bus.store().head_position().await.unwrap();
    let quoted = quote(&t.app, economy_for(2)).await.unwrap();
    assert_eq!(
        (quoted.quote.fare, quoted.quote.taxes, quoted.quote.total),
        (Money::usd(20_000), Money::usd(1_500), Money::usd(21_500))
    );
    assert_eq!(quoted.quote.expires_at, start() + QUOTE_VALIDITY);
    assert_eq!(t.app.bus.store().head_position().await.unwrap(), head);
    // The same question at the same instant gets the same id; later, another.
    let again = quote(&t.app, economy_for(2)).await.unwrap();
    assert_eq!(again.quote_id, quoted.quote_id);
    t.clock.advance(chrono::Duration::seconds(1));
    let later = quote(&t.app, economy_for(2)).await.unwrap();
    assert_ne!(later.quote_id, quoted.quote_id);
}

#[tokio::test]
async fn a_flight_that_is_not_scheduled_or_a_cabin_it_lacks_is_refused() {
    let t = TestApplication::new();
    let e = quote(&t.app, economy_for(2)).await.unwrap_err();
    assert_eq!(invalid_field(&e), ("flight_id", "unknown_flight"));
    schedule_flight(&t.app, 10).await;
    let business = PriceSeats::parse(&flight_id().to_string(), Cabin::Business, 2).unwrap();
    let e = quote(&t.app, business).await.unwrap_err();
    assert_eq!(invalid_field(&e), ("cabin", "cabin_not_offered"));
}

#[test]
fn a_party_out_of_range_or_a_malformed_flight_is_named() {
    for passengers in [0, 10] {
        let e = PriceSeats::parse("SF100-2026-12-01", Cabin::Economy, passengers).unwrap_err();
        assert_eq!(invalid_field(&e), ("passengers", "out_of_range"));
    }
    let e = PriceSeats::parse("garbage", Cabin::Economy, 2).unwrap_err();
    assert_eq!(invalid_field(&e), ("flight_id", "invalid_field"));
    // The party is checked first.
    let e = PriceSeats::parse("garbage", Cabin::Economy, 0).unwrap_err();
    assert_eq!(invalid_field(&e), ("passengers", "out_of_range"));
}
