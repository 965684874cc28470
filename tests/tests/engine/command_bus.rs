//! The command path against PostgreSQL: a hot aggregate under concurrent commands, two processes
//! (two buses with their own caches) arbitrated by optimistic concurrency, and command ids that
//! keep a redelivered command from taking effect twice, across restarts.

use chrono::{TimeZone, Utc};
use skyfly_commands::{CommandBus, CommandError, Envelope};
use skyfly_domain::Money;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::{Actor, Metadata};
use skyfly_domain::ids::{BookingId, CommandId, FlightId};
use skyfly_domain::inventory::{
    CabinSpec, FlightInventory, InventoryCommand, InventoryError, ReserveSeats, ScheduleFlight,
};
use skyfly_domain::place::Iata;
use skyfly_domain::store::EventStore;
use skyfly_infra::PgEventStore;
use skyfly_infra::clock::ManualClock;
use skyfly_tests::db::TestDatabase;
use std::sync::Arc;
use uuid::Uuid;

fn clock() -> ManualClock {
    ManualClock::new(skyfly_tests::app::start_time())
}

fn meta(id: CommandId) -> Metadata {
    Metadata::new(id, Actor::system("test"))
}

async fn bus_on(store: Arc<dyn EventStore>) -> CommandBus {
    CommandBus::new(store, Arc::new(clock()))
}

async fn schedule(bus: &CommandBus, flight: &FlightId, seats: u32) {
    let cmd = InventoryCommand::ScheduleFlight(ScheduleFlight {
        flight_id: flight.clone(),
        origin: Iata::parse("DFW").unwrap(),
        destination: Iata::parse("ORD").unwrap(),
        departure: Utc.with_ymd_and_hms(2026, 12, 1, 14, 0, 0).unwrap(),
        arrival: Utc.with_ymd_and_hms(2026, 12, 1, 16, 30, 0).unwrap(),
        cabins: [(
            Cabin::Economy,
            CabinSpec {
                capacity: seats,
                fare: Money::usd(10_000),
            },
        )]
        .into(),
    });
    bus.execute::<FlightInventory>(flight, Envelope::new(cmd, meta(CommandId(Uuid::now_v7()))))
        .await
        .unwrap();
}

fn reserve(booking: BookingId, seats: u32) -> InventoryCommand {
    let now = skyfly_tests::app::start_time();
    InventoryCommand::ReserveSeats(ReserveSeats {
        booking_id: booking,
        cabin: Cabin::Economy,
        seats,
        now,
        hold_until: now + skyfly_domain::inventory::SEAT_HOLD,
    })
}

/// A store on a database of its own, and the database (dropped with it).
async fn pg_store() -> (Arc<dyn EventStore>, TestDatabase) {
    let db = skyfly_tests::db::fresh_database().await;
    (Arc::new(PgEventStore::new(db.pool.clone())), db)
}

/// 200 concurrent reservations on one flight with 150 seats through one process: exactly 150
/// succeed, 50 are refused as unavailable, none fails on a version conflict, and the stream holds
/// exactly the successful ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hot_flight_serialises_commands_instead_of_failing_them() {
    let (store, _db) = pg_store().await;
    let bus = Arc::new(bus_on(Arc::clone(&store)).await);
    let flight = FlightId::parse("SF100-2026-12-01").unwrap();
    schedule(&bus, &flight, 150).await;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (bus, flight) = (Arc::clone(&bus), flight.clone());
            tokio::spawn(async move {
                let cmd = reserve(BookingId(Uuid::now_v7()), 1);
                bus.execute::<FlightInventory>(
                    &flight,
                    Envelope::new(cmd, meta(CommandId(Uuid::now_v7()))),
                )
                .await
            })
        })
        .collect();
    let (mut ok, mut unavailable) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(CommandError::Rejected(InventoryError::NotEnoughSeats { .. })) => unavailable += 1,
            Err(e) => panic!("unexpected failure: {e:?}"),
        }
    }
    assert_eq!((ok, unavailable), (150, 50));
    let events = store
        .read_stream("flight-SF100-2026-12-01", 0)
        .await
        .unwrap();
    assert_eq!(events.len(), 151);
    let (state, version) = bus.load::<FlightInventory>(&flight).await.unwrap();
    let cabin = state.cabin(Cabin::Economy).unwrap();
    assert_eq!(
        (cabin.available, cabin.held, cabin.sold, version),
        (0, 150, 0, 151)
    );
}

/// Two processes with their own caches: each one's cache goes stale when the other appends; the
/// expected-version check catches it and the command is re-decided on the fresh state.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_are_arbitrated_by_optimistic_concurrency() {
    let (store, _db) = pg_store().await;
    let a = Arc::new(bus_on(Arc::clone(&store)).await);
    let b = Arc::new(bus_on(Arc::clone(&store)).await);
    let flight = FlightId::parse("SF101-2026-12-01").unwrap();
    schedule(&a, &flight, 40).await;
    // Warm both caches.
    a.load::<FlightInventory>(&flight).await.unwrap();
    b.load::<FlightInventory>(&flight).await.unwrap();
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let bus = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            let flight = flight.clone();
            tokio::spawn(async move {
                let cmd = reserve(BookingId(Uuid::now_v7()), 1);
                bus.execute::<FlightInventory>(
                    &flight,
                    Envelope::new(cmd, meta(CommandId(Uuid::now_v7()))),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(CommandError::Rejected(InventoryError::NotEnoughSeats { .. })) => {}
            Err(e) => panic!("unexpected failure: {e:?}"),
        }
    }
    let reserved = store
        .read_stream("flight-SF101-2026-12-01", 0)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_type == "SeatsReserved")
        .count();
    assert_eq!(
        (ok, reserved),
        (40, 40),
        "exactly capacity, whichever process took them"
    );
    for bus in [&a, &b] {
        let (state, _) = bus.load::<FlightInventory>(&flight).await.unwrap();
        assert_eq!(state.cabin(Cabin::Economy).unwrap().held, 40);
    }
}

/// A command id already recorded appends nothing, even from a new process (a restart): the store
/// remembers it, not the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_command_takes_effect_once_across_a_restart() {
    let db = skyfly_tests::db::fresh_database().await;
    let pool = db.pool.clone();
    let flight = FlightId::parse("SF102-2026-12-01").unwrap();
    let command_id = CommandId::derived("saga-1/reserve_seats");
    let booking = BookingId(Uuid::now_v7());
    let first_position = {
        let bus = bus_on(Arc::new(PgEventStore::new(pool.clone()))).await;
        schedule(&bus, &flight, 10).await;
        let done = bus
            .execute::<FlightInventory>(
                &flight,
                Envelope::new(reserve(booking, 2), meta(command_id)),
            )
            .await
            .unwrap();
        assert!(!done.already_applied);
        done.position.unwrap()
    };
    let restarted = bus_on(Arc::new(PgEventStore::new(pool.clone()))).await;
    // Redelivered with a different booking id even: the command id decides.
    let again = restarted
        .execute::<FlightInventory>(
            &flight,
            Envelope::new(reserve(BookingId(Uuid::now_v7()), 2), meta(command_id)),
        )
        .await
        .unwrap();
    assert!(again.already_applied);
    assert_eq!(again.position, Some(first_position));
    assert_eq!(again.state.cabin(Cabin::Economy).unwrap().held, 2);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

/// The in-memory store gives the command path the same behaviour.
#[tokio::test]
async fn the_command_path_behaves_the_same_on_the_memory_store() {
    let store: Arc<dyn EventStore> = Arc::new(skyfly_infra::MemoryEventStore::new());
    let bus = bus_on(Arc::clone(&store)).await;
    let flight = FlightId::parse("SF103-2026-12-01").unwrap();
    schedule(&bus, &flight, 1).await;
    let id = CommandId(Uuid::now_v7());
    bus.execute::<FlightInventory>(
        &flight,
        Envelope::new(reserve(BookingId(Uuid::now_v7()), 1), meta(id)),
    )
    .await
    .unwrap();
    let again = bus
        .execute::<FlightInventory>(
            &flight,
            Envelope::new(reserve(BookingId(Uuid::now_v7()), 1), meta(id)),
        )
        .await
        .unwrap();
    assert!(again.already_applied);
    let refused = bus
        .execute::<FlightInventory>(
            &flight,
            Envelope::new(
                reserve(BookingId(Uuid::now_v7()), 1),
                meta(CommandId(Uuid::now_v7())),
            ),
        )
        .await;
    assert!(matches!(
        refused,
        Err(CommandError::Rejected(
            InventoryError::NotEnoughSeats { .. }
        ))
    ));
    let stale = bus
        .execute::<FlightInventory>(
            &flight,
            Envelope::new(
                reserve(BookingId(Uuid::now_v7()), 1),
                meta(CommandId(Uuid::now_v7())),
            )
            .expecting(Some(1)),
        )
        .await;
    assert!(
        matches!(
            stale,
            Err(CommandError::Conflict {
                expected: 1,
                actual: 2
            })
        ),
        "{stale:?}"
    );
}

/// Regression: a command that decides "nothing to do" on one process's cached state must not be
/// accepted while another process has moved the stream on. Here the second process took a hold
/// the first one had not seen; releasing it through the first one must release it, not answer
/// "already released" from its stale cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_op_decision_is_made_on_the_latest_state_not_a_stale_cache() {
    use skyfly_domain::inventory::{ReleaseReason, ReleaseSeats};
    let (store, _db) = pg_store().await;
    let first = bus_on(Arc::clone(&store)).await;
    let second = bus_on(Arc::clone(&store)).await;
    let flight = FlightId::parse("SF100-2026-12-01").unwrap();
    schedule(&first, &flight, 10).await;
    let (inventory, _) = first.load::<FlightInventory>(&flight).await.unwrap();
    assert!(
        inventory.hold(BookingId(Uuid::nil())).is_none(),
        "cached: nothing held"
    );
    assert!(inventory.holds().is_empty(), "cached: nothing held");

    let booking = BookingId(Uuid::now_v7());
    second
        .execute::<FlightInventory>(
            &flight,
            Envelope::new(reserve(booking, 3), meta(CommandId(Uuid::now_v7()))),
        )
        .await
        .unwrap();
    let release = InventoryCommand::ReleaseSeats(ReleaseSeats {
        booking_id: booking,
        reason: ReleaseReason::Compensation,
    });
    let done = first
        .execute::<FlightInventory>(
            &flight,
            Envelope::new(release, meta(CommandId(Uuid::now_v7()))),
        )
        .await
        .unwrap();
    assert_eq!(
        done.events.len(),
        1,
        "the release was recorded: {:?}",
        done.events
    );
    assert!(done.state.hold(booking).is_none(), "the hold is gone");
    assert!(done.state.invariant_holds());
    let types: Vec<String> = store
        .read_stream("flight-SF100-2026-12-01", 0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["FlightScheduled", "SeatsReserved", "SeatsReleased"]);
}
