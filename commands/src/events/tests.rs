//! Reading the log through the use cases, on the in-memory store.

use super::*;
use crate::Caller;
use crate::testing::{TestApplication, command_id, flight_plan, start};
use chrono::NaiveDate;
use futures::TryStreamExt;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::{Actor, Metadata, NewEvent};
use skyfly_domain::ids::{EventId, FlightId};
use skyfly_domain::store::ExpectedVersion;
use std::collections::BTreeSet;

async fn export_all(app: &Application, after: u64) -> Vec<RecordedEvent> {
    export(app, after).try_collect().await.unwrap()
}

/// Flights, bookings and their sagas (payments, loyalty, seats): a few hundred events of many
/// streams, interleaved in the log as the saga steps go, all appended through the command bus.
async fn busy_log(t: &TestApplication) -> (Caller, Vec<crate::booking::Placed>) {
    let mut flights: Vec<FlightId> = Vec::new();
    for day in 1..=20 {
        let date = NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
        flights.push(t.schedule(&flight_plan("SF100", date, "DFW", "ORD")).await);
    }
    let customer = t.customer().await;
    let mut placed = Vec::new();
    for (i, flight) in flights.iter().enumerate().take(12) {
        let request = crate::booking::PlaceBookingRequest::parse(
            &flight.to_string(),
            Cabin::Economy,
            &[("Ada", "Lovelace"), ("Alan", "Turing")][..1 + i % 2],
            "ada@example.com",
            ("4242424242424242", 12, 2030, "123"),
            0,
        )
        .unwrap();
        placed.push(
            crate::booking::place(&t.app, &customer, command_id(), request)
                .await
                .unwrap(),
        );
        // Drive every other one at once, so that sagas interleave in the log.
        if i % 2 == 1 {
            t.app.process.run_due().await.unwrap();
        }
    }
    for _ in 0..10 {
        if t.app.process.run_due().await.unwrap() == 0 {
            break;
        }
    }
    (customer, placed)
}

fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.global_position).collect()
}

#[tokio::test]
async fn an_export_from_zero_yields_every_event_of_every_stream_in_log_order() {
    let t = TestApplication::new();
    busy_log(&t).await;
    let head = t.app.bus.store().head_position().await.unwrap();
    assert!(head > 200, "a few hundred events, not {head}");

    let exported = export_all(&t.app, 0).await;
    assert_eq!(exported.len() as u64, head);
    assert!(
        positions(&exported).windows(2).all(|w| w[0] < w[1]),
        "strictly in global-position order"
    );
    assert_eq!(exported.last().map(|e| e.global_position), Some(head));
    let ids: BTreeSet<_> = exported.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), exported.len(), "no event twice");
    // Every stream, read on its own, is exactly its events of the export, in the same order.
    let streams: BTreeSet<&str> = exported.iter().map(|e| e.stream_id.as_str()).collect();
    for prefix in ["flight-", "booking-", "saga-", "payment-", "loyalty-"] {
        assert!(streams.iter().any(|s| s.starts_with(prefix)), "{prefix}");
    }
    for s in &streams {
        let own = stream(&t.app, s).await.unwrap();
        let from_export: Vec<_> = exported.iter().filter(|e| e.stream_id == *s).collect();
        assert_eq!(own.iter().collect::<Vec<_>>(), from_export, "{s}");
    }
}

#[tokio::test]
async fn an_export_after_a_position_yields_only_what_follows_it() {
    let t = TestApplication::new();
    busy_log(&t).await;
    let all = export_all(&t.app, 0).await;
    let middle = all[all.len() / 2].global_position;
    let rest = export_all(&t.app, middle).await;
    assert_eq!(rest.as_slice(), &all[all.len() / 2 + 1..]);
}

#[tokio::test]
async fn an_export_after_the_head_yields_nothing() {
    let t = TestApplication::new();
    assert!(export_all(&t.app, 0).await.is_empty(), "an empty log");
    busy_log(&t).await;
    let head = t.app.bus.store().head_position().await.unwrap();
    assert!(export_all(&t.app, head).await.is_empty());
    assert!(export_all(&t.app, head + 1_000).await.is_empty());
}

/// A note in one of a few streams: what the export reads does not depend on event types.
fn note(n: usize) -> NewEvent {
    NewEvent {
        event_id: EventId(uuid::Uuid::now_v7()),
        event_type: "Noted".into(),
        schema_version: 1,
        payload: serde_json::json!({ "n": n }),
        metadata: Metadata::new(command_id(), Actor::system("test")),
        recorded_at: start(),
    }
}

#[tokio::test]
async fn an_export_crosses_batch_boundaries_without_losing_or_repeating_an_event() {
    let t = TestApplication::new();
    let store = Arc::clone(t.app.bus.store());
    let total = 2 * EXPORT_BATCH + 1;
    let chunk = 250;
    let mut n = 0;
    while n < total {
        let stream = format!("note-{}", (n / chunk) % 3);
        let events: Vec<_> = (n..total.min(n + chunk)).map(note).collect();
        n += events.len();
        store
            .append(&stream, ExpectedVersion::Any, None, events)
            .await
            .unwrap();
    }

    let exported = export_all(&t.app, 0).await;
    assert_eq!(exported.len(), total);
    let numbers: Vec<u64> = exported
        .iter()
        .map(|e| e.payload["n"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (0..total as u64).collect::<Vec<_>>());
    assert!(positions(&exported).windows(2).all(|w| w[0] < w[1]));

    // From inside the first batch, and from exactly a batch boundary.
    let after = exported[EXPORT_BATCH - 1].global_position;
    let rest = export_all(&t.app, after).await;
    assert_eq!(rest.len(), total - EXPORT_BATCH);
    assert_eq!(
        rest.first().map(|e| e.payload["n"].as_u64()),
        Some(Some(EXPORT_BATCH as u64))
    );
    let head = exported.last().unwrap().global_position;
    assert_eq!(export_all(&t.app, head - 1).await.len(), 1);
}

#[tokio::test]
async fn a_stream_is_answered_alone_in_version_order() {
    let t = TestApplication::new();
    let (_, placed) = busy_log(&t).await;
    let saga = format!("saga-{}", placed[0].booking_id);
    let events = stream(&t.app, &saga).await.unwrap();
    assert!(events.len() > 5, "the whole saga, not {}", events.len());
    assert!(events.iter().all(|e| e.stream_id == saga));
    let versions: Vec<u64> = events.iter().map(|e| e.stream_version).collect();
    assert_eq!(versions, (1..=events.len() as u64).collect::<Vec<_>>());
    assert_eq!(events[0].event_type, "SagaStarted");
    assert_eq!(events.last().unwrap().event_type, "SagaEnded");
    assert!(positions(&events).windows(2).all(|w| w[0] < w[1]));

    assert!(
        stream(&t.app, "saga-00000000-0000-0000-0000-000000000000")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn tailing_from_the_head_yields_the_events_recorded_after() {
    let t = TestApplication::new();
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    t.schedule(&flight_plan("SF100", date, "DFW", "ORD")).await;
    let mut live = tail(&t.app, None).await.unwrap();
    t.schedule(&flight_plan("SF101", date, "ORD", "DFW")).await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(10), live.next())
        .await
        .expect("the tail yields the new event")
        .unwrap()
        .unwrap();
    assert_eq!(next.global_position, 2);
    assert_eq!(next.stream_id, "flight-SF101-2026-12-01");
}
