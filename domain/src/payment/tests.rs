//! Given/when/then tests of the payment.

use super::*;
use crate::card::{Authorization, CardBrand, CardSummary};
use crate::ids::{BookingId, PaymentId};
use crate::money::{Currency, Money};
use crate::testing::{Rng, assert_round_trips, given};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
}

fn usd(cents: i64) -> Money {
    Money::usd(cents)
}

fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::parse("EUR").unwrap())
}

fn visa() -> CardSummary {
    CardSummary {
        brand: CardBrand::Visa,
        last4: "4242".into(),
    }
}

fn create(amount: Money) -> CreatePayment {
    CreatePayment {
        payment_id: PaymentId(Uuid::from_u128(1)),
        booking_id: BookingId(Uuid::from_u128(2)),
        amount,
        at: at(0),
    }
}

fn created() -> PaymentEvent {
    PaymentEvent::PaymentCreated {
        payment_id: PaymentId(Uuid::from_u128(1)),
        booking_id: BookingId(Uuid::from_u128(2)),
        amount: usd(42_998),
        created_at: at(0),
    }
}

fn authorization(code: &str) -> RecordAuthorization {
    RecordAuthorization {
        authorization: Authorization {
            authorization_code: code.into(),
            card: visa(),
        },
        at: at(1),
    }
}

fn authorized() -> PaymentEvent {
    PaymentEvent::PaymentAuthorized {
        amount: usd(42_998),
        authorization_code: "AUTH-1".into(),
        card: visa(),
        authorized_at: at(1),
    }
}

fn declined() -> PaymentEvent {
    PaymentEvent::PaymentDeclined {
        reason: "card_declined".into(),
        card: Some(visa()),
        declined_at: at(1),
    }
}

fn captured(cents: i64) -> PaymentEvent {
    PaymentEvent::PaymentCaptured {
        amount: usd(cents),
        captured_at: at(2),
    }
}

fn voided() -> PaymentEvent {
    PaymentEvent::PaymentVoided { voided_at: at(2) }
}

fn refunded(cents: i64, total: i64) -> PaymentEvent {
    PaymentEvent::PaymentRefunded {
        amount: usd(cents),
        refunded_total: usd(total),
        refunded_at: at(3),
    }
}

fn capture(amount: Option<Money>) -> CapturePayment {
    CapturePayment { amount, at: at(2) }
}

fn refund(amount: Option<Money>) -> RefundPayment {
    RefundPayment { amount, at: at(3) }
}

// ---- CreatePayment ----

#[test]
fn creating_a_payment_records_its_amount() {
    let state = given::<Payment>([])
        .when(create(usd(42_998)))
        .then([created()]);
    assert_eq!(state.status(), Some(PaymentStatus::Created));
}

#[test]
fn create_fails_when_the_payment_exists() {
    given::<Payment>([created()])
        .when(create(usd(42_998)))
        .then_err(PaymentError::AlreadyExists);
}

#[test]
fn create_fails_for_an_amount_that_is_not_above_zero() {
    given::<Payment>([])
        .when(create(usd(0)))
        .then_err(PaymentError::InvalidAmount);
    given::<Payment>([])
        .when(create(usd(-5)))
        .then_err(PaymentError::InvalidAmount);
}

#[test]
fn create_fails_above_ten_thousand() {
    given::<Payment>([])
        .when(create(usd(1_000_001)))
        .then_err(PaymentError::AmountTooLarge {
            max: usd(1_000_000),
        });
    given::<Payment>([])
        .when(create(usd(1_000_000)))
        .outcome()
        .unwrap();
}

// ---- RecordAuthorization, RecordDecline ----

#[test]
fn recording_an_authorization_holds_the_full_amount() {
    let state = given::<Payment>([created()])
        .when(authorization("AUTH-1"))
        .then([authorized()]);
    let s = state.state().unwrap();
    assert_eq!(
        (s.status, s.authorized),
        (PaymentStatus::Authorized, usd(42_998))
    );
    assert_eq!(s.card, Some(visa()));
}

#[test]
fn recording_the_authorization_again_is_a_no_op() {
    given::<Payment>([created(), authorized()])
        .when(authorization("AUTH-1"))
        .then_nothing();
    given::<Payment>([created(), authorized(), captured(42_998)])
        .when(authorization("AUTH-1"))
        .then_nothing();
    given::<Payment>([created(), authorized(), voided()])
        .when(authorization("AUTH-1"))
        .then_nothing();
}

#[test]
fn recording_an_authorization_fails_after_a_decline_or_another_authorization_ended() {
    given::<Payment>([created(), declined()])
        .when(authorization("AUTH-2"))
        .then_err(PaymentError::InvalidState {
            status: PaymentStatus::Declined,
        });
    given::<Payment>([created(), authorized(), voided()])
        .when(authorization("AUTH-2"))
        .then_err(PaymentError::InvalidState {
            status: PaymentStatus::Voided,
        });
    given::<Payment>([])
        .when(authorization("AUTH-1"))
        .then_err(PaymentError::NotFound);
}

#[test]
fn recording_a_decline_ends_the_payment() {
    let decline = RecordDecline {
        reason: "card_declined".into(),
        card: Some(visa()),
        at: at(1),
    };
    let state = given::<Payment>([created()])
        .when(decline)
        .then([declined()]);
    assert_eq!(
        state.state().unwrap().decline_reason.as_deref(),
        Some("card_declined")
    );
}

#[test]
fn recording_a_decline_again_is_a_no_op() {
    let decline = RecordDecline {
        reason: "card_declined".into(),
        card: None,
        at: at(2),
    };
    given::<Payment>([created(), declined()])
        .when(decline)
        .then_nothing();
}

#[test]
fn recording_a_decline_fails_once_authorized() {
    let decline = RecordDecline {
        reason: "card_declined".into(),
        card: None,
        at: at(2),
    };
    given::<Payment>([created(), authorized()])
        .when(decline.clone())
        .then_err(PaymentError::InvalidState {
            status: PaymentStatus::Authorized,
        });
    given::<Payment>([])
        .when(decline)
        .then_err(PaymentError::NotFound);
}

// ---- CapturePayment ----

#[test]
fn capturing_takes_the_authorized_amount_by_default() {
    let state = given::<Payment>([created(), authorized()])
        .when(capture(None))
        .then([captured(42_998)]);
    assert_eq!(state.status(), Some(PaymentStatus::Captured));
}

#[test]
fn capturing_part_of_the_authorization_is_allowed() {
    given::<Payment>([created(), authorized()])
        .when(capture(Some(usd(40_000))))
        .then([captured(40_000)]);
}

#[test]
fn capture_fails_above_the_authorized_amount() {
    given::<Payment>([created(), authorized()])
        .when(capture(Some(usd(42_999))))
        .then_err(PaymentError::CaptureExceedsAuthorized {
            authorized: usd(42_998),
        });
}

#[test]
fn capture_fails_for_nothing_or_another_currency() {
    given::<Payment>([created(), authorized()])
        .when(capture(Some(usd(0))))
        .then_err(PaymentError::InvalidAmount);
    given::<Payment>([created(), authorized()])
        .when(capture(Some(eur(100))))
        .then_err(PaymentError::CurrencyMismatch {
            expected: Currency::USD,
        });
}

#[test]
fn capturing_again_is_a_no_op() {
    given::<Payment>([created(), authorized(), captured(42_998)])
        .when(capture(None))
        .then_nothing();
    given::<Payment>([
        created(),
        authorized(),
        captured(42_998),
        refunded(42_998, 42_998),
    ])
    .when(capture(None))
    .then_nothing();
}

#[test]
fn capture_fails_unless_authorized() {
    for (history, status) in [
        (vec![], PaymentStatus::Created),
        (vec![declined()], PaymentStatus::Declined),
        (vec![authorized(), voided()], PaymentStatus::Voided),
    ] {
        given::<Payment>(std::iter::once(created()).chain(history))
            .when(capture(None))
            .then_err(PaymentError::InvalidState { status });
    }
    given::<Payment>([])
        .when(capture(None))
        .then_err(PaymentError::NotFound);
}

// ---- VoidPayment ----

#[test]
fn voiding_releases_the_authorization() {
    let state = given::<Payment>([created(), authorized()])
        .when(VoidPayment { at: at(2) })
        .then([voided()]);
    assert_eq!(state.status(), Some(PaymentStatus::Voided));
}

#[test]
fn voiding_again_is_a_no_op() {
    given::<Payment>([created(), authorized(), voided()])
        .when(VoidPayment { at: at(3) })
        .then_nothing();
}

#[test]
fn void_fails_once_captured() {
    given::<Payment>([created(), authorized(), captured(42_998)])
        .when(VoidPayment { at: at(3) })
        .then_err(PaymentError::AlreadyCaptured);
}

#[test]
fn void_fails_without_an_authorization() {
    given::<Payment>([created()])
        .when(VoidPayment { at: at(3) })
        .then_err(PaymentError::InvalidState {
            status: PaymentStatus::Created,
        });
    given::<Payment>([created(), declined()])
        .when(VoidPayment { at: at(3) })
        .then_err(PaymentError::InvalidState {
            status: PaymentStatus::Declined,
        });
    given::<Payment>([])
        .when(VoidPayment { at: at(3) })
        .then_err(PaymentError::NotFound);
}

// ---- RefundPayment ----

#[test]
fn refunding_returns_everything_captured_by_default() {
    let state = given::<Payment>([created(), authorized(), captured(40_000)])
        .when(refund(None))
        .then([refunded(40_000, 40_000)]);
    assert_eq!(state.status(), Some(PaymentStatus::Refunded));
}

#[test]
fn partial_refunds_add_up_to_what_was_captured() {
    let state = given::<Payment>([created(), authorized(), captured(40_000)])
        .when(refund(Some(usd(15_000))))
        .then([refunded(15_000, 15_000)]);
    assert_eq!(state.status(), Some(PaymentStatus::PartiallyRefunded));
    given::<Payment>([
        created(),
        authorized(),
        captured(40_000),
        refunded(15_000, 15_000),
    ])
    .when(refund(None))
    .then([refunded(25_000, 40_000)]);
}

#[test]
fn refund_fails_above_what_is_left() {
    given::<Payment>([
        created(),
        authorized(),
        captured(40_000),
        refunded(15_000, 15_000),
    ])
    .when(refund(Some(usd(25_001))))
    .then_err(PaymentError::RefundExceedsCaptured {
        remaining: usd(25_000),
    });
    given::<Payment>([
        created(),
        authorized(),
        captured(40_000),
        refunded(40_000, 40_000),
    ])
    .when(refund(Some(usd(1))))
    .then_err(PaymentError::RefundExceedsCaptured { remaining: usd(0) });
}

#[test]
fn refund_fails_for_nothing_or_another_currency() {
    given::<Payment>([created(), authorized(), captured(40_000)])
        .when(refund(Some(usd(0))))
        .then_err(PaymentError::InvalidAmount);
    given::<Payment>([created(), authorized(), captured(40_000)])
        .when(refund(Some(eur(10))))
        .then_err(PaymentError::CurrencyMismatch {
            expected: Currency::USD,
        });
}

#[test]
fn refunding_the_rest_of_a_fully_refunded_payment_is_a_no_op() {
    given::<Payment>([
        created(),
        authorized(),
        captured(40_000),
        refunded(40_000, 40_000),
    ])
    .when(refund(None))
    .then_nothing();
}

#[test]
fn refund_fails_unless_captured() {
    for (history, status) in [
        (vec![], PaymentStatus::Created),
        (vec![authorized()], PaymentStatus::Authorized),
        (vec![authorized(), voided()], PaymentStatus::Voided),
        (vec![declined()], PaymentStatus::Declined),
    ] {
        given::<Payment>(std::iter::once(created()).chain(history))
            .when(refund(None))
            .then_err(PaymentError::InvalidState { status });
    }
    given::<Payment>([])
        .when(refund(None))
        .then_err(PaymentError::NotFound);
}

// ---- errors, serde ----

#[test]
fn errors_have_stable_codes_and_name_their_field() {
    assert_eq!(PaymentError::InvalidAmount.field(), Some("amount"));
    assert_eq!(
        PaymentError::RefundExceedsCaptured { remaining: usd(1) }.code(),
        "refund_exceeds_captured"
    );
    assert_eq!(
        PaymentError::InvalidState {
            status: PaymentStatus::PartiallyRefunded
        }
        .to_string(),
        "the payment is partially_refunded"
    );
    assert_eq!(PaymentError::NotFound.field(), None);
}

#[test]
fn payment_statuses_serialize_in_snake_case() {
    assert_eq!(
        serde_json::to_value(PaymentStatus::PartiallyRefunded).unwrap(),
        "partially_refunded"
    );
}

#[test]
fn payment_events_round_trip_through_the_store() {
    for event in [
        created(),
        authorized(),
        declined(),
        captured(1),
        voided(),
        refunded(1, 1),
    ] {
        assert_round_trips(&event);
    }
    assert_round_trips(&PaymentEvent::PaymentDeclined {
        reason: "processing_error".into(),
        card: None,
        declined_at: at(1),
    });
    // Only the brand and the last four digits of a card are ever recorded.
    let json = serde_json::to_value(authorized()).unwrap();
    assert_eq!(
        json["payload"]["card"],
        serde_json::json!({ "brand": "visa", "last4": "4242" })
    );
}

// ---- more rules ----

#[test]
fn a_payment_may_be_in_any_currency_and_keeps_it() {
    let state =
        given::<Payment>([])
            .when(create(eur(1_000_000)))
            .then([PaymentEvent::PaymentCreated {
                payment_id: PaymentId(Uuid::from_u128(1)),
                booking_id: BookingId(Uuid::from_u128(2)),
                amount: eur(1_000_000),
                created_at: at(0),
            }]);
    let s = state.state().unwrap();
    assert_eq!(
        (s.amount, s.captured, s.refunded),
        (eur(1_000_000), eur(0), eur(0))
    );
    assert_eq!(
        (s.payment_id, s.booking_id),
        (PaymentId(Uuid::from_u128(1)), BookingId(Uuid::from_u128(2)))
    );
}

#[test]
fn create_fails_above_ten_thousand_in_the_payments_own_currency() {
    given::<Payment>([])
        .when(create(eur(1_000_001)))
        .then_err(PaymentError::AmountTooLarge {
            max: eur(MAX_PAYMENT_CENTS),
        });
}

#[test]
fn recording_an_authorization_fails_once_another_authorization_was_captured() {
    given::<Payment>([created(), authorized(), captured(42_998)])
        .when(authorization("AUTH-2"))
        .then_err(PaymentError::InvalidState {
            status: PaymentStatus::Captured,
        });
}

#[test]
fn recording_a_decline_fails_once_the_payment_moved_on() {
    let decline = RecordDecline {
        reason: "card_declined".into(),
        card: None,
        at: at(5),
    };
    for (history, status) in [
        (
            vec![authorized(), captured(42_998)],
            PaymentStatus::Captured,
        ),
        (vec![authorized(), voided()], PaymentStatus::Voided),
        (
            vec![authorized(), captured(42_998), refunded(42_998, 42_998)],
            PaymentStatus::Refunded,
        ),
    ] {
        given::<Payment>(std::iter::once(created()).chain(history))
            .when(decline.clone())
            .then_err(PaymentError::InvalidState { status });
    }
}

#[test]
fn a_decline_without_a_readable_card_keeps_no_card() {
    let state = given::<Payment>([created()])
        .when(RecordDecline {
            reason: "processing_error".into(),
            card: None,
            at: at(1),
        })
        .then([PaymentEvent::PaymentDeclined {
            reason: "processing_error".into(),
            card: None,
            declined_at: at(1),
        }]);
    assert_eq!(state.state().unwrap().card, None);
    assert_eq!(state.status(), Some(PaymentStatus::Declined));
}

#[test]
fn capturing_exactly_the_authorized_amount_is_allowed() {
    given::<Payment>([created(), authorized()])
        .when(capture(Some(usd(42_998))))
        .then([captured(42_998)]);
}

#[test]
fn capture_fails_for_a_negative_amount() {
    given::<Payment>([created(), authorized()])
        .when(capture(Some(usd(-1))))
        .then_err(PaymentError::InvalidAmount);
}

#[test]
fn capturing_a_partly_refunded_payment_again_is_a_no_op() {
    given::<Payment>([
        created(),
        authorized(),
        captured(42_998),
        refunded(1_000, 1_000),
    ])
    .when(capture(Some(usd(5))))
    .then_nothing();
}

#[test]
fn void_fails_once_captured_even_after_refunds() {
    for history in [vec![refunded(1_000, 1_000)], vec![refunded(42_998, 42_998)]] {
        given::<Payment>(
            [created(), authorized(), captured(42_998)]
                .into_iter()
                .chain(history),
        )
        .when(VoidPayment { at: at(4) })
        .then_err(PaymentError::AlreadyCaptured);
    }
}

#[test]
fn refunding_a_partial_capture_returns_only_what_was_captured() {
    let state = given::<Payment>([created(), authorized(), captured(30_000)])
        .when(refund(None))
        .then([refunded(30_000, 30_000)]);
    let s = state.state().unwrap();
    assert_eq!(
        (s.status, s.captured, s.refunded),
        (PaymentStatus::Refunded, usd(30_000), usd(30_000))
    );
}

#[test]
fn refunding_exactly_what_is_left_completes_the_refund() {
    let state = given::<Payment>([
        created(),
        authorized(),
        captured(40_000),
        refunded(15_000, 15_000),
    ])
    .when(refund(Some(usd(25_000))))
    .then([refunded(25_000, 40_000)]);
    assert_eq!(state.status(), Some(PaymentStatus::Refunded));
}

#[test]
fn refunding_a_fully_refunded_payment_by_amount_fails_with_nothing_left() {
    given::<Payment>([
        created(),
        authorized(),
        captured(40_000),
        refunded(40_000, 40_000),
    ])
    .when(refund(Some(usd(0))))
    .then_err(PaymentError::InvalidAmount);
}

#[test]
fn every_error_has_a_stable_code_and_names_its_field_when_it_is_about_one() {
    let cases = [
        (PaymentError::NotFound, "not_found", None),
        (PaymentError::AlreadyExists, "already_exists", None),
        (
            PaymentError::InvalidAmount,
            "invalid_amount",
            Some("amount"),
        ),
        (
            PaymentError::AmountTooLarge { max: usd(1) },
            "amount_too_large",
            Some("amount"),
        ),
        (
            PaymentError::CurrencyMismatch {
                expected: Currency::USD,
            },
            "currency_mismatch",
            Some("amount"),
        ),
        (
            PaymentError::InvalidState {
                status: PaymentStatus::Created,
            },
            "invalid_state",
            None,
        ),
        (
            PaymentError::CaptureExceedsAuthorized { authorized: usd(1) },
            "capture_exceeds_authorized",
            Some("amount"),
        ),
        (PaymentError::AlreadyCaptured, "already_captured", None),
        (
            PaymentError::RefundExceedsCaptured { remaining: usd(1) },
            "refund_exceeds_captured",
            Some("amount"),
        ),
    ];
    for (error, code, field) in cases {
        assert_eq!((error.code(), error.field()), (code, field), "{error:?}");
    }
}

#[test]
fn statuses_name_themselves_as_they_serialize() {
    for status in [
        PaymentStatus::Created,
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
        PaymentStatus::Voided,
        PaymentStatus::Declined,
    ] {
        assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        assert_eq!(status.to_string(), status.as_str());
    }
}

#[test]
fn event_types_are_the_variant_names() {
    let names: Vec<_> = [
        created(),
        authorized(),
        declined(),
        captured(1),
        voided(),
        refunded(1, 1),
    ]
    .iter()
    .map(crate::aggregate::DomainEvent::event_type)
    .collect();
    assert_eq!(
        names,
        [
            "PaymentCreated",
            "PaymentAuthorized",
            "PaymentDeclined",
            "PaymentCaptured",
            "PaymentVoided",
            "PaymentRefunded"
        ]
    );
    let json = serde_json::to_value(refunded(1, 1)).unwrap();
    assert_eq!(json["payload"]["refunded_at"], serde_json::json!(at(3)));
}

// ---- the invariant ----

/// The payment property's draws, on the crate's test generator.
impl Rng {
    /// An amount around `scale`: sometimes zero, negative, exact or too much, sometimes omitted.
    fn amount(&mut self, scale: i64) -> Option<Money> {
        match self.below(10) {
            0 => None,
            1 => Some(usd(0)),
            2 => Some(usd(-1)),
            3 => Some(eur(scale.max(1))),
            4 => Some(usd(scale)),
            5 => Some(usd(scale + 1)),
            _ => Some(usd(1 + self.below(scale.max(1) as u64 * 2) as i64)),
        }
    }
}

#[test]
fn captured_never_exceeds_authorized_and_refunded_never_exceeds_captured() {
    use crate::aggregate::Aggregate;
    let mut rng = Rng(0x9a7e_0000_5eed_0002);
    let (mut accepted, mut refused, mut refunds) = (0, 0, 0);
    for run in 0..1_000 {
        let mut payment = Payment::default();
        for step in 0..16 {
            let now = at(run * 100 + step);
            let (authorized, captured) = payment.state().map_or((1, 1), |s| {
                (s.authorized.amount.max(1), s.captured.amount.max(1))
            });
            let pick = if step == 0 { 0 } else { rng.below(16) };
            let command: PaymentCommand = match pick {
                0 => create(rng.amount(50_000).unwrap_or(usd(42_998))).into(),
                1 | 2 => authorization(if rng.below(2) == 0 {
                    "AUTH-1"
                } else {
                    "AUTH-2"
                })
                .into(),
                3 => RecordDecline {
                    reason: "card_declined".into(),
                    card: None,
                    at: now,
                }
                .into(),
                4..=7 => CapturePayment {
                    amount: rng.amount(authorized),
                    at: now,
                }
                .into(),
                8 => VoidPayment { at: now }.into(),
                _ => RefundPayment {
                    amount: rng.amount(captured / 3),
                    at: now,
                }
                .into(),
            };
            match payment.decide(&command) {
                Ok(events) => {
                    accepted += 1;
                    for event in &events {
                        refunds +=
                            usize::from(matches!(event, PaymentEvent::PaymentRefunded { .. }));
                        payment.evolve(event);
                    }
                }
                Err(_) => refused += 1,
            }
            if let Some(s) = payment.state() {
                let currency = s.amount.currency;
                assert!(
                    [s.authorized, s.captured, s.refunded]
                        .iter()
                        .all(|m| m.currency == currency),
                    "currencies mixed after {command:?}: {s:?}"
                );
                assert!(
                    s.authorized.amount <= s.amount.amount,
                    "authorized more than asked: {s:?}"
                );
                assert!(0 <= s.refunded.amount, "negative refund: {s:?}");
                assert!(
                    s.refunded.amount <= s.captured.amount,
                    "refunded more than captured: {s:?}"
                );
                assert!(
                    s.captured.amount <= s.authorized.amount,
                    "captured more than authorized: {s:?}"
                );
                let refunded_in_full =
                    s.captured.amount > 0 && s.refunded.amount == s.captured.amount;
                assert_eq!(
                    s.status == PaymentStatus::Refunded,
                    refunded_in_full,
                    "{s:?}"
                );
            }
        }
    }
    assert!(
        accepted > 3_000 && refused > 3_000 && refunds > 300,
        "accepted {accepted}, refused {refused}, refunds {refunds}"
    );
}
