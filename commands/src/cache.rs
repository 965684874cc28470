//! The aggregate cache: per stream, an async lock around the last known state and version.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) type Entry = Option<(Box<dyn Any + Send + Sync>, u64)>;
pub(crate) type Slot = Arc<tokio::sync::Mutex<Entry>>;

pub(crate) struct AggregateCache {
    slots: Mutex<HashMap<String, Slot>>,
    capacity: usize,
}

impl AggregateCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The slot of `stream`; holding its lock is holding the right to run a command on the stream.
    pub(crate) fn slot(&self, stream: &str) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = slots.get(stream) {
            return Arc::clone(slot);
        }
        if slots.len() >= self.capacity {
            // Forget streams nobody is working on (the map holds the only reference). States are
            // reloaded from the store when needed again, so this is always safe.
            slots.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        let slot: Slot = Arc::new(tokio::sync::Mutex::new(None));
        slots.insert(stream.to_owned(), Arc::clone(&slot));
        slot
    }

    pub(crate) fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}
