//! The seat inventory use cases on the in-memory stores.

use super::*;
use crate::testing::{TestApplication, flight_id, schedule_flight, staff_call, start};
use crate::{RefusalKind, UseCaseError};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::BookingId;
use skyfly_domain::inventory::{InventoryEvent, ReleaseReason, SeatState};

fn booking(n: u128) -> BookingId {
    BookingId(uuid::Uuid::from_u128(n))
}

fn reserving(seats: u32, n: u128) -> Reserve {
    Reserve {
        flight_id: flight_id(),
        booking_id: booking(n),
        cabin: Cabin::Economy,
        seats,
    }
}

#[tokio::test]
async fn reserving_seats_holds_them_for_fifteen_minutes() {
    let t = TestApplication::new();
    schedule_flight(&t.app, 10).await;
    let done = reserve(&t.app, &staff_call(), reserving(3, 1))
        .await
        .unwrap();
    assert_eq!(
        done.events,
        [InventoryEvent::SeatsReserved {
            booking_id: booking(1),
            cabin: Cabin::Economy,
            seats: 3,
            expires_at: start() + SEAT_HOLD,
        }]
    );
    assert_eq!(done.version, 2);
    let (inventory, version) = t
        .app
        .bus
        .load::<FlightInventory>(&flight_id())
        .await
        .unwrap();
    assert_eq!(version, 2);
    let economy = inventory.cabin(Cabin::Economy).unwrap();
    assert_eq!((economy.available, economy.held, economy.sold), (7, 3, 0));
}

#[tokio::test]
async fn reserving_more_seats_than_are_left_is_refused_with_not_enough_seats() {
    let t = TestApplication::new();
    schedule_flight(&t.app, 2).await;
    let e = reserve(&t.app, &staff_call(), reserving(3, 1))
        .await
        .unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!(
                (r.code, r.kind),
                ("seats_unavailable", RefusalKind::Conflict)
            );
        }
        other => panic!("expected seats_unavailable, got {other:?}"),
    }
    let (_, version) = t
        .app
        .bus
        .load::<FlightInventory>(&flight_id())
        .await
        .unwrap();
    assert_eq!(version, 1, "nothing recorded");
}

#[tokio::test]
async fn reserving_on_a_flight_that_is_not_scheduled_names_the_flight_id() {
    let t = TestApplication::new();
    let e = reserve(&t.app, &staff_call(), reserving(1, 1))
        .await
        .unwrap_err();
    let UseCaseError::Invalid { field, code, .. } = &e else {
        panic!("expected unknown_flight, got {e:?}");
    };
    assert_eq!((field.as_str(), *code), ("flight_id", "unknown_flight"));
    let events = t
        .app
        .bus
        .store()
        .read_stream(
            &skyfly_domain::aggregate::stream_id::<FlightInventory>(flight_id()),
            0,
        )
        .await
        .unwrap();
    assert!(events.is_empty(), "nothing recorded: {events:?}");
}

#[tokio::test]
async fn a_stale_version_is_a_version_conflict() {
    let t = TestApplication::new();
    schedule_flight(&t.app, 10).await;
    let call = staff_call().expecting(Some(7));
    let e = reserve(&t.app, &call, reserving(1, 1)).await.unwrap_err();
    assert!(
        matches!(
            e,
            UseCaseError::VersionConflict {
                expected: 7,
                actual: 1
            }
        ),
        "{e:?}"
    );
    let call = staff_call().expecting(Some(1));
    reserve(&t.app, &call, reserving(1, 1)).await.unwrap();
}

#[tokio::test]
async fn committing_a_hold_sells_the_seats() {
    let t = TestApplication::new();
    schedule_flight(&t.app, 10).await;
    reserve(&t.app, &staff_call(), reserving(2, 1))
        .await
        .unwrap();
    let committing = Commit {
        flight_id: flight_id(),
        booking_id: booking(1),
    };
    let done = commit(&t.app, &staff_call(), committing).await.unwrap();
    assert_eq!(
        done.events,
        [InventoryEvent::SeatsCommitted {
            booking_id: booking(1),
            cabin: Cabin::Economy,
            seats: 2,
        }]
    );
    let economy = *done.state.cabin(Cabin::Economy).unwrap();
    assert_eq!((economy.available, economy.held, economy.sold), (8, 0, 2));
}

#[tokio::test]
async fn committing_without_a_hold_is_refused_with_no_such_hold() {
    let t = TestApplication::new();
    schedule_flight(&t.app, 10).await;
    let committing = Commit {
        flight_id: flight_id(),
        booking_id: booking(1),
    };
    let e = commit(&t.app, &staff_call(), committing).await.unwrap_err();
    assert_eq!(e.code(), Some("no_such_hold"), "{e:?}");
}

#[tokio::test]
async fn committing_an_expired_hold_is_refused_with_hold_expired() {
    let t = TestApplication::new();
    schedule_flight(&t.app, 10).await;
    reserve(&t.app, &staff_call(), reserving(2, 1))
        .await
        .unwrap();
    t.clock.advance(SEAT_HOLD + chrono::Duration::seconds(1));
    let committing = Commit {
        flight_id: flight_id(),
        booking_id: booking(1),
    };
    let e = commit(&t.app, &staff_call(), committing).await.unwrap_err();
    assert_eq!(e.code(), Some("hold_expired"), "{e:?}");
}

#[tokio::test]
async fn releasing_a_hold_gives_the_seats_back_by_hand() {
    let t = TestApplication::new();
    schedule_flight(&t.app, 10).await;
    reserve(&t.app, &staff_call(), reserving(4, 1))
        .await
        .unwrap();
    let releasing = Release {
        flight_id: flight_id(),
        booking_id: booking(1),
    };
    let done = release(&t.app, &staff_call(), releasing).await.unwrap();
    assert_eq!(
        done.events,
        [InventoryEvent::SeatsReleased {
            booking_id: booking(1),
            cabin: Cabin::Economy,
            seats: 4,
            was: SeatState::Held,
            reason: ReleaseReason::Manual,
        }]
    );
    let economy = *done.state.cabin(Cabin::Economy).unwrap();
    assert_eq!((economy.available, economy.held), (10, 0));
}

#[tokio::test]
async fn releasing_on_a_flight_that_is_not_scheduled_is_refused_with_unknown_flight() {
    let t = TestApplication::new();
    let releasing = Release {
        flight_id: flight_id(),
        booking_id: booking(1),
    };
    let e = release(&t.app, &staff_call(), releasing).await.unwrap_err();
    assert_eq!(e.code(), Some("unknown_flight"), "{e:?}");
}
