//! Given/when/then for aggregates, and a serde round-trip check for event families.
//!
//! `given::<FlightInventory>([events]).when(command).then([events])` folds the given events into a
//! fresh state, decides the command against it and compares the outcome. It is compiled always (not
//! only under `cfg(test)`) so that the tests of other crates can use it too; like any test helper it
//! panics on a mismatch, and it has no dependency beyond the domain itself.

use crate::aggregate::{Aggregate, DomainEvent, stream_id};
use crate::event::{Actor, Metadata, RecordedEvent, decode, encode};
use crate::ids::{CommandId, EventId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Starts a scenario from the events already recorded on the stream.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let mut state = A::default();
    for event in events {
        state.evolve(&event);
    }
    Given { state }
}

/// A state built from past events, waiting for a command.
#[derive(Debug)]
pub struct Given<A> {
    state: A,
}

impl<A: Aggregate> Given<A> {
    /// The state the given events produced.
    pub fn state(&self) -> &A {
        &self.state
    }

    /// Decides `command` against the given state.
    pub fn when(self, command: impl Into<A::Command>) -> When<A> {
        let outcome = self.state.decide(&command.into());
        When {
            state: self.state,
            outcome,
        }
    }
}

/// The outcome of a command, waiting for an expectation.
#[derive(Debug)]
pub struct When<A: Aggregate> {
    state: A,
    outcome: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> When<A>
where
    A::Event: PartialEq,
{
    /// Expects exactly these events; returns the state after applying them.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = A::Event>) -> A {
        let expected: Vec<A::Event> = expected.into_iter().collect();
        match self.outcome {
            Ok(events) => {
                assert_eq!(
                    events, expected,
                    "the command decided other events than expected"
                );
                let mut state = self.state;
                for event in &events {
                    state.evolve(event);
                }
                state
            }
            Err(error) => {
                panic!("expected events {expected:?}, but the command was refused: {error:?}")
            }
        }
    }

    /// Expects the command to be a no-op: it had already taken effect.
    #[track_caller]
    pub fn then_nothing(self) -> A {
        self.then([])
    }

    /// Expects the command to be refused with exactly this error.
    #[track_caller]
    pub fn then_err(self, expected: A::Error) {
        match self.outcome {
            Ok(events) => {
                panic!("expected the refusal {expected:?}, but the command decided {events:?}")
            }
            Err(error) => assert_eq!(
                error, expected,
                "the command was refused for another reason"
            ),
        }
    }

    /// The raw outcome, for assertions the helpers above do not cover.
    pub fn outcome(self) -> Result<Vec<A::Event>, A::Error> {
        self.outcome
    }
}

/// Checks that `event` survives the store's codec unchanged: `encode`, then `decode` of the
/// recorded form gives the same event, the stored type name is the serde tag and
/// [`DomainEvent::event_type`], and the stored payload does not repeat the type.
#[track_caller]
pub fn assert_round_trips<E: DomainEvent + PartialEq>(event: &E) {
    let tagged = match serde_json::to_value(event) {
        Ok(value) => value,
        Err(error) => panic!("{event:?} does not serialize: {error}"),
    };
    assert_eq!(
        tagged.get("event_type").and_then(serde_json::Value::as_str),
        Some(event.event_type()),
        "the serde tag and DomainEvent::event_type disagree"
    );

    let metadata = Metadata::new(
        CommandId::derived("testing/round-trip"),
        Actor::system("testing"),
    );
    let new = match encode(
        event,
        EventId::from_uuid(Uuid::nil()),
        metadata,
        DateTime::<Utc>::UNIX_EPOCH,
    ) {
        Ok(new) => new,
        Err(error) => panic!("{event:?} does not encode: {error}"),
    };
    assert_eq!(new.event_type, event.event_type());
    assert!(
        new.payload.is_object(),
        "the payload of {} is not an object",
        new.event_type
    );
    assert!(
        new.payload.get("event_type").is_none(),
        "the payload repeats the event type"
    );

    let recorded = RecordedEvent {
        event_id: new.event_id,
        stream_id: "testing-1".to_owned(),
        stream_version: 1,
        global_position: 1,
        event_type: new.event_type,
        schema_version: new.schema_version,
        payload: new.payload,
        metadata: new.metadata,
        recorded_at: new.recorded_at,
    };
    match decode::<E>(&recorded) {
        Ok(back) => assert_eq!(
            &back, event,
            "the event changed on its way through the store"
        ),
        Err(error) => panic!("{} does not decode: {error}", recorded.event_type),
    }
}

/// `event` as the store records it on the stream of `A`'s instance `id` (its first event, at
/// global position 1), for tests of code that reads the log.
#[track_caller]
pub fn recorded<A: Aggregate>(id: impl std::fmt::Display, event: &A::Event) -> RecordedEvent {
    let metadata = Metadata::new(
        CommandId::derived("testing/recorded"),
        Actor::system("testing"),
    );
    let new = match encode(
        event,
        EventId::from_uuid(Uuid::nil()),
        metadata,
        DateTime::<Utc>::UNIX_EPOCH,
    ) {
        Ok(new) => new,
        Err(error) => panic!("{event:?} does not encode: {error}"),
    };
    RecordedEvent {
        event_id: new.event_id,
        stream_id: stream_id::<A>(id),
        stream_version: 1,
        global_position: 1,
        event_type: new.event_type,
        schema_version: new.schema_version,
        payload: new.payload,
        metadata: new.metadata,
        recorded_at: new.recorded_at,
    }
}

/// xorshift64*: a tiny deterministic generator for this crate's property tests, so that a sequence
/// is the same on every run.
#[cfg(test)]
pub(crate) struct Rng(pub(crate) u64);

#[cfg(test)]
impl Rng {
    /// A generator whose state is `seed` spread over the bits (never zero).
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
