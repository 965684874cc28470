//! The payment use cases on the in-memory stores, with the built-in card processor.

use super::*;
use crate::testing::{TestApplication, staff_call, start};
use crate::{RefusalKind, UseCaseError};
use skyfly_domain::ids::BookingId;
use skyfly_domain::money::Money;
use skyfly_domain::payment::{PaymentEvent, PaymentStatus};

fn card(number: &str) -> CardInput {
    CardInput {
        number: number.into(),
        exp_month: 12,
        exp_year: 2030,
        cvc: "123".into(),
    }
}

fn intent_of(amount: i64) -> CreateIntent {
    CreateIntent {
        booking_id: BookingId(uuid::Uuid::from_u128(1)),
        amount: Money::usd(amount),
    }
}

async fn created(t: &TestApplication, amount: i64) -> PaymentId {
    create_intent(&t.app, &staff_call(), intent_of(amount))
        .await
        .unwrap()
        .payment_id
}

async fn authorized(t: &TestApplication, amount: i64) -> PaymentId {
    let payment_id = created(t, amount).await;
    let command = Authorize {
        payment_id,
        card: card("4242 4242 4242 4242"),
    };
    let outcome = authorize(&t.app, &staff_call(), command).await.unwrap();
    assert!(matches!(outcome, Authorized::Approved(_)), "{outcome:?}");
    payment_id
}

async fn status(t: &TestApplication, id: PaymentId) -> (PaymentStatus, u64) {
    let (payment, version) = t.app.bus.load::<Payment>(id).await.unwrap();
    (payment.state().unwrap().status, version)
}

#[tokio::test]
async fn an_intent_records_a_payment_named_by_its_command() {
    let t = TestApplication::new();
    let call = staff_call();
    let intent = create_intent(&t.app, &call, intent_of(5_000))
        .await
        .unwrap();
    assert_eq!(intent.payment_id, payment_id_for(call.command_id));
    assert_eq!(intent.version, 1);
    let again = create_intent(&t.app, &call, intent_of(5_000))
        .await
        .unwrap();
    assert_eq!(
        again.payment_id, intent.payment_id,
        "a retry names the same payment"
    );
    let events = t
        .app
        .bus
        .store()
        .read_stream(
            &skyfly_domain::aggregate::stream_id::<Payment>(intent.payment_id),
            0,
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "a retry records nothing: {events:?}");
    assert_eq!(events[0].event_type, "PaymentCreated");
}

#[tokio::test]
async fn an_intent_over_the_card_limit_is_refused_naming_the_amount() {
    let t = TestApplication::new();
    let e = create_intent(&t.app, &staff_call(), intent_of(1_000_001))
        .await
        .unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!((r.code, r.kind), ("amount_too_large", RefusalKind::Invalid));
            assert_eq!(r.field.as_deref(), Some("amount"));
        }
        other => panic!("expected amount_too_large, got {other:?}"),
    }
}

#[tokio::test]
async fn an_approved_card_authorizes_and_a_second_authorization_asks_nothing() {
    let t = TestApplication::new();
    let id = authorized(&t, 5_000).await;
    assert_eq!(status(&t, id).await, (PaymentStatus::Authorized, 2));
    // Already decided: even a malformed card is not looked at, and nothing is recorded.
    let again = Authorize {
        payment_id: id,
        card: card("1"),
    };
    match authorize(&t.app, &staff_call(), again).await.unwrap() {
        Authorized::AlreadyDecided { version, .. } => assert_eq!(version, 2),
        other => panic!("expected the earlier decision, got {other:?}"),
    }
}

#[tokio::test]
async fn a_declined_card_records_the_decline() {
    let t = TestApplication::new();
    let payment_id = created(&t, 5_000).await;
    let command = Authorize {
        payment_id,
        card: card("4000000000000002"),
    };
    match authorize(&t.app, &staff_call(), command).await.unwrap() {
        Authorized::Declined { reason, done } => {
            assert_eq!(reason, "card_declined");
            let [PaymentEvent::PaymentDeclined { reason, .. }] = &done.events[..] else {
                panic!("expected one decline, got {:?}", done.events);
            };
            assert_eq!(reason, "card_declined");
        }
        other => panic!("expected a decline, got {other:?}"),
    }
    assert_eq!(status(&t, payment_id).await, (PaymentStatus::Declined, 2));
}

#[tokio::test]
async fn a_processor_failure_records_nothing_and_may_be_retried() {
    let t = TestApplication::new();
    let payment_id = created(&t, 5_000).await;
    let command = Authorize {
        payment_id,
        card: card("4000000000000119"),
    };
    let e = authorize(&t.app, &staff_call(), command).await.unwrap_err();
    assert!(
        matches!(e, UseCaseError::ProviderFailed { ref reason } if reason == "processing_error"),
        "{e:?}"
    );
    assert!(e.is_failure());
    assert_eq!(status(&t, payment_id).await, (PaymentStatus::Created, 1));
    let retry = Authorize {
        payment_id,
        card: card("4242424242424242"),
    };
    let outcome = authorize(&t.app, &staff_call(), retry).await.unwrap();
    assert!(matches!(outcome, Authorized::Approved(_)), "{outcome:?}");
}

#[tokio::test]
async fn a_malformed_card_is_refused_naming_its_field() {
    let t = TestApplication::new();
    let payment_id = created(&t, 5_000).await;
    for (card, field) in [
        (card("4242424242424241"), "card_number"),
        (
            CardInput {
                exp_month: 13,
                ..card("4242424242424242")
            },
            "exp_month",
        ),
        (
            CardInput {
                cvc: "12".into(),
                ..card("4242424242424242")
            },
            "cvc",
        ),
    ] {
        let command = Authorize { payment_id, card };
        let e = authorize(&t.app, &staff_call(), command).await.unwrap_err();
        let UseCaseError::Invalid {
            field: named, code, ..
        } = &e
        else {
            panic!("expected invalid_card, got {e:?}");
        };
        assert_eq!((named.as_str(), *code), (field, "invalid_card"));
    }
    assert_eq!(status(&t, payment_id).await, (PaymentStatus::Created, 1));
}

#[tokio::test]
async fn authorizing_a_payment_that_does_not_exist_is_not_found() {
    let t = TestApplication::new();
    let command = Authorize {
        payment_id: PaymentId(uuid::Uuid::from_u128(99)),
        card: card("4242424242424242"),
    };
    let e = authorize(&t.app, &staff_call(), command).await.unwrap_err();
    assert!(matches!(e, UseCaseError::NotFound("payment")), "{e:?}");
}

#[tokio::test]
async fn capturing_takes_the_authorized_amount() {
    let t = TestApplication::new();
    let payment_id = authorized(&t, 5_000).await;
    let command = Capture {
        payment_id,
        amount: None,
    };
    let done = capture(&t.app, &staff_call(), command).await.unwrap();
    assert_eq!(
        done.events,
        [PaymentEvent::PaymentCaptured {
            amount: Money::usd(5_000),
            captured_at: start(),
        }]
    );
    assert_eq!(done.state.state().unwrap().status, PaymentStatus::Captured);
}

#[tokio::test]
async fn capturing_a_payment_not_authorized_is_refused_with_invalid_state() {
    let t = TestApplication::new();
    let payment_id = created(&t, 5_000).await;
    let command = Capture {
        payment_id,
        amount: None,
    };
    let e = capture(&t.app, &staff_call(), command).await.unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!((r.code, r.kind), ("invalid_state", RefusalKind::Conflict));
        }
        other => panic!("expected invalid_state, got {other:?}"),
    }
    assert_eq!(status(&t, payment_id).await, (PaymentStatus::Created, 1));
}

#[tokio::test]
async fn voiding_releases_an_authorization() {
    let t = TestApplication::new();
    let payment_id = authorized(&t, 5_000).await;
    let done = void(&t.app, &staff_call(), Void { payment_id })
        .await
        .unwrap();
    assert_eq!(
        done.events,
        [PaymentEvent::PaymentVoided { voided_at: start() }]
    );
    assert_eq!(status(&t, payment_id).await, (PaymentStatus::Voided, 3));
}

#[tokio::test]
async fn voiding_a_payment_that_does_not_exist_is_not_found() {
    let t = TestApplication::new();
    let payment_id = PaymentId(uuid::Uuid::from_u128(99));
    let e = void(&t.app, &staff_call(), Void { payment_id })
        .await
        .unwrap_err();
    assert!(matches!(e, UseCaseError::NotFound("payment")), "{e:?}");
}

#[tokio::test]
async fn refunding_gives_back_part_of_a_capture() {
    let t = TestApplication::new();
    let payment_id = authorized(&t, 5_000).await;
    let capturing = Capture {
        payment_id,
        amount: None,
    };
    capture(&t.app, &staff_call(), capturing).await.unwrap();
    let command = Refund {
        payment_id,
        amount: Some(Money::usd(2_000)),
    };
    let done = refund(&t.app, &staff_call(), command).await.unwrap();
    assert_eq!(
        done.events,
        [PaymentEvent::PaymentRefunded {
            amount: Money::usd(2_000),
            refunded_total: Money::usd(2_000),
            refunded_at: start(),
        }]
    );
    assert_eq!(
        done.state.state().unwrap().status,
        PaymentStatus::PartiallyRefunded
    );
}

#[tokio::test]
async fn refunding_more_than_was_captured_is_refused_naming_the_amount() {
    let t = TestApplication::new();
    let payment_id = authorized(&t, 5_000).await;
    let capturing = Capture {
        payment_id,
        amount: None,
    };
    capture(&t.app, &staff_call(), capturing).await.unwrap();
    let command = Refund {
        payment_id,
        amount: Some(Money::usd(5_001)),
    };
    let e = refund(&t.app, &staff_call(), command).await.unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!(r.code, "refund_exceeds_captured");
            assert_eq!(r.field.as_deref(), Some("amount"));
        }
        other => panic!("expected refund_exceeds_captured, got {other:?}"),
    }
    assert_eq!(status(&t, payment_id).await, (PaymentStatus::Captured, 3));
}

#[test]
fn a_card_is_never_shown_whole() {
    assert_eq!(
        format!("{:?}", card("4242 4242 4242 4242")),
        "CardInput(**** 4242)"
    );
}
