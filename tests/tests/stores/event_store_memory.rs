//! The event-store contract, in-memory adapter.
use skyfly_domain::store::EventStore;
use std::sync::Arc;

async fn store() -> Arc<dyn EventStore> {
    Arc::new(skyfly_infra::MemoryEventStore::new())
}

skyfly_tests::event_store_contract!(store());
