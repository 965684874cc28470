//! `append`: the event store's appends (single, batched, contended) and commands on one hot flight.

use crate::measure::{CONCURRENCIES, Outcome, Report, closed_loop};
use crate::raw::{Raw, sample_event};
use chrono::Utc;
use serde_json::json;
use skyfly_commands::{CommandBus, CommandError, Envelope};
use skyfly_domain::Money;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::{Actor, Metadata, NewEvent, encode};
use skyfly_domain::ids::{BookingId, CommandId, EventId, FlightId, FlightNumber};
use skyfly_domain::inventory::{
    CabinSpec, FlightInventory, InventoryCommand, InventoryEvent, ReleaseReason, ReserveSeats,
    SeatState,
};
use skyfly_domain::place::Iata;
use skyfly_domain::store::{EventStore, ExpectedVersion, StoreError};
use skyfly_infra::PgEventStore;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub(crate) fn fresh(template: &NewEvent) -> NewEvent {
    NewEvent {
        event_id: EventId(Uuid::now_v7()),
        ..template.clone()
    }
}

pub(crate) fn outcome(r: Result<skyfly_domain::store::AppendOutcome, StoreError>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(StoreError::VersionConflict { .. }) => Outcome::Conflict,
        Err(_) => Outcome::Failed,
    }
}

pub(crate) async fn append_suite(
    pool: &PgPool,
    load: Duration,
    raw: &Raw,
    out: &mut Report,
) -> anyhow::Result<()> {
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::new(pool.clone()));
    let sample = sample_event()?;
    for writers in CONCURRENCIES {
        let (store, sample) = (Arc::clone(&store), sample.clone());
        let mut stats = closed_loop(writers, load, move |w, i| {
            let (store, event) = (Arc::clone(&store), fresh(&sample));
            async move {
                let r = store
                    .append(
                        &format!("bench{writers}-{w}"),
                        ExpectedVersion::Exact(i),
                        Some(CommandId(Uuid::now_v7())),
                        vec![event],
                    )
                    .await;
                outcome(r)
            }
        })
        .await;
        let events_per_s = stats.per_s(stats.ok);
        let raw_tx = raw
            .iter()
            .find(|(w, _)| *w == writers)
            .map_or(0.0, |(_, r)| *r);
        out.figure(json!({
            "suite": "append", "writers": writers, "events_per_s": events_per_s,
            "raw_tx_per_s": raw_tx, "ratio": if raw_tx > 0.0 { events_per_s / raw_tx } else { 0.0 },
            "p50_ms": stats.ms(50.0), "p99_ms": stats.ms(99.0), "failed": stats.failed + stats.conflicts,
        }));
    }
    // 10-event batches.
    for writers in [1, 16] {
        let (store, sample) = (Arc::clone(&store), sample.clone());
        let mut stats = closed_loop(writers, load, move |w, i| {
            let store = Arc::clone(&store);
            let batch: Vec<NewEvent> = (0..10).map(|_| fresh(&sample)).collect();
            async move {
                let r = store
                    .append(
                        &format!("batch{writers}-{w}"),
                        ExpectedVersion::Exact(i * 10),
                        Some(CommandId(Uuid::now_v7())),
                        batch,
                    )
                    .await;
                outcome(r)
            }
        })
        .await;
        out.figure(json!({
            "suite": "append", "kind": "batch10", "writers": writers,
            "events_per_s": stats.per_s(stats.ok * 10), "appends_per_s": stats.per_s(stats.ok),
            "p50_ms": stats.ms(50.0), "p99_ms": stats.ms(99.0), "failed": stats.failed,
        }));
    }
    // Contended: 16 writers append to one stream, each at the version it last saw.
    {
        let (store2, sample) = (Arc::clone(&store), sample.clone());
        let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut stats = closed_loop(16, load, move |_, _| {
            let (store, event, seen) = (Arc::clone(&store2), fresh(&sample), Arc::clone(&seen));
            async move {
                let expected = seen.load(std::sync::atomic::Ordering::SeqCst);
                let r = store
                    .append(
                        "contended",
                        ExpectedVersion::Exact(expected),
                        Some(CommandId(Uuid::now_v7())),
                        vec![event],
                    )
                    .await;
                match &r {
                    Ok(a) => {
                        seen.fetch_max(
                            a.appended().stream_version,
                            std::sync::atomic::Ordering::SeqCst,
                        );
                    }
                    Err(StoreError::VersionConflict { actual, .. }) => {
                        seen.fetch_max(*actual, std::sync::atomic::Ordering::SeqCst);
                    }
                    Err(_) => {}
                }
                outcome(r)
            }
        })
        .await;
        out.figure(json!({
            "suite": "append", "kind": "contended", "writers": 16,
            "appends_per_s": stats.per_s(stats.ok), "conflicts_per_s": stats.per_s(stats.conflicts),
            "p50_ms": stats.ms(50.0), "p99_ms": stats.ms(99.0), "failed": stats.failed,
        }));
    }
    // One hot flight: 16 writers reserving seats through the command bus (load, decide, append).
    {
        let bus = Arc::new(CommandBus::new(
            Arc::clone(&store),
            Arc::new(skyfly_infra::clock::SystemClock),
        ));
        let flight = FlightId::parse("SF1-2031-01-10").map_err(|e| anyhow::anyhow!("{e}"))?;
        schedule_flight(&bus, &flight, 10_000_000).await?;
        let (bus2, flight2) = (Arc::clone(&bus), flight.clone());
        let mut stats = closed_loop(16, load, move |_, _| {
            let (bus, flight) = (Arc::clone(&bus2), flight2.clone());
            async move {
                let now = bus.clock().now();
                let command = InventoryCommand::ReserveSeats(ReserveSeats {
                    booking_id: BookingId(Uuid::now_v7()),
                    cabin: Cabin::Economy,
                    seats: 1,
                    now,
                    hold_until: now + skyfly_domain::inventory::SEAT_HOLD,
                });
                let meta = Metadata::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
                match bus
                    .execute::<FlightInventory>(&flight, Envelope::new(command, meta))
                    .await
                {
                    Ok(_) => Outcome::Ok,
                    Err(CommandError::Conflict { .. }) => Outcome::Conflict,
                    Err(_) => Outcome::Failed,
                }
            }
        })
        .await;
        out.figure(json!({
            "suite": "append", "kind": "hot_flight", "writers": 16,
            "commands_per_s": stats.per_s(stats.ok), "p50_ms": stats.ms(50.0),
            "p99_ms": stats.ms(99.0), "failed": stats.failed + stats.conflicts,
        }));
    }
    Ok(())
}

pub(crate) async fn schedule_flight(
    bus: &CommandBus,
    flight: &FlightId,
    seats: u32,
) -> anyhow::Result<()> {
    let command = InventoryCommand::ScheduleFlight(skyfly_domain::inventory::ScheduleFlight {
        flight_id: flight.clone(),
        origin: iata("DFW")?,
        destination: iata("ORD")?,
        departure: Utc::now() + chrono::Duration::days(30),
        arrival: Utc::now() + chrono::Duration::days(30) + chrono::Duration::hours(2),
        cabins: [(
            Cabin::Economy,
            CabinSpec {
                capacity: seats,
                fare: Money::usd(12_345),
            },
        )]
        .into(),
    });
    let meta = Metadata::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
    bus.execute::<FlightInventory>(flight, Envelope::new(command, meta))
        .await
        .map_err(|e| anyhow::anyhow!("schedule {flight}: {e}"))?;
    Ok(())
}

pub(crate) fn iata(code: &str) -> anyhow::Result<Iata> {
    Iata::parse(code).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `count` events on one flight's stream after its `FlightScheduled`: holds taken and released.
pub(crate) fn flight_history(flight: &FlightId, count: usize) -> anyhow::Result<Vec<NewEvent>> {
    let meta = Metadata::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
    let at = Utc::now();
    let mut events = Vec::with_capacity(count + 1);
    let scheduled = InventoryEvent::FlightScheduled {
        flight_id: flight.clone(),
        flight_number: FlightNumber::parse(flight.to_string().split('-').next().unwrap_or("SF1"))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        origin: iata("DFW")?,
        destination: iata("ORD")?,
        departure: at + chrono::Duration::days(30),
        arrival: at + chrono::Duration::days(30) + chrono::Duration::hours(2),
        cabins: [(
            Cabin::Economy,
            CabinSpec {
                capacity: 1_000,
                fare: Money::usd(12_345),
            },
        )]
        .into(),
    };
    events.push(encode(
        &scheduled,
        EventId(Uuid::now_v7()),
        meta.clone(),
        at,
    )?);
    let mut booking = BookingId(Uuid::now_v7());
    for i in 0..count {
        let event = if i % 2 == 0 {
            booking = BookingId(Uuid::now_v7());
            InventoryEvent::SeatsReserved {
                booking_id: booking,
                cabin: Cabin::Economy,
                seats: 1,
                expires_at: at + skyfly_domain::inventory::SEAT_HOLD,
            }
        } else {
            InventoryEvent::SeatsReleased {
                booking_id: booking,
                cabin: Cabin::Economy,
                seats: 1,
                was: SeatState::Held,
                reason: ReleaseReason::Compensation,
            }
        };
        events.push(encode(&event, EventId(Uuid::now_v7()), meta.clone(), at)?);
    }
    Ok(events)
}
