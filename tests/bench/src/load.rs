//! `load`: loading an aggregate with 10,000 events.

use crate::append::flight_history;
use crate::measure::Report;
use anyhow::bail;
use serde_json::json;
use skyfly_commands::CommandBus;
use skyfly_domain::ids::FlightId;
use skyfly_domain::inventory::FlightInventory;
use skyfly_domain::store::{EventStore, ExpectedVersion};
use skyfly_infra::PgEventStore;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Instant;

pub(crate) async fn load_suite(pool: &PgPool, out: &mut Report) -> anyhow::Result<()> {
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::new(pool.clone()));
    let flight = FlightId::parse("SF2-2031-01-10").map_err(|e| anyhow::anyhow!("{e}"))?;
    let history = flight_history(&flight, 9_999)?;
    let stream = skyfly_domain::aggregate::stream_id::<FlightInventory>(&flight);
    for chunk in history.chunks(1_000) {
        store
            .append(&stream, ExpectedVersion::Any, None, chunk.to_vec())
            .await?;
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        // A new bus has an empty cache: this is a cold load from the store.
        let bus = CommandBus::new(
            Arc::clone(&store),
            Arc::new(skyfly_infra::clock::SystemClock),
        );
        let t = Instant::now();
        let (_, version) = bus.load::<FlightInventory>(&flight).await?;
        times.push(t.elapsed());
        if version != 10_000 {
            bail!("loaded version {version}, expected 10000");
        }
    }
    times.sort_unstable();
    out.figure(json!({
        "suite": "load", "events": 10_000,
        "median_ms": times[times.len() / 2].as_secs_f64() * 1000.0,
        "max_ms": times[times.len() - 1].as_secs_f64() * 1000.0,
    }));
    Ok(())
}
