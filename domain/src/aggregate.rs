//! The shape every aggregate has: a pure `decide` and a total `evolve`.

use serde::{Serialize, de::DeserializeOwned};

/// An event family of one aggregate (an enum, one variant per event type).
///
/// Stored as `event_type` (the variant name, never renamed once released) plus a JSON payload (the
/// variant's fields). Implement it with `#[derive(Serialize, Deserialize)]` and
/// `#[serde(tag = "event_type", content = "payload")]`; [`crate::event::encode`] and
/// [`crate::event::decode`] then do the rest.
pub trait DomainEvent:
    Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The stored name of this event's type, e.g. `"SeatsReserved"`.
    fn event_type(&self) -> &'static str;

    /// Version of the payload's schema. Bump it (and add an upcaster) when a payload changes shape.
    fn schema_version(&self) -> u32 {
        1
    }
}

/// An event-sourced aggregate.
///
/// `Default` is the state before the first event (the stream does not exist yet).
pub trait Aggregate: Default + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// Stream category: streams of this aggregate are named `<CATEGORY>-<id>`.
    const CATEGORY: &'static str;
    type Event: DomainEvent;
    type Command: std::fmt::Debug + Send + Sync;
    type Error: std::error::Error + Clone + PartialEq + Send + Sync + 'static;

    /// Applies a recorded event. Total: no validation, no errors, no side effects.
    fn evolve(&mut self, event: &Self::Event);

    /// Decides what a command means in this state: the events to record, or why it is refused.
    /// An empty vector means the command had already taken effect (idempotent no-op).
    fn decide(&self, command: &Self::Command) -> Result<Vec<Self::Event>, Self::Error>;
}

/// Stream id of an aggregate instance: `<category>-<id>`.
pub fn stream_id<A: Aggregate>(id: impl std::fmt::Display) -> String {
    format!("{}-{}", A::CATEGORY, id)
}

/// Folds events into a state (used by loading and by time-travel queries).
pub fn fold<'a, A: Aggregate>(events: impl IntoIterator<Item = &'a A::Event>) -> A {
    let mut state = A::default();
    for e in events {
        state.evolve(e);
    }
    state
}
