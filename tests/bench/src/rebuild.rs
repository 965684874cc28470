//! `projection`: the rebuild rate of a read model over many events.

use crate::append::flight_history;
use crate::measure::Report;
use anyhow::bail;
use serde_json::json;
use skyfly_domain::ids::FlightId;
use skyfly_domain::inventory::FlightInventory;
use skyfly_domain::store::{EventStore, ExpectedVersion};
use skyfly_infra::PgEventStore;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Instant;

pub(crate) async fn rebuild_suite(
    pool: &PgPool,
    events: u64,
    out: &mut Report,
) -> anyhow::Result<()> {
    let store: Arc<dyn EventStore> = Arc::new(PgEventStore::new(pool.clone()));
    // Flights of 1,000 events each, appended in parallel, until `events` are in the log.
    let flights = events.div_ceil(1_000) as usize;
    if flights > 9_999 {
        bail!("at most 9,999,000 events for the rebuild figure");
    }
    let t = Instant::now();
    let results: Vec<anyhow::Result<()>> = {
        use futures::StreamExt;
        futures::stream::iter(0..flights)
            .map(|n| {
                let store = Arc::clone(&store);
                async move {
                    let flight = FlightId::parse(&format!("SR{}-2031-01-10", 1 + n))
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    let history = flight_history(&flight, 999)?;
                    let stream = skyfly_domain::aggregate::stream_id::<FlightInventory>(&flight);
                    store
                        .append(&stream, ExpectedVersion::NoStream, None, history)
                        .await?;
                    Ok(())
                }
            })
            .buffer_unordered(8)
            .collect()
            .await
    };
    for r in results {
        r?;
    }
    let generated = t.elapsed();
    let total = skyfly_infra::baseline::count_events(pool).await?;
    let projection = skyfly_projections::flights::FlightAvailabilityProjection;
    skyfly_projections::runtime::install(pool, &projection).await?;
    let t = Instant::now();
    let rebuilt =
        skyfly_projections::rebuild(pool, store.as_ref(), &projection, &|_, _| {}).await?;
    let took = t.elapsed();
    out.figure(json!({
        "suite": "projection", "kind": "rebuild", "projection": "flight_availability",
        "events": rebuilt, "log_events": total,
        "events_per_s": rebuilt as f64 / took.as_secs_f64().max(1e-9),
        "seconds": took.as_secs_f64(),
        "generate_events_per_s": total as f64 / generated.as_secs_f64().max(1e-9),
    }));
    Ok(())
}
