//! Reading the log as auditors do: one stream, the whole log from a position, or follow it live.
//! Everything goes through the event-store port, so it works on every store.

use crate::Application;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::store::{EventStore, StoreError};
use std::sync::Arc;

#[cfg(test)]
mod tests;

/// How many events an export reads at a time.
const EXPORT_BATCH: usize = 5_000;

/// The events of one stream, in order.
pub async fn stream(app: &Application, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
    app.bus.store().read_stream(stream_id, 0).await
}

/// Every event after global position `after` that is readable now, in log order, in batches.
pub fn export(
    app: &Application,
    after: u64,
) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
    let store: Arc<dyn EventStore> = Arc::clone(app.bus.store());
    futures::stream::try_unfold((store, after), |(store, position)| async move {
        let batch = store.read_all(position, EXPORT_BATCH).await?;
        Ok(batch.last().map(|e| e.global_position).map(|last| {
            let events = futures::stream::iter(batch.into_iter().map(Ok::<_, StoreError>));
            (events, (store, last))
        }))
    })
    .try_flatten()
    .boxed()
}

/// Follows the log live from `after` (the head if `None`): every event as it becomes readable.
pub async fn tail(
    app: &Application,
    after: Option<u64>,
) -> Result<BoxStream<'static, Result<RecordedEvent, StoreError>>, StoreError> {
    let store = Arc::clone(app.bus.store());
    let from = match after {
        Some(p) => p,
        None => store.head_position().await?,
    };
    Ok(skyfly_domain::store::subscribe(store, from, 500))
}
