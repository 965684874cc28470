//! The event envelope: what the store records around every domain event.

use crate::aggregate::DomainEvent;
use crate::ids::{CommandId, EventId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who or what issued the command behind an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in user.
    User { user_id: Uuid, role: String },
    /// The engine itself: a process manager, a scheduler, an importer.
    System { component: String },
}

impl Actor {
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
    pub command_id: CommandId,
    pub actor: Actor,
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
    pub event_id: EventId,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: serde_json::Value,
    pub metadata: Metadata,
    pub recorded_at: DateTime<Utc>,
}

/// An event as recorded: the envelope of docs/domain.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    pub event_id: EventId,
    pub stream_id: String,
    /// 1 for the first event of a stream.
    pub stream_version: u64,
    /// Strictly increasing along the global log (not necessarily dense).
    pub global_position: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: serde_json::Value,
    pub metadata: Metadata,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("event could not be encoded: {0}")]
    Encode(serde_json::Error),
    #[error("event {event_type} (schema {schema_version}) could not be decoded: {source}")]
    Decode {
        event_type: String,
        schema_version: u32,
        source: serde_json::Error,
    },
    #[error("event type {0} is not a variant's tag")]
    Shape(String),
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
