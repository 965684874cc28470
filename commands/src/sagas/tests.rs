//! Retrying parked compensations, on the in-memory stores.

use super::*;
use crate::testing::{TestApplication, flight_id, staff_call};
use crate::{Envelope, RefusalKind, UseCaseError};
use chrono::Duration;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::{BookingId, LoyaltyAccountId, PaymentId, UserId};
use skyfly_domain::money::Money;
use skyfly_domain::saga::{
    BookingSaga, DEFAULT_MAX_PROVIDER_RETRIES, DEFAULT_STEP_TIMEOUT_SECS, ForwardStep,
    RecordCompensationFailed, RecordStepFailed, RecordStepStarted, RecordStepSucceeded, SagaAction,
    SagaCommand, SagaEvent, SagaStatus, StartSaga,
};
use uuid::Uuid;

fn saga_id() -> BookingId {
    BookingId(Uuid::from_u128(42))
}

async fn record(t: &TestApplication, command: impl Into<SagaCommand>) {
    let envelope = Envelope::new(command.into(), staff_call().metadata());
    t.app
        .bus
        .execute::<BookingSaga>(saga_id(), envelope)
        .await
        .unwrap();
}

/// A saga for two economy seats, paid by card.
async fn started(t: &TestApplication) {
    let customer = UserId(Uuid::from_u128(7));
    let start = StartSaga {
        booking_id: saga_id(),
        customer,
        flight_id: flight_id(),
        cabin: Cabin::Economy,
        seats: 2,
        payment_id: PaymentId(Uuid::from_u128(9)),
        account_id: LoyaltyAccountId::for_user(customer),
        card_amount: Money::usd(21_500),
        accrual_fare: Money::usd(20_000),
        redeem_miles: 0,
        payment_token: "tok_visa_4242".into(),
        step_timeout_secs: DEFAULT_STEP_TIMEOUT_SECS,
        max_provider_retries: DEFAULT_MAX_PROVIDER_RETRIES,
        at: t.app.now(),
    };
    record(t, start).await;
}

async fn status(t: &TestApplication) -> Option<SagaStatus> {
    let (saga, _) = t.app.bus.load::<BookingSaga>(saga_id()).await.unwrap();
    saga.status()
}

/// Drives the saga as a process manager would: the seats are reserved, the next step fails for
/// good, and every compensation keeps failing until one is parked.
async fn parked(t: &TestApplication) {
    started(t).await;
    for _ in 0..100 {
        let now = t.clock.advance(Duration::seconds(61));
        let (saga, _) = t.app.bus.load::<BookingSaga>(saga_id()).await.unwrap();
        if saga.status() == Some(SagaStatus::Parked) {
            return;
        }
        let action = saga
            .next_actions(now)
            .into_iter()
            .find(|a| !matches!(a, SagaAction::WaitUntil(_)));
        match action {
            Some(SagaAction::Run { step, attempt }) => {
                record(
                    t,
                    RecordStepStarted {
                        step,
                        attempt,
                        at: now,
                    },
                )
                .await;
                if step == ForwardStep::ReserveSeats {
                    record(
                        t,
                        RecordStepSucceeded {
                            step,
                            attempt,
                            at: now,
                        },
                    )
                    .await;
                } else {
                    let failed = RecordStepFailed {
                        step,
                        attempt,
                        reason: "card_declined".into(),
                        retryable: false,
                        at: now,
                    };
                    record(t, failed).await;
                }
            }
            Some(SagaAction::Compensate {
                compensation,
                attempt,
            }) => {
                let failed = RecordCompensationFailed {
                    compensation,
                    attempt,
                    reason: "inventory_unavailable".into(),
                    at: now,
                };
                record(t, failed).await;
            }
            other => panic!("a saga on its way to parking does not {other:?}"),
        }
    }
    panic!("the saga never parked");
}

#[tokio::test]
async fn retrying_a_parked_saga_makes_its_compensations_pending_again() {
    let t = TestApplication::new();
    parked(&t).await;
    let command = RetryParkedItems { saga_id: saga_id() };
    let done = retry(&t.app, &staff_call(), command).await.unwrap();
    assert_eq!(done.events, [SagaEvent::ParkedRetried { at: t.app.now() }]);
    assert_eq!(status(&t).await, Some(SagaStatus::Compensating));
}

#[tokio::test]
async fn retrying_a_saga_with_nothing_parked_is_a_conflict() {
    let t = TestApplication::new();
    started(&t).await;
    let (_, before) = t.app.bus.load::<BookingSaga>(saga_id()).await.unwrap();
    let command = RetryParkedItems { saga_id: saga_id() };
    let e = retry(&t.app, &staff_call(), command).await.unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!((r.code, r.kind), ("nothing_parked", RefusalKind::Conflict));
            assert_eq!(r.field, None);
        }
        other => panic!("expected nothing_parked, got {other:?}"),
    }
    let (_, after) = t.app.bus.load::<BookingSaga>(saga_id()).await.unwrap();
    assert_eq!(after, before, "nothing recorded");
}

#[tokio::test]
async fn retrying_a_saga_that_does_not_exist_is_not_found() {
    let t = TestApplication::new();
    let command = RetryParkedItems { saga_id: saga_id() };
    let e = retry(&t.app, &staff_call(), command).await.unwrap_err();
    assert!(matches!(e, UseCaseError::NotFound("saga")), "{e:?}");
}
