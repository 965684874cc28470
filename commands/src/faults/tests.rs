//! The fault injection use cases on the in-memory stores.

use super::*;
use crate::testing::{TestApplication, staff_call, start};
use crate::{RefusalKind, UseCaseError};
use skyfly_domain::booking::SagaStep;
use skyfly_domain::faults::{BOARD_ID, FaultBoard, FaultEvent, FaultMode};

fn failing_twice() -> Arm {
    Arm::parse(
        SagaStep::AuthorizePayment,
        FaultKind::Fail,
        Some(2),
        None,
        None,
    )
    .unwrap()
}

fn invalid_field(e: &UseCaseError) -> (&str, &'static str) {
    match e {
        UseCaseError::Invalid { field, code, .. } => (field.as_str(), code),
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

#[tokio::test]
async fn arming_a_fault_records_it_under_an_id_derived_from_the_command() {
    let t = TestApplication::new();
    let call = staff_call();
    let armed = arm(&t.app, &call, failing_twice()).await.unwrap();
    assert_eq!(armed.fault.fault_id, fault_id_for(call.command_id));
    assert_eq!(armed.fault.step, SagaStep::AuthorizePayment);
    assert!(armed.fault.is_active());
    assert_eq!((armed.version, armed.fault.remaining()), (1, Some(2)));
    let listed = list(&t.app).await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&armed.fault));
    // A retry of the same command arms nothing more.
    let again = arm(&t.app, &call, failing_twice()).await.unwrap();
    assert_eq!(
        (again.fault.fault_id, again.version),
        (armed.fault.fault_id, 1)
    );
}

#[tokio::test]
async fn a_delay_beyond_a_minute_is_refused_by_the_board() {
    let t = TestApplication::new();
    let command = Arm::parse(
        SagaStep::ReserveSeats,
        FaultKind::Delay,
        None,
        None,
        Some(60_001),
    )
    .unwrap();
    let e = arm(&t.app, &staff_call(), command).await.unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!((r.code, r.kind), ("invalid_delay", RefusalKind::Invalid));
            assert_eq!(r.field.as_deref(), Some("delay_ms"));
        }
        other => panic!("expected invalid_delay, got {other:?}"),
    }
    assert!(list(&t.app).await.unwrap().is_empty(), "nothing armed");
}

#[test]
fn the_fields_of_the_other_mode_are_refused_naming_them() {
    let fail = |count, probability, delay| {
        Arm::parse(
            SagaStep::AwardMiles,
            FaultKind::Fail,
            count,
            probability,
            delay,
        )
    };
    let delay = |count, probability, delay| {
        Arm::parse(
            SagaStep::AwardMiles,
            FaultKind::Delay,
            count,
            probability,
            delay,
        )
    };
    let e = fail(None, None, Some(10)).unwrap_err();
    assert_eq!(invalid_field(&e), ("delay_ms", "invalid_field"));
    let e = fail(None, Some(1.5), None).unwrap_err();
    assert_eq!(invalid_field(&e), ("probability", "invalid_probability"));
    let e = delay(Some(1), None, Some(10)).unwrap_err();
    assert_eq!(invalid_field(&e), ("mode", "invalid_field"));
    let e = delay(None, None, None).unwrap_err();
    assert_eq!(invalid_field(&e), ("delay_ms", "missing_field"));
    let ok = fail(None, Some(0.25), None).unwrap();
    assert_eq!(
        ok.mode,
        FaultMode::Fail {
            count: None,
            per_mille: Some(250)
        }
    );
}

#[tokio::test]
async fn disarming_a_fault_records_when_it_stopped() {
    let t = TestApplication::new();
    let armed = arm(&t.app, &staff_call(), failing_twice()).await.unwrap();
    let fault_id = armed.fault.fault_id;
    let done = disarm(&t.app, &staff_call(), Disarm { fault_id })
        .await
        .unwrap();
    assert_eq!(
        done.events,
        [FaultEvent::FaultDisarmed {
            fault_id,
            disarmed_at: start(),
        }]
    );
    let (board, version) = t.app.bus.load::<FaultBoard>(BOARD_ID).await.unwrap();
    assert_eq!(version, 2);
    assert!(!board.fault(fault_id).unwrap().is_active());
}

#[tokio::test]
async fn disarming_a_fault_never_armed_is_not_found() {
    let t = TestApplication::new();
    let fault_id = uuid::Uuid::from_u128(5);
    let e = disarm(&t.app, &staff_call(), Disarm { fault_id })
        .await
        .unwrap_err();
    assert!(matches!(e, UseCaseError::NotFound("fault")), "{e:?}");
}
