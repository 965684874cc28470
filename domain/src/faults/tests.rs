use super::*;
use crate::testing::{assert_round_trips, given};
use chrono::TimeZone;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn booking(n: u128) -> BookingId {
    BookingId(Uuid::from_u128(1000 + n))
}

fn arm(n: u128, step: SagaStep, mode: FaultMode) -> ArmFault {
    ArmFault {
        fault_id: id(n),
        step,
        mode,
        at: at(0),
    }
}

fn armed(n: u128, step: SagaStep, mode: FaultMode) -> FaultEvent {
    FaultEvent::FaultArmed {
        fault_id: id(n),
        step,
        mode,
        armed_at: at(0),
    }
}

const FAIL_TWICE: FaultMode = FaultMode::Fail {
    count: Some(2),
    per_mille: None,
};

#[test]
fn arming_a_fault_records_it() {
    given::<FaultBoard>([])
        .when(arm(1, SagaStep::AuthorizePayment, FAIL_TWICE))
        .then([armed(1, SagaStep::AuthorizePayment, FAIL_TWICE)]);
}

#[test]
fn arming_refuses_nonsense_and_names_the_field() {
    for (mode, err) in [
        (FaultMode::Delay { delay_ms: 0 }, FaultError::InvalidDelay),
        (
            FaultMode::Delay { delay_ms: 60_001 },
            FaultError::InvalidDelay,
        ),
        (
            FaultMode::Fail {
                count: Some(0),
                per_mille: None,
            },
            FaultError::InvalidCount,
        ),
        (
            FaultMode::Fail {
                count: None,
                per_mille: Some(1001),
            },
            FaultError::InvalidProbability,
        ),
    ] {
        assert!(err.field().is_some());
        given::<FaultBoard>([])
            .when(arm(1, SagaStep::ReserveSeats, mode))
            .then_err(err);
    }
}

#[test]
fn arming_the_same_fault_twice_is_a_no_op_but_reusing_its_id_is_refused() {
    given::<FaultBoard>([armed(1, SagaStep::ReserveSeats, FAIL_TWICE)])
        .when(arm(1, SagaStep::ReserveSeats, FAIL_TWICE))
        .then_nothing();
    given::<FaultBoard>([armed(1, SagaStep::ReserveSeats, FAIL_TWICE)])
        .when(arm(1, SagaStep::AwardMiles, FAIL_TWICE))
        .then_err(FaultError::AlreadyArmed);
}

#[test]
fn a_counted_fault_fails_exactly_count_commands_then_stops() {
    let board = given::<FaultBoard>([armed(1, SagaStep::AuthorizePayment, FAIL_TWICE)])
        .when(TriggerFault {
            fault_id: id(1),
            booking_id: booking(1),
            at: at(1),
        })
        .then([FaultEvent::FaultTriggered {
            fault_id: id(1),
            step: SagaStep::AuthorizePayment,
            booking_id: booking(1),
            triggered_at: at(1),
        }]);
    assert_eq!(
        board.effects(SagaStep::AuthorizePayment, 999),
        vec![FaultEffect::Fail { fault_id: id(1) }]
    );
    assert_eq!(board.fault(id(1)).unwrap().remaining(), Some(1));
    let events = [
        armed(1, SagaStep::AuthorizePayment, FAIL_TWICE),
        FaultEvent::FaultTriggered {
            fault_id: id(1),
            step: SagaStep::AuthorizePayment,
            booking_id: booking(1),
            triggered_at: at(1),
        },
        FaultEvent::FaultTriggered {
            fault_id: id(1),
            step: SagaStep::AuthorizePayment,
            booking_id: booking(2),
            triggered_at: at(2),
        },
    ];
    given::<FaultBoard>(events.clone())
        .when(TriggerFault {
            fault_id: id(1),
            booking_id: booking(3),
            at: at(3),
        })
        .then_err(FaultError::NotArmed);
    let board = crate::aggregate::fold::<FaultBoard>(events.iter());
    assert!(
        board.effects(SagaStep::AuthorizePayment, 0).is_empty(),
        "used up"
    );
    assert!(!board.fault(id(1)).unwrap().is_active());
}

#[test]
fn faults_apply_only_to_their_step() {
    let board =
        crate::aggregate::fold::<FaultBoard>([armed(1, SagaStep::AwardMiles, FAIL_TWICE)].iter());
    assert!(board.effects(SagaStep::ReserveSeats, 0).is_empty());
    assert_eq!(board.effects(SagaStep::AwardMiles, 0).len(), 1);
}

#[test]
fn a_probabilistic_fault_fires_below_its_probability_only() {
    let mode = FaultMode::Fail {
        count: None,
        per_mille: Some(250),
    };
    let board =
        crate::aggregate::fold::<FaultBoard>([armed(1, SagaStep::ConfirmBooking, mode)].iter());
    assert_eq!(board.effects(SagaStep::ConfirmBooking, 249).len(), 1);
    assert!(board.effects(SagaStep::ConfirmBooking, 250).is_empty());
    // Over many sagas the rate is close to the probability, and each roll is reproducible.
    let fired = (0..4000u128)
        .filter(|n| roll(booking(*n), SagaStep::ConfirmBooking, 1) < 250)
        .count();
    assert!((850..1150).contains(&fired), "{fired} of 4000");
    assert_eq!(
        roll(booking(7), SagaStep::ConfirmBooking, 1),
        roll(booking(7), SagaStep::ConfirmBooking, 1)
    );
}

#[test]
fn delays_add_up_and_only_one_failing_fault_fires() {
    let events = [
        armed(
            1,
            SagaStep::ReserveSeats,
            FaultMode::Delay { delay_ms: 100 },
        ),
        armed(2, SagaStep::ReserveSeats, FAIL_TWICE),
        armed(
            3,
            SagaStep::ReserveSeats,
            FaultMode::Fail {
                count: None,
                per_mille: None,
            },
        ),
        armed(4, SagaStep::ReserveSeats, FaultMode::Delay { delay_ms: 50 }),
    ];
    let board = crate::aggregate::fold::<FaultBoard>(events.iter());
    let effects = board.effects(SagaStep::ReserveSeats, 0);
    assert_eq!(
        effects
            .iter()
            .filter(|e| matches!(e, FaultEffect::Fail { .. }))
            .count(),
        1
    );
    let delay: u32 = effects
        .iter()
        .map(|e| {
            if let FaultEffect::Delay { delay_ms } = e {
                *delay_ms
            } else {
                0
            }
        })
        .sum();
    assert_eq!(delay, 150);
}

#[test]
fn disarming_stops_a_fault_and_is_idempotent() {
    let board = given::<FaultBoard>([armed(1, SagaStep::ReserveSeats, FAIL_TWICE)])
        .when(DisarmFault {
            fault_id: id(1),
            at: at(5),
        })
        .then([FaultEvent::FaultDisarmed {
            fault_id: id(1),
            disarmed_at: at(5),
        }]);
    assert!(board.effects(SagaStep::ReserveSeats, 0).is_empty());
    given::<FaultBoard>([
        armed(1, SagaStep::ReserveSeats, FAIL_TWICE),
        FaultEvent::FaultDisarmed {
            fault_id: id(1),
            disarmed_at: at(5),
        },
    ])
    .when(DisarmFault {
        fault_id: id(1),
        at: at(6),
    })
    .then_nothing();
    given::<FaultBoard>([])
        .when(DisarmFault {
            fault_id: id(9),
            at: at(6),
        })
        .then_err(FaultError::NotFound);
    given::<FaultBoard>([])
        .when(TriggerFault {
            fault_id: id(9),
            booking_id: booking(1),
            at: at(6),
        })
        .then_err(FaultError::NotFound);
}

#[test]
fn fault_events_round_trip() {
    assert_round_trips(&armed(
        1,
        SagaStep::RedeemMiles,
        FaultMode::Fail {
            count: None,
            per_mille: Some(500),
        },
    ));
    assert_round_trips(&armed(
        2,
        SagaStep::RedeemMiles,
        FaultMode::Delay { delay_ms: 10 },
    ));
    assert_round_trips(&FaultEvent::FaultTriggered {
        fault_id: id(1),
        step: SagaStep::RedeemMiles,
        booking_id: booking(1),
        triggered_at: at(1),
    });
    assert_round_trips(&FaultEvent::FaultDisarmed {
        fault_id: id(1),
        disarmed_at: at(2),
    });
}
