//! Given/when/then tests of the flight inventory.

use super::*;
use crate::cabin::Cabin;
use crate::ids::{BookingId, FlightId};
use crate::money::Money;
use crate::place::Iata;
use crate::testing::{Rng, assert_round_trips, given};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
}

/// Departure, in minutes from `at(0)`.
const DEPARTS: i64 = 10 * 24 * 60;

fn flight() -> FlightId {
    FlightId::parse("SF100-2027-01-15").unwrap()
}

fn booking(n: u128) -> BookingId {
    BookingId(Uuid::from_u128(n))
}

fn iata(code: &str) -> Iata {
    Iata::parse(code).unwrap()
}

fn cabins() -> BTreeMap<Cabin, CabinSpec> {
    BTreeMap::from([
        (
            Cabin::Economy,
            CabinSpec {
                capacity: 10,
                fare: Money::usd(19_999),
            },
        ),
        (
            Cabin::Business,
            CabinSpec {
                capacity: 2,
                fare: Money::usd(89_900),
            },
        ),
    ])
}

fn schedule_cmd() -> ScheduleFlight {
    ScheduleFlight {
        flight_id: flight(),
        origin: iata("AUS"),
        destination: iata("JFK"),
        departure: at(DEPARTS),
        arrival: at(DEPARTS + 240),
        cabins: cabins(),
    }
}

fn scheduled() -> InventoryEvent {
    InventoryEvent::FlightScheduled {
        flight_id: flight(),
        flight_number: flight().number().clone(),
        origin: iata("AUS"),
        destination: iata("JFK"),
        departure: at(DEPARTS),
        arrival: at(DEPARTS + 240),
        cabins: cabins(),
    }
}

fn reserve(b: u128, cabin: Cabin, seats: u32) -> ReserveSeats {
    ReserveSeats {
        booking_id: booking(b),
        cabin,
        seats,
        now: at(0),
        hold_until: at(15),
    }
}

fn reserved(b: u128, cabin: Cabin, seats: u32) -> InventoryEvent {
    InventoryEvent::SeatsReserved {
        booking_id: booking(b),
        cabin,
        seats,
        expires_at: at(15),
    }
}

fn committed(b: u128, cabin: Cabin, seats: u32) -> InventoryEvent {
    InventoryEvent::SeatsCommitted {
        booking_id: booking(b),
        cabin,
        seats,
    }
}

fn released(
    b: u128,
    cabin: Cabin,
    seats: u32,
    was: SeatState,
    reason: ReleaseReason,
) -> InventoryEvent {
    InventoryEvent::SeatsReleased {
        booking_id: booking(b),
        cabin,
        seats,
        was,
        reason,
    }
}

// ---- ScheduleFlight ----

#[test]
fn scheduling_a_flight_puts_every_seat_on_sale() {
    let state = given::<FlightInventory>([])
        .when(schedule_cmd())
        .then([scheduled()]);
    let economy = state.cabin(Cabin::Economy).unwrap();
    assert_eq!(
        (
            economy.capacity,
            economy.available,
            economy.held,
            economy.sold
        ),
        (10, 10, 0, 0)
    );
    assert_eq!(economy.fare, Money::usd(19_999));
    assert_eq!(state.schedule().unwrap().flight_number.as_str(), "SF100");
    assert!(state.cabin(Cabin::First).is_none());
}

#[test]
fn schedule_fails_when_the_flight_is_already_scheduled() {
    given::<FlightInventory>([scheduled()])
        .when(schedule_cmd())
        .then_err(InventoryError::AlreadyScheduled);
}

#[test]
fn schedule_fails_when_origin_and_destination_are_the_same() {
    let cmd = ScheduleFlight {
        destination: iata("AUS"),
        ..schedule_cmd()
    };
    given::<FlightInventory>([])
        .when(cmd)
        .then_err(InventoryError::SameOriginAndDestination);
}

#[test]
fn schedule_fails_when_arrival_is_not_after_departure() {
    let cmd = ScheduleFlight {
        arrival: at(DEPARTS),
        ..schedule_cmd()
    };
    given::<FlightInventory>([])
        .when(cmd)
        .then_err(InventoryError::ArrivalNotAfterDeparture);
    let cmd = ScheduleFlight {
        arrival: at(DEPARTS - 1),
        ..schedule_cmd()
    };
    given::<FlightInventory>([])
        .when(cmd)
        .then_err(InventoryError::ArrivalNotAfterDeparture);
}

#[test]
fn schedule_fails_without_cabins() {
    let cmd = ScheduleFlight {
        cabins: BTreeMap::new(),
        ..schedule_cmd()
    };
    given::<FlightInventory>([])
        .when(cmd)
        .then_err(InventoryError::NoCabins);
}

#[test]
fn schedule_fails_when_a_cabin_has_no_seats() {
    let mut cmd = schedule_cmd();
    cmd.cabins.insert(
        Cabin::First,
        CabinSpec {
            capacity: 0,
            fare: Money::usd(150_000),
        },
    );
    given::<FlightInventory>([])
        .when(cmd)
        .then_err(InventoryError::InvalidCapacity {
            cabin: Cabin::First,
        });
}

#[test]
fn schedule_fails_when_a_fare_is_not_above_zero() {
    for amount in [0, -1] {
        let mut cmd = schedule_cmd();
        cmd.cabins.insert(
            Cabin::Premium,
            CabinSpec {
                capacity: 4,
                fare: Money::usd(amount),
            },
        );
        given::<FlightInventory>([])
            .when(cmd)
            .then_err(InventoryError::InvalidFare {
                cabin: Cabin::Premium,
            });
    }
}

// ---- ReserveSeats ----

#[test]
fn reserving_holds_seats_until_the_deadline() {
    let state = given::<FlightInventory>([scheduled()])
        .when(reserve(1, Cabin::Economy, 3))
        .then([reserved(1, Cabin::Economy, 3)]);
    let economy = state.cabin(Cabin::Economy).unwrap();
    assert_eq!((economy.available, economy.held, economy.sold), (7, 3, 0));
    assert_eq!(state.hold(booking(1)).unwrap().expires_at, at(15));
    assert!(state.invariant_holds());
}

#[test]
fn reserve_fails_when_the_flight_is_not_scheduled() {
    given::<FlightInventory>([])
        .when(reserve(1, Cabin::Economy, 1))
        .then_err(InventoryError::NotScheduled);
}

#[test]
fn reserve_fails_when_the_cabin_is_not_offered() {
    given::<FlightInventory>([scheduled()])
        .when(reserve(1, Cabin::First, 1))
        .then_err(InventoryError::CabinNotOffered {
            cabin: Cabin::First,
        });
}

#[test]
fn reserve_fails_for_zero_seats() {
    given::<FlightInventory>([scheduled()])
        .when(reserve(1, Cabin::Economy, 0))
        .then_err(InventoryError::InvalidSeatCount { seats: 0 });
}

#[test]
fn reserve_fails_for_more_than_nine_seats() {
    given::<FlightInventory>([scheduled()])
        .when(reserve(1, Cabin::Economy, 10))
        .then_err(InventoryError::InvalidSeatCount { seats: 10 });
}

#[test]
fn reserve_accepts_nine_seats() {
    given::<FlightInventory>([scheduled()])
        .when(reserve(1, Cabin::Economy, 9))
        .then([reserved(1, Cabin::Economy, 9)]);
}

#[test]
fn reserve_fails_when_cabin_is_full() {
    given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Business, 1),
        reserved(2, Cabin::Business, 1),
        committed(2, Cabin::Business, 1),
    ])
    .when(reserve(3, Cabin::Business, 1))
    .then_err(InventoryError::NotEnoughSeats {
        requested: 1,
        available: 0,
    });
}

#[test]
fn reserve_fails_when_fewer_seats_are_left_than_requested() {
    given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 8)])
        .when(reserve(2, Cabin::Economy, 3))
        .then_err(InventoryError::NotEnoughSeats {
            requested: 3,
            available: 2,
        });
}

#[test]
fn reserve_fails_once_the_flight_has_departed() {
    let cmd = ReserveSeats {
        now: at(DEPARTS),
        hold_until: at(DEPARTS + 15),
        ..reserve(1, Cabin::Economy, 1)
    };
    given::<FlightInventory>([scheduled()])
        .when(cmd)
        .then_err(InventoryError::Departed {
            departure: at(DEPARTS),
        });
}

#[test]
fn reserve_fails_when_the_hold_would_end_before_it_starts() {
    let cmd = ReserveSeats {
        hold_until: at(0),
        ..reserve(1, Cabin::Economy, 1)
    };
    given::<FlightInventory>([scheduled()])
        .when(cmd)
        .then_err(InventoryError::InvalidHoldDeadline);
}

#[test]
fn reserving_again_for_the_same_hold_is_a_no_op() {
    given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 2)])
        .when(reserve(1, Cabin::Economy, 2))
        .then_nothing();
}

#[test]
fn reserving_again_after_the_seats_were_sold_is_a_no_op() {
    given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Economy, 2),
        committed(1, Cabin::Economy, 2),
    ])
    .when(reserve(1, Cabin::Economy, 2))
    .then_nothing();
}

#[test]
fn reserve_fails_when_the_booking_already_holds_other_seats() {
    given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 2)])
        .when(reserve(1, Cabin::Economy, 3))
        .then_err(InventoryError::HoldMismatch {
            cabin: Cabin::Economy,
            seats: 2,
        });
    given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 2)])
        .when(reserve(1, Cabin::Business, 2))
        .then_err(InventoryError::HoldMismatch {
            cabin: Cabin::Economy,
            seats: 2,
        });
    given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Economy, 2),
        committed(1, Cabin::Economy, 2),
    ])
    .when(reserve(1, Cabin::Business, 1))
    .then_err(InventoryError::HoldMismatch {
        cabin: Cabin::Economy,
        seats: 2,
    });
}

#[test]
fn reserve_fails_when_the_bookings_seats_were_already_released() {
    // Regression guard: a reservation redelivered after compensation must not take seats again.
    given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Economy, 2),
        released(
            1,
            Cabin::Economy,
            2,
            SeatState::Held,
            ReleaseReason::Compensation,
        ),
    ])
    .when(reserve(1, Cabin::Economy, 2))
    .then_err(InventoryError::AlreadyReleased);
}

// ---- ReleaseSeats ----

#[test]
fn releasing_held_seats_makes_them_available() {
    let state = given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 2)])
        .when(ReleaseSeats {
            booking_id: booking(1),
            reason: ReleaseReason::Compensation,
        })
        .then([released(
            1,
            Cabin::Economy,
            2,
            SeatState::Held,
            ReleaseReason::Compensation,
        )]);
    let economy = state.cabin(Cabin::Economy).unwrap();
    assert_eq!((economy.available, economy.held, economy.sold), (10, 0, 0));
    assert!(state.hold(booking(1)).is_none());
}

#[test]
fn releasing_sold_seats_makes_them_available() {
    let state = given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Business, 2),
        committed(1, Cabin::Business, 2),
    ])
    .when(ReleaseSeats {
        booking_id: booking(1),
        reason: ReleaseReason::Cancelled,
    })
    .then([released(
        1,
        Cabin::Business,
        2,
        SeatState::Sold,
        ReleaseReason::Cancelled,
    )]);
    let business = state.cabin(Cabin::Business).unwrap();
    assert_eq!(
        (business.available, business.held, business.sold),
        (2, 0, 0)
    );
    assert!(state.sale(booking(1)).is_none());
}

#[test]
fn releasing_seats_of_a_booking_that_holds_none_is_a_no_op() {
    given::<FlightInventory>([scheduled()])
        .when(ReleaseSeats {
            booking_id: booking(1),
            reason: ReleaseReason::Manual,
        })
        .then_nothing();
    given::<FlightInventory>([])
        .when(ReleaseSeats {
            booking_id: booking(1),
            reason: ReleaseReason::Compensation,
        })
        .then_nothing();
}

#[test]
fn releasing_twice_is_a_no_op() {
    given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Economy, 2),
        released(
            1,
            Cabin::Economy,
            2,
            SeatState::Held,
            ReleaseReason::Compensation,
        ),
    ])
    .when(ReleaseSeats {
        booking_id: booking(1),
        reason: ReleaseReason::Compensation,
    })
    .then_nothing();
}

// ---- ExpireHold ----

#[test]
fn expiring_a_due_hold_releases_its_seats() {
    given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 2)])
        .when(ExpireHold {
            booking_id: booking(1),
            now: at(15),
        })
        .then([released(
            1,
            Cabin::Economy,
            2,
            SeatState::Held,
            ReleaseReason::Expired,
        )]);
}

#[test]
fn expire_fails_when_the_hold_is_not_due() {
    given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 2)])
        .when(ExpireHold {
            booking_id: booking(1),
            now: at(14),
        })
        .then_err(InventoryError::HoldNotExpired { expires_at: at(15) });
}

#[test]
fn expiring_a_hold_that_is_gone_is_a_no_op() {
    given::<FlightInventory>([scheduled()])
        .when(ExpireHold {
            booking_id: booking(1),
            now: at(20),
        })
        .then_nothing();
    given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Economy, 2),
        committed(1, Cabin::Economy, 2),
    ])
    .when(ExpireHold {
        booking_id: booking(1),
        now: at(20),
    })
    .then_nothing();
}

#[test]
fn holds_due_lists_only_expired_holds() {
    let state = given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Economy, 1),
        InventoryEvent::SeatsReserved {
            booking_id: booking(2),
            cabin: Cabin::Economy,
            seats: 1,
            expires_at: at(30),
        },
    ])
    .when(ExpireHold {
        booking_id: booking(9),
        now: at(0),
    })
    .then_nothing();
    assert_eq!(state.holds_due(at(15)), vec![booking(1)]);
    assert_eq!(state.holds_due(at(30)), vec![booking(1), booking(2)]);
}

// ---- CommitSeats ----

#[test]
fn committing_a_hold_sells_its_seats() {
    let state = given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 3)])
        .when(CommitSeats {
            booking_id: booking(1),
            now: at(14),
        })
        .then([committed(1, Cabin::Economy, 3)]);
    let economy = state.cabin(Cabin::Economy).unwrap();
    assert_eq!((economy.available, economy.held, economy.sold), (7, 0, 3));
    assert_eq!(
        state.sale(booking(1)),
        Some(&Sale {
            cabin: Cabin::Economy,
            seats: 3
        })
    );
}

#[test]
fn committing_again_is_a_no_op() {
    given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Economy, 3),
        committed(1, Cabin::Economy, 3),
    ])
    .when(CommitSeats {
        booking_id: booking(1),
        now: at(20),
    })
    .then_nothing();
}

#[test]
fn commit_fails_without_a_hold() {
    given::<FlightInventory>([scheduled()])
        .when(CommitSeats {
            booking_id: booking(1),
            now: at(1),
        })
        .then_err(InventoryError::NoSuchHold);
    given::<FlightInventory>([
        scheduled(),
        reserved(1, Cabin::Economy, 2),
        released(
            1,
            Cabin::Economy,
            2,
            SeatState::Held,
            ReleaseReason::Expired,
        ),
    ])
    .when(CommitSeats {
        booking_id: booking(1),
        now: at(16),
    })
    .then_err(InventoryError::NoSuchHold);
}

#[test]
fn commit_fails_once_the_hold_has_expired() {
    given::<FlightInventory>([scheduled(), reserved(1, Cabin::Economy, 2)])
        .when(CommitSeats {
            booking_id: booking(1),
            now: at(15),
        })
        .then_err(InventoryError::HoldExpired { expires_at: at(15) });
}

// ---- errors, serde ----

#[test]
fn errors_have_stable_codes_and_name_their_field() {
    assert_eq!(
        InventoryError::NotEnoughSeats {
            requested: 2,
            available: 1
        }
        .code(),
        "seats_unavailable"
    );
    assert_eq!(InventoryError::NotScheduled.code(), "not_found");
    assert_eq!(
        InventoryError::InvalidSeatCount { seats: 0 }.code(),
        "invalid_seat_count"
    );
    assert_eq!(
        InventoryError::InvalidSeatCount { seats: 0 }.field(),
        Some("seats")
    );
    assert_eq!(
        InventoryError::CabinNotOffered {
            cabin: Cabin::First
        }
        .field(),
        Some("cabin")
    );
    assert_eq!(
        InventoryError::NotEnoughSeats {
            requested: 2,
            available: 1
        }
        .field(),
        None
    );
    assert_eq!(
        InventoryError::NotEnoughSeats {
            requested: 2,
            available: 1
        }
        .to_string(),
        "2 seats requested, 1 available"
    );
}

#[test]
fn inventory_events_round_trip_through_the_store() {
    for event in [
        scheduled(),
        reserved(1, Cabin::Economy, 2),
        committed(1, Cabin::Economy, 2),
        released(
            1,
            Cabin::Economy,
            2,
            SeatState::Sold,
            ReleaseReason::Cancelled,
        ),
    ] {
        assert_round_trips(&event);
    }
    let json = serde_json::to_value(released(
        1,
        Cabin::First,
        1,
        SeatState::Held,
        ReleaseReason::Compensation,
    ))
    .unwrap();
    assert_eq!(json["payload"]["was"], "held");
    assert_eq!(json["payload"]["reason"], "compensation");
    let json = serde_json::to_value(scheduled()).unwrap();
    assert_eq!(json["payload"]["cabins"]["economy"]["capacity"], 10);
    assert_eq!(json["payload"]["flight_id"], "SF100-2027-01-15");
}

// ---- the invariant ----

#[test]
fn capacity_is_always_available_plus_held_plus_sold() {
    let mut rng = Rng(0x5eed_f1e5_2027_0115);
    let mut state = crate::aggregate::fold::<FlightInventory>(&[scheduled()]);
    let cabins = [Cabin::Economy, Cabin::Business, Cabin::First];
    let reasons = [
        ReleaseReason::Compensation,
        ReleaseReason::Cancelled,
        ReleaseReason::Manual,
    ];
    let (mut accepted, mut refused) = (0, 0);
    for step in 0..5_000_i64 {
        let now = at(step / 4);
        // A sliding window of bookings, so that released ones make room for fresh ones.
        let b = u128::from(rng.below(16)) + (step / 50) as u128;
        let command: InventoryCommand = match rng.below(5) {
            0 | 1 => ReserveSeats {
                booking_id: booking(b),
                cabin: cabins[rng.below(3) as usize],
                seats: rng.below(11) as u32,
                now,
                hold_until: now + Duration::minutes(rng.below(30) as i64),
            }
            .into(),
            2 => CommitSeats {
                booking_id: booking(b),
                now,
            }
            .into(),
            3 => ReleaseSeats {
                booking_id: booking(b),
                reason: reasons[rng.below(3) as usize],
            }
            .into(),
            _ => ExpireHold {
                booking_id: booking(b),
                now,
            }
            .into(),
        };
        match state.decide(&command) {
            Ok(events) => {
                accepted += 1;
                for event in &events {
                    state.evolve(event);
                }
                // Every accepted command has taken effect: deciding it again changes nothing.
                assert_eq!(
                    state.decide(&command),
                    Ok(vec![]),
                    "{command:?} is not idempotent"
                );
            }
            Err(_) => refused += 1,
        }
        assert!(
            state.invariant_holds(),
            "invariant broken after step {step}: {command:?}\n{state:?}"
        );
    }
    // The sequence must exercise both sides, or the test proves nothing.
    assert!(
        accepted > 1_000 && refused > 500,
        "accepted {accepted}, refused {refused}"
    );
}
