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
    /// What happened to an instance: the events its stream records.
    type Event: DomainEvent;
    /// What can be asked of an instance.
    type Command: std::fmt::Debug + Send + Sync;
    /// Why a command is refused (a typed rejection with a stable code).
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

/// The id of the instance of `A` whose stream this is: the inverse of [`stream_id`]
/// (`"flight-SF1-2031-01-10"` → `Some("SF1-2031-01-10")` for `FlightInventory`). `None` when the
/// stream belongs to another aggregate.
pub fn instance_id<A: Aggregate>(stream_id: &str) -> Option<&str> {
    stream_id.strip_prefix(A::CATEGORY)?.strip_prefix('-')
}

/// Folds events into a state (used by loading and by time-travel queries).
pub fn fold<'a, A: Aggregate>(events: impl IntoIterator<Item = &'a A::Event>) -> A {
    let mut state = A::default();
    for e in events {
        state.evolve(e);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultBoard;
    use crate::inventory::FlightInventory;
    use crate::saga::BookingSaga;

    #[test]
    fn instance_id_is_the_inverse_of_stream_id() {
        let stream = stream_id::<FlightInventory>("SF1-2031-01-10");
        assert_eq!(stream, "flight-SF1-2031-01-10");
        assert_eq!(
            instance_id::<FlightInventory>(&stream),
            Some("SF1-2031-01-10")
        );
        assert_eq!(instance_id::<FaultBoard>("faults-board"), Some("board"));
    }

    #[test]
    fn instance_id_refuses_another_aggregates_stream() {
        assert_eq!(instance_id::<BookingSaga>("flight-SF1-2031-01-10"), None);
        // A category is a whole word: `sagas-…` is not a saga's stream, nor is `saga` alone.
        assert_eq!(instance_id::<BookingSaga>("sagas-1"), None);
        assert_eq!(instance_id::<BookingSaga>("saga"), None);
    }
}
