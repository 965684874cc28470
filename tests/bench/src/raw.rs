//! `raw`: single-row insert transactions/s into an event-shaped table, the database's own capacity.

use crate::measure::{CONCURRENCIES, Outcome, Report, closed_loop};
use chrono::Utc;
use serde_json::json;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::{Actor, Metadata, NewEvent, encode};
use skyfly_domain::ids::{BookingId, CommandId, EventId};
use skyfly_domain::inventory::InventoryEvent;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// Raw insert transactions/s per concurrency, for the ratios.
pub(crate) type Raw = Vec<(usize, f64)>;

pub(crate) async fn raw_suite(
    pool: &PgPool,
    load: Duration,
    out: &mut Report,
) -> anyhow::Result<Raw> {
    // The same columns, constraints and indexes as `events`, taken from it; positions from a
    // plain sequence instead of the append function.
    skyfly_infra::baseline::create(pool).await?;
    let sample = sample_event()?;
    let mut raw = Vec::new();
    for writers in CONCURRENCIES {
        let pool = pool.clone();
        let sample = sample.clone();
        let mut stats = closed_loop(writers, load, move |w, i| {
            let pool = pool.clone();
            let sample = sample.clone();
            async move {
                let stream = format!("raw{writers}-{w}");
                let version = i + 1;
                let r = skyfly_infra::baseline::insert(&pool, &stream, version, &sample).await;
                if r.is_ok() {
                    Outcome::Ok
                } else {
                    Outcome::Failed
                }
            }
        })
        .await;
        let tx_per_s = stats.per_s(stats.ok);
        raw.push((writers, tx_per_s));
        out.figure(json!({
            "suite": "raw", "writers": writers, "tx_per_s": tx_per_s,
            "p50_ms": stats.ms(50.0), "p99_ms": stats.ms(99.0), "failed": stats.failed,
        }));
    }
    Ok(raw)
}

/// A representative event (a seat reservation, ~300 bytes of JSON).
pub(crate) fn sample_event() -> anyhow::Result<NewEvent> {
    let event = InventoryEvent::SeatsReserved {
        booking_id: BookingId(Uuid::now_v7()),
        cabin: Cabin::Economy,
        seats: 2,
        expires_at: Utc::now() + skyfly_domain::inventory::SEAT_HOLD,
    };
    let meta = Metadata::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
    Ok(encode(&event, EventId(Uuid::now_v7()), meta, Utc::now())?)
}
