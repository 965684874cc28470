//! The event store port.
//!
//! Two adapters implement it (PostgreSQL and in-memory, in `skyfly-infra`) and one contract suite
//! (`skyfly-tests`) holds both to the same guarantees:
//! - an append is all-or-nothing and checks the expected version atomically;
//! - of concurrent appends with the same expected version exactly one wins;
//! - the global log is read in one total order, and a reader tailing it never skips an event nor
//!   sees one twice, even while transactions commit out of order;
//! - an append that carries a command id already recorded appends nothing and says so.

use crate::event::{NewEvent, RecordedEvent};
use crate::ids::CommandId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use std::sync::Arc;
use uuid::Uuid;

/// What the appender believes the stream's version to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have exactly this version (`Exact(0)` is the same as `NoStream`).
    Exact(u64),
}

/// A successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The stream's version after the append.
    pub stream_version: u64,
    /// Global position of the last appended event.
    pub last_position: u64,
}

/// What came of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The events were appended.
    Appended(Appended),
    /// The command id was already recorded: nothing was appended. `stream_version` and
    /// `last_position` describe what that earlier command appended.
    AlreadyApplied(Appended),
}

impl AppendOutcome {
    /// The stream version and last position of the append, whether made now or by the earlier
    /// command.
    pub fn appended(&self) -> Appended {
        match self {
            AppendOutcome::Appended(a) | AppendOutcome::AlreadyApplied(a) => *a,
        }
    }
}

/// One stream's part of an atomic multi-stream append ([`EventStore::append_streams`]).
#[derive(Debug, Clone)]
pub struct StreamAppend {
    /// The stream appended to.
    pub stream: String,
    /// What the appender believes the stream's version to be.
    pub expected: ExpectedVersion,
    /// The command recorded with these events (an id already recorded appends nothing here).
    pub command_id: Option<CommandId>,
    /// The events, in order (at least one).
    pub events: Vec<NewEvent>,
}

/// Why the event store did not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The stream is not at the version the appender expected: someone else appended first.
    #[error("stream {stream} is at version {actual}, expected {expected:?}")]
    VersionConflict {
        /// The stream appended to.
        stream: String,
        /// The version the appender expected.
        expected: ExpectedVersion,
        /// The stream's actual version.
        actual: u64,
    },
    /// An append was asked with no events.
    #[error("an append needs at least one event")]
    EmptyAppend,
    /// The store cannot be reached right now; the same request may succeed later.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
    /// The store failed otherwise (e.g. a duplicate event id or unreadable metadata).
    #[error("event store failure: {0}")]
    Backend(String),
}

/// Which events of the global log a filtered read returns: every condition given must hold (none
/// given: every event).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Only events of this type, e.g. `"BookingRequested"`.
    pub event_type: Option<String>,
    /// Only events of this stream (the exact stream id, e.g. `"booking-<uuid>"`).
    pub stream_id: Option<String>,
    /// Only events of this conversation (`metadata.correlation_id`).
    pub correlation_id: Option<Uuid>,
}

impl LogFilter {
    /// Whether `event` passes the filter.
    pub fn matches(&self, event: &RecordedEvent) -> bool {
        self.event_type
            .as_deref()
            .is_none_or(|t| event.event_type == t)
            && self
                .stream_id
                .as_deref()
                .is_none_or(|s| event.stream_id == s)
            && self
                .correlation_id
                .is_none_or(|c| event.metadata.correlation_id == c)
    }
}

/// What of the readable log lies beyond a position: how far a reader there is behind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// How many readable events have a `global_position` above the position.
    pub events: u64,
    /// When the oldest of them was recorded (`None` when there are none).
    pub oldest_recorded_at: Option<DateTime<Utc>>,
}

/// The event store: appends events to streams under optimistic concurrency and reads streams and
/// the global log back in order.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` if its version matches `expected`, atomically. With a
    /// `command_id`, the command is recorded in the same transaction, and a command already
    /// recorded appends nothing and answers `AlreadyApplied`.
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        command_id: Option<CommandId>,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError>;

    /// Appends to several distinct streams in one transaction: every part is appended or none is.
    /// A part whose expected version does not hold fails the whole append with
    /// [`StoreError::VersionConflict`]; a part whose command id is already recorded appends nothing
    /// and answers `AlreadyApplied`, while the other parts are appended. Answers one outcome per
    /// part, in order. This is how one command creates two aggregates that must exist together
    /// (a booking and its saga).
    async fn append_streams(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendOutcome>, StoreError>;

    /// Events of one stream with `stream_version > after_version`, in order.
    async fn read_stream(
        &self,
        stream: &str,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events of the global log with `global_position > after`, in order. Only
    /// events whose position is final are returned: once read, no event will ever appear before
    /// them.
    async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events of the global log with `global_position > after` that pass `filter`,
    /// in order. Like `read_all`, only events whose position is final are returned, so a page's
    /// last position is a cursor that never skips an event.
    async fn read_filtered(
        &self,
        after: u64,
        limit: usize,
        filter: &LogFilter,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// How many readable events lie after `after`, and when the oldest of them was recorded
    /// (`backlog(0).events` is the size of the readable log; positions may have gaps, so it is not
    /// `head_position`).
    async fn backlog(&self, after: u64) -> Result<Backlog, StoreError>;

    /// Resolves when events after `after` may have become readable (it may resolve spuriously;
    /// callers read again). Implementations wake on a notification, not a fixed poll.
    async fn wait_for_events(&self, after: u64);

    /// The position of the last readable event (0 for an empty log).
    async fn head_position(&self) -> Result<u64, StoreError>;

    /// The position of the last committed event, readable or not yet (a store whose events are
    /// readable as soon as they are committed answers `head_position`). Waiting until
    /// `head_position` reaches it is waiting until everything written so far can be read.
    async fn committed_head(&self) -> Result<u64, StoreError> {
        self.head_position().await
    }

    /// A position every event up to which is readable, as cheaply as the store can tell (a lower
    /// bound of `head_position`; a store that tracks what it has seen answers without I/O).
    async fn known_head(&self) -> u64 {
        self.head_position().await.unwrap_or(0)
    }

    /// What a recorded command appended, if the command id is recorded.
    async fn recorded_command(&self, command_id: CommandId)
    -> Result<Option<Appended>, StoreError>;
}

/// Follows the global log from `after`: catches up, then goes live. The stream ends only on an
/// error.
pub fn subscribe(
    store: Arc<dyn EventStore>,
    after: u64,
    batch: usize,
) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
    use futures::StreamExt;
    let batches = futures::stream::unfold(
        (store, after, false),
        move |(store, pos, failed)| async move {
            if failed {
                return None;
            }
            loop {
                match store.read_all(pos, batch).await {
                    Ok(events) if events.is_empty() => store.wait_for_events(pos).await,
                    Ok(events) => {
                        let next = events.last().map_or(pos, |e| e.global_position);
                        let items: Vec<_> = events.into_iter().map(Ok).collect();
                        return Some((futures::stream::iter(items), (store, next, false)));
                    }
                    Err(e) => {
                        return Some((futures::stream::iter(vec![Err(e)]), (store, pos, true)));
                    }
                }
            }
        },
    );
    batches.flatten().boxed()
}
