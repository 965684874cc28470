//! The event envelope: what the store records around every domain event.

use crate::aggregate::{Aggregate, DomainEvent, instance_id};
use crate::ids::{CommandId, EventId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who or what issued the command behind an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in user.
    User {
        /// The user's id.
        user_id: Uuid,
        /// The user's role when the command was issued (`"customer"` or `"staff"`).
        role: String,
    },
    /// The engine itself: a process manager, a scheduler, an importer.
    System {
        /// Which part of the engine, e.g. the process manager.
        component: String,
    },
}

impl Actor {
    /// The engine component named `component` as the actor.
    pub fn system(component: &str) -> Self {
        Actor::System {
            component: component.to_owned(),
        }
    }
}

/// Why an event happened: which command, caused by which event, in which conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Shared by every event of one business conversation (a booking and its saga).
    pub correlation_id: Uuid,
    /// The event (or command) that directly caused this one.
    pub causation_id: Uuid,
    /// The command that recorded this event; a command id already recorded appends nothing.
    pub command_id: CommandId,
    /// Who or what issued that command.
    pub actor: Actor,
    /// An optional id tying the event to an outside trace; absent when none was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl Metadata {
    /// Metadata for a command that starts a new conversation.
    pub fn new(command_id: CommandId, actor: Actor) -> Self {
        Self {
            correlation_id: command_id.0,
            causation_id: command_id.0,
            command_id,
            actor,
            trace_id: None,
        }
    }
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The event's own id (UUIDv7).
    pub event_id: EventId,
    /// The event's type name (the variant name, never renamed).
    pub event_type: String,
    /// Version of the payload's schema.
    pub schema_version: u32,
    /// The event's fields, as JSON.
    pub payload: serde_json::Value,
    /// Why the event happened.
    pub metadata: Metadata,
    /// When the event was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// An event as recorded: the envelope of docs/domain.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// The event's own id (UUIDv7).
    pub event_id: EventId,
    /// The stream it belongs to, `<category>-<id>`.
    pub stream_id: String,
    /// 1 for the first event of a stream.
    pub stream_version: u64,
    /// Strictly increasing along the global log (not necessarily dense).
    pub global_position: u64,
    /// The event's type name (the variant name, never renamed).
    pub event_type: String,
    /// Version of the payload's schema.
    pub schema_version: u32,
    /// The event's fields, as JSON.
    pub payload: serde_json::Value,
    /// Why the event happened.
    pub metadata: Metadata,
    /// When the event was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// Why a domain event could not be turned into a recorded one or back.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The domain event could not be serialized.
    #[error("event could not be encoded: {0}")]
    Encode(serde_json::Error),
    /// A recorded payload does not match its event type's fields.
    #[error("event {event_type} (schema {schema_version}) could not be decoded: {source}")]
    Decode {
        /// The recorded event type.
        event_type: String,
        /// The recorded schema version.
        schema_version: u32,
        /// What the JSON decoder objected to.
        source: serde_json::Error,
    },
    /// The event type is not one of the event family's variants (not raised today).
    #[error("event type {0} is not a variant's tag")]
    Shape(String),
    /// The stream id does not name an instance of the aggregate it was read as.
    #[error("stream {0} does not name an instance of its aggregate")]
    StreamId(String),
}

/// Turns a domain event into a `NewEvent`.
pub fn encode<E: DomainEvent>(
    event: &E,
    event_id: EventId,
    metadata: Metadata,
    recorded_at: DateTime<Utc>,
) -> Result<NewEvent, CodecError> {
    let mut v = serde_json::to_value(event).map_err(CodecError::Encode)?;
    let payload = v
        .get_mut("payload")
        .map(serde_json::Value::take)
        .unwrap_or(serde_json::Value::Object(Default::default()));
    Ok(NewEvent {
        event_id,
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        payload,
        metadata,
        recorded_at,
    })
}

/// Turns a recorded event back into its domain event.
pub fn decode<E: DomainEvent>(event: &RecordedEvent) -> Result<E, CodecError> {
    let tagged = serde_json::json!({ "event_type": event.event_type, "payload": event.payload });
    serde_json::from_value(tagged).map_err(|source| CodecError::Decode {
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        source,
    })
}

/// Turns a recorded event of aggregate `A` back into its domain event, with the id of the instance
/// it belongs to (parsed from its stream id, e.g. as a `FlightId` for `FlightInventory`). `None`
/// when the event is on another aggregate's stream; an error when it is on one of `A`'s but its id
/// or its payload does not parse.
pub fn decode_of<A: Aggregate, Id: std::str::FromStr>(
    event: &RecordedEvent,
) -> Option<Result<(Id, A::Event), CodecError>> {
    let id = instance_id::<A>(&event.stream_id)?;
    let Ok(id) = id.parse() else {
        return Some(Err(CodecError::StreamId(event.stream_id.clone())));
    };
    Some(decode::<A::Event>(event).map(|e| (id, e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cabin::Cabin;
    use crate::ids::{BookingId, FlightId};
    use crate::inventory::{FlightInventory, InventoryEvent};
    use crate::saga::BookingSaga;
    use crate::testing::recorded;

    fn reserved() -> InventoryEvent {
        InventoryEvent::SeatsReserved {
            booking_id: BookingId(Uuid::from_u128(7)),
            cabin: Cabin::Economy,
            seats: 2,
            expires_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn decode_of_gives_the_instance_and_the_event() {
        let flight = FlightId::parse("SF1-2031-01-10").unwrap();
        let event = recorded::<FlightInventory>(&flight, &reserved());
        let decoded = decode_of::<FlightInventory, FlightId>(&event).unwrap();
        assert_eq!(decoded.unwrap(), (flight, reserved()));
    }

    #[test]
    fn decode_of_ignores_another_aggregates_events() {
        let event = recorded::<FlightInventory>("SF1-2031-01-10", &reserved());
        assert!(decode_of::<BookingSaga, BookingId>(&event).is_none());
    }

    #[test]
    fn decode_of_refuses_a_stream_id_that_does_not_parse() {
        let event = recorded::<FlightInventory>("nonsense", &reserved());
        assert!(matches!(
            decode_of::<FlightInventory, FlightId>(&event),
            Some(Err(CodecError::StreamId(s))) if s == "flight-nonsense"
        ));
    }
}
