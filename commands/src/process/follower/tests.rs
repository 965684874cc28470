//! What the follower makes of the events of the log.

use super::*;
use skyfly_domain::booking::SagaStep;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::faults::{FaultEvent, FaultMode};
use skyfly_domain::inventory::{ReleaseReason, SeatState};
use skyfly_domain::loyalty::{LotSlice, Tier};
use skyfly_domain::money::Money;
use skyfly_domain::saga::ForwardStep;
use skyfly_domain::testing::recorded;
use uuid::Uuid;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn booking() -> BookingId {
    BookingId(Uuid::from_u128(0x42))
}

fn flight() -> FlightId {
    FlightId::parse("SF100-2027-01-15").unwrap()
}

fn account() -> LoyaltyAccountId {
    LoyaltyAccountId(Uuid::from_u128(10))
}

#[test]
fn sagas_started_retried_or_cancelled_are_queued() {
    let retried = recorded::<BookingSaga>(booking(), &SagaEvent::ParkedRetried { at: at(1) });
    assert_eq!(interest(&retried), Some(Interest::Saga(booking())));
    let cancelled = SagaEvent::CancellationStarted {
        refund: Money::usd(100),
        requested_by: skyfly_domain::ids::UserId(Uuid::from_u128(7)),
        steps: Vec::new(),
        at: at(1),
    };
    let cancelled = recorded::<BookingSaga>(booking(), &cancelled);
    assert_eq!(interest(&cancelled), Some(Interest::Saga(booking())));
}

#[test]
fn the_sagas_own_progress_is_of_no_interest() {
    let succeeded = SagaEvent::StepSucceeded {
        step: ForwardStep::ReserveSeats,
        attempt: 1,
        at: at(1),
    };
    assert_eq!(
        interest(&recorded::<BookingSaga>(booking(), &succeeded)),
        None
    );
}

#[test]
fn held_seats_are_indexed_until_committed_or_released() {
    let reserved = InventoryEvent::SeatsReserved {
        booking_id: booking(),
        cabin: Cabin::Economy,
        seats: 2,
        expires_at: at(900),
    };
    assert_eq!(
        interest(&recorded::<FlightInventory>(flight(), &reserved)),
        Some(Interest::Hold {
            flight: flight(),
            booking: booking(),
            until: at(900),
        })
    );
    let unhold = Some(Interest::Unhold {
        flight: flight(),
        booking: booking(),
    });
    let committed = InventoryEvent::SeatsCommitted {
        booking_id: booking(),
        cabin: Cabin::Economy,
        seats: 2,
    };
    assert_eq!(
        interest(&recorded::<FlightInventory>(flight(), &committed)),
        unhold
    );
    let released = InventoryEvent::SeatsReleased {
        booking_id: booking(),
        cabin: Cabin::Economy,
        seats: 2,
        was: SeatState::Held,
        reason: ReleaseReason::Expired,
    };
    assert_eq!(
        interest(&recorded::<FlightInventory>(flight(), &released)),
        unhold
    );
}

#[test]
fn awarded_and_restored_miles_are_indexed_by_expiry() {
    let awarded = LoyaltyEvent::MilesAwarded {
        booking_id: booking(),
        miles: 1_000,
        tier: Tier::Blue,
        earned_at: at(0),
        expires_at: at(100),
    };
    assert_eq!(
        interest(&recorded::<LoyaltyAccount>(account(), &awarded)),
        Some(Interest::Miles {
            account: account(),
            expiries: vec![at(100)],
        })
    );
    let slice = |expires| LotSlice {
        earned_at: at(0),
        expires_at: at(expires),
        miles: 10,
    };
    let restored = LoyaltyEvent::MilesRestored {
        booking_id: booking(),
        miles: 20,
        lots: vec![slice(200), slice(300)],
        restored_at: at(1),
    };
    assert_eq!(
        interest(&recorded::<LoyaltyAccount>(account(), &restored)),
        Some(Interest::Miles {
            account: account(),
            expiries: vec![at(200), at(300)],
        })
    );
}

#[test]
fn any_change_of_the_fault_board_refreshes_it() {
    let armed = FaultEvent::FaultArmed {
        fault_id: Uuid::from_u128(0xfa),
        step: SagaStep::AuthorizePayment,
        mode: FaultMode::Delay { delay_ms: 5 },
        armed_at: at(0),
    };
    assert_eq!(
        interest(&recorded::<FaultBoard>(BOARD_ID, &armed)),
        Some(Interest::FaultBoard)
    );
}

#[test]
fn an_event_that_does_not_decode_is_skipped() {
    let mut broken = recorded::<BookingSaga>(booking(), &SagaEvent::ParkedRetried { at: at(1) });
    broken.event_type = "SagaStarted".into();
    assert_eq!(interest(&broken), None);
}
