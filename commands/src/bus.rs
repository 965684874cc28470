//! The command path shared by the HTTP API, the CLI and the process managers.

use crate::cache::{AggregateCache, Entry};
use skyfly_domain::aggregate::{Aggregate, stream_id};
use skyfly_domain::clock::Clock;
use skyfly_domain::event::{CodecError, Metadata, NewEvent, decode, encode};
use skyfly_domain::ids::{CommandId, EventId};
use skyfly_domain::store::{AppendOutcome, EventStore, ExpectedVersion, StoreError, StreamAppend};
use std::sync::Arc;
use uuid::Uuid;

/// A command with what the command path needs to record it.
#[derive(Debug, Clone)]
pub struct Envelope<C> {
    /// The command to decide.
    pub command: C,
    /// The command's id (that of `metadata`): the store records it with the events, so a
    /// redelivered command appends nothing.
    pub command_id: CommandId,
    /// The metadata every event the command appends carries.
    pub metadata: Metadata,
    /// The client's `If-Match`: the command is refused unless the aggregate is at this version.
    pub expected_version: Option<u64>,
}

impl<C> Envelope<C> {
    /// Wraps `command` with `metadata`, taking the command id from it, and expects no version.
    pub fn new(command: C, metadata: Metadata) -> Self {
        Self {
            command_id: metadata.command_id,
            command,
            metadata,
            expected_version: None,
        }
    }

    /// Sets the version the aggregate must be at (`None`: any), as the client's `If-Match` does.
    pub fn expecting(mut self, version: Option<u64>) -> Self {
        self.expected_version = version;
        self
    }
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct Executed<A: Aggregate> {
    /// The aggregate's state after the command.
    pub state: A,
    /// The stream's version after the command.
    pub version: u64,
    /// The events this command appended (empty for a no-op or a redelivered command).
    pub events: Vec<A::Event>,
    /// Global position of the last event the command appended (for a redelivered command, of the
    /// first delivery); `None` if it appended nothing.
    pub position: Option<u64>,
    /// The command id had already been recorded: nothing was appended this time.
    pub already_applied: bool,
}

/// Why a command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    /// The domain refused the command.
    #[error(transparent)]
    Rejected(E),
    /// `If-Match` named a version the aggregate is no longer (or not yet) at, or conflicts
    /// persisted beyond the retry budget.
    #[error("version conflict: expected {expected}, aggregate is at {actual}")]
    Conflict {
        /// The version the command expected: the `If-Match`, or the version it was last decided on.
        expected: u64,
        /// The version the aggregate was at.
        actual: u64,
    },
    /// The event store failed (reading the stream or appending to it).
    #[error(transparent)]
    Store(StoreError),
    /// An event could not be encoded or decoded.
    #[error(transparent)]
    Codec(CodecError),
}

/// A command decided on an aggregate's latest state and not yet appended
/// ([`CommandBus::decide`]).
#[derive(Debug)]
pub struct Decided<A: Aggregate> {
    stream: String,
    state: A,
    version: u64,
    events: Vec<A::Event>,
    expected: ExpectedVersion,
    command_id: CommandId,
    batch: Vec<NewEvent>,
    already_applied: Option<u64>,
}

impl<A: Aggregate> Decided<A> {
    /// The state the command was decided on.
    pub fn state(&self) -> &A {
        &self.state
    }

    /// Whether the command was already recorded (it decides nothing now).
    pub fn already_applied(&self) -> bool {
        self.already_applied.is_some()
    }

    fn decides_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The stream's part of the append, if the command decided any event.
    fn part(&self) -> Option<StreamAppend> {
        self.decides_events().then(|| StreamAppend {
            stream: self.stream.clone(),
            expected: self.expected,
            command_id: Some(self.command_id),
            events: self.batch.clone(),
        })
    }
}

/// Runs commands on aggregates: decides each on the latest state of its stream (cached per
/// process, one command per stream at a time), appends the events with the expected version, and
/// decides again after a version conflict.
pub struct CommandBus {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    cache: AggregateCache,
    max_attempts: u32,
}

impl std::fmt::Debug for CommandBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandBus")
            .field("cached_streams", &self.cache.len())
            .finish_non_exhaustive()
    }
}

impl CommandBus {
    /// A bus appending to `store`, stamping events with `clock`'s time. It forgets the idle
    /// streams' cached states once it holds 50,000, and makes up to 24 attempts at a command that
    /// meets version conflicts.
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            cache: AggregateCache::new(50_000),
            max_attempts: 24,
        }
    }

    /// The event store the bus reads and appends to.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// The clock that stamps the events the bus appends.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Loads an aggregate without running a command: the cached state, brought up to date with
    /// the stream.
    pub async fn load<A: Aggregate>(
        &self,
        id: impl std::fmt::Display,
    ) -> Result<(A, u64), CommandError<A::Error>> {
        // Another process may have appended since this cache entry was written: a read must not
        // answer from a stale cache (commands need not look — the expected version catches it).
        self.read::<A>(id, true).await
    }

    /// The state as this process last knew it (loaded if it knows nothing): for a caller that is
    /// the stream's only writer for now (a worker driving the saga it claimed), where a stale
    /// state would only mean that its next command meets a version conflict and is decided again
    /// on the latest state.
    pub async fn load_cached<A: Aggregate>(
        &self,
        id: impl std::fmt::Display,
    ) -> Result<(A, u64), CommandError<A::Error>> {
        self.read::<A>(id, false).await
    }

    async fn read<A: Aggregate>(
        &self,
        id: impl std::fmt::Display,
        up_to_date: bool,
    ) -> Result<(A, u64), CommandError<A::Error>> {
        self.read_stream::<A>(&stream_id::<A>(id), up_to_date).await
    }

    async fn read_stream<A: Aggregate>(
        &self,
        stream: &str,
        up_to_date: bool,
    ) -> Result<(A, u64), CommandError<A::Error>> {
        let slot = self.cache.slot(stream);
        let mut entry = slot.lock().await;
        let (state, version) = if up_to_date {
            self.catch_up::<A>(stream, &mut entry).await?
        } else {
            self.current::<A>(stream, &mut entry).await?
        };
        Ok((state.clone(), version))
    }

    /// Runs `envelope` against the aggregate `id`.
    pub async fn execute<A: Aggregate>(
        &self,
        id: impl std::fmt::Display,
        envelope: Envelope<A::Command>,
    ) -> Result<Executed<A>, CommandError<A::Error>> {
        let stream = stream_id::<A>(id);
        let slot = self.cache.slot(&stream);
        let mut entry = slot.lock().await;
        let result = self
            .execute_locked::<A>(&stream, &mut entry, &envelope)
            .await;
        if matches!(result, Err(CommandError::Store(_) | CommandError::Codec(_))) {
            // We no longer know what the stream holds; the next command reloads it.
            *entry = None;
        }
        result
    }

    async fn execute_locked<A: Aggregate>(
        &self,
        stream: &str,
        entry: &mut Entry,
        envelope: &Envelope<A::Command>,
    ) -> Result<Executed<A>, CommandError<A::Error>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (state, version) = self.current::<A>(stream, entry).await?;
            if let Some(expected) = envelope.expected_version
                && expected != version
            {
                // The cache may be behind another process: look before refusing.
                let (_, version) = self.catch_up::<A>(stream, entry).await?;
                if expected != version {
                    return Err(CommandError::Conflict {
                        expected,
                        actual: version,
                    });
                }
                continue;
            }
            let events = match state.decide(&envelope.command) {
                Ok(events) => events,
                Err(rejection) => {
                    // A refusal on a stale cache would be wrong; refuse only on the latest state.
                    let (_, latest) = self.catch_up::<A>(stream, entry).await?;
                    if latest != version {
                        continue;
                    }
                    // A redelivered command is often refused by the very state it produced
                    // (the seats it took are gone): recognise it instead of refusing it.
                    if let Some(first) = self
                        .store
                        .recorded_command(envelope.command_id)
                        .await
                        .map_err(CommandError::Store)?
                    {
                        let (state, version) = self.current::<A>(stream, entry).await?;
                        return Ok(Executed {
                            state: state.clone(),
                            version,
                            events: Vec::new(),
                            position: Some(first.last_position),
                            already_applied: true,
                        });
                    }
                    return Err(CommandError::Rejected(rejection));
                }
            };
            if events.is_empty() {
                // "Nothing to do" on a stale cache would be as wrong as a refusal (a hold another
                // process took would stay held): decide it only on the latest state.
                let unchanged = state.clone();
                let (_, latest) = self.catch_up::<A>(stream, entry).await?;
                if latest != version {
                    continue;
                }
                return Ok(Executed {
                    state: unchanged,
                    version,
                    events,
                    position: None,
                    already_applied: false,
                });
            }
            let batch = self
                .encode_all::<A>(&events, &envelope.metadata)
                .map_err(CommandError::Codec)?;
            let expected = if version == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(version)
            };
            match self
                .store
                .append(stream, expected, Some(envelope.command_id), batch)
                .await
            {
                Ok(AppendOutcome::Appended(appended)) => {
                    let mut next = state.clone();
                    for e in &events {
                        next.evolve(e);
                    }
                    *entry = Some((Box::new(next.clone()), appended.stream_version));
                    return Ok(Executed {
                        state: next,
                        version: appended.stream_version,
                        events,
                        position: Some(appended.last_position),
                        already_applied: false,
                    });
                }
                Ok(AppendOutcome::AlreadyApplied(first)) => {
                    let (state, version) = self.catch_up::<A>(stream, entry).await?;
                    return Ok(Executed {
                        state: state.clone(),
                        version,
                        events: Vec::new(),
                        position: Some(first.last_position),
                        already_applied: true,
                    });
                }
                Err(StoreError::VersionConflict { actual, .. }) => {
                    // Another process appended. Catch up and decide again, within budget.
                    self.catch_up::<A>(stream, entry).await?;
                    if envelope.expected_version.is_some() || attempt >= self.max_attempts {
                        return Err(CommandError::Conflict {
                            expected: version,
                            actual,
                        });
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => return Err(CommandError::Store(e)),
            }
        }
    }

    /// Decides `envelope` on the latest state of the aggregate `id` without appending anything:
    /// [`CommandBus::append_together`] records what it decided atomically with another
    /// aggregate's decision. A command already recorded decides nothing (`already_applied`).
    pub async fn decide<A: Aggregate>(
        &self,
        id: impl std::fmt::Display,
        envelope: &Envelope<A::Command>,
    ) -> Result<Decided<A>, CommandError<A::Error>> {
        let stream = stream_id::<A>(id);
        let (state, version) = self.read_stream::<A>(&stream, true).await?;
        if let Some(expected) = envelope.expected_version
            && expected != version
        {
            return Err(CommandError::Conflict {
                expected,
                actual: version,
            });
        }
        let (events, already_applied) = match state.decide(&envelope.command) {
            Ok(events) => (events, None),
            Err(rejection) => match self
                .store
                .recorded_command(envelope.command_id)
                .await
                .map_err(CommandError::Store)?
            {
                Some(first) => (Vec::new(), Some(first.last_position)),
                None => return Err(CommandError::Rejected(rejection)),
            },
        };
        let batch = self
            .encode_all::<A>(&events, &envelope.metadata)
            .map_err(CommandError::Codec)?;
        Ok(Decided {
            stream,
            state,
            version,
            events,
            expected: if version == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(version)
            },
            command_id: envelope.command_id,
            batch,
            already_applied,
        })
    }

    /// Appends two decisions in one transaction: both aggregates change, or neither does. A
    /// version conflict (another writer appended after a decision) is
    /// [`StoreError::VersionConflict`]: decide both again.
    pub async fn append_together<A: Aggregate, B: Aggregate>(
        &self,
        a: Decided<A>,
        b: Decided<B>,
    ) -> Result<(Executed<A>, Executed<B>), StoreError> {
        let parts: Vec<StreamAppend> = [a.part(), b.part()].into_iter().flatten().collect();
        let mut outcomes = if parts.is_empty() {
            Vec::new()
        } else {
            self.store.append_streams(parts).await?
        }
        .into_iter();
        let a_outcome = if a.decides_events() {
            outcomes.next()
        } else {
            None
        };
        let b_outcome = if b.decides_events() {
            outcomes.next()
        } else {
            None
        };
        let a = self.settle(a, a_outcome).await?;
        let b = self.settle(b, b_outcome).await?;
        Ok((a, b))
    }

    /// What a decision did, once its append (if any) answered `outcome`; the cache learns it.
    async fn settle<A: Aggregate>(
        &self,
        d: Decided<A>,
        outcome: Option<AppendOutcome>,
    ) -> Result<Executed<A>, StoreError> {
        let already = match outcome {
            Some(AppendOutcome::Appended(appended)) => {
                let mut next = d.state;
                for e in &d.events {
                    next.evolve(e);
                }
                let slot = self.cache.slot(&d.stream);
                let mut entry = slot.lock().await;
                if matches!(&*entry, Some((_, v)) if *v == d.version) {
                    *entry = Some((Box::new(next.clone()), appended.stream_version));
                }
                return Ok(Executed {
                    state: next,
                    version: appended.stream_version,
                    events: d.events,
                    position: Some(appended.last_position),
                    already_applied: false,
                });
            }
            Some(AppendOutcome::AlreadyApplied(first)) => Some(first.last_position),
            None => d.already_applied,
        };
        let (state, version) = match already {
            Some(_) => match self.read_stream::<A>(&d.stream, true).await {
                Ok(latest) => latest,
                Err(CommandError::Store(e)) => return Err(e),
                Err(e) => return Err(StoreError::Backend(e.to_string())),
            },
            // Nothing to do: the state decided on.
            None => (d.state, d.version),
        };
        Ok(Executed {
            state,
            version,
            events: Vec::new(),
            position: already,
            already_applied: already.is_some(),
        })
    }

    /// The events as the store records them, stamped now, each with a new id.
    fn encode_all<A: Aggregate>(
        &self,
        events: &[A::Event],
        metadata: &Metadata,
    ) -> Result<Vec<NewEvent>, CodecError> {
        let now = self.clock.now();
        events
            .iter()
            .map(|e| encode(e, EventId(Uuid::now_v7()), metadata.clone(), now))
            .collect()
    }

    /// The cached state, loading it from the store on a miss.
    async fn current<'e, A: Aggregate>(
        &self,
        stream: &str,
        entry: &'e mut Entry,
    ) -> Result<(&'e A, u64), CommandError<A::Error>> {
        let cached = matches!(entry, Some((state, _)) if state.is::<A>());
        if !cached {
            *entry = Some((Box::new(A::default()), 0));
            return self.catch_up::<A>(stream, entry).await;
        }
        match entry {
            Some((state, version)) => match state.downcast_ref::<A>() {
                Some(state) => Ok((state, *version)),
                None => unreachable_state(),
            },
            None => unreachable_state(),
        }
    }

    /// Applies whatever the stream holds beyond the cached version.
    async fn catch_up<'e, A: Aggregate>(
        &self,
        stream: &str,
        entry: &'e mut Entry,
    ) -> Result<(&'e A, u64), CommandError<A::Error>> {
        let (mut state, mut version) = match entry.take() {
            Some((state, version)) => match state.downcast::<A>() {
                Ok(state) => (*state, version),
                Err(_) => (A::default(), 0),
            },
            None => (A::default(), 0),
        };
        let recorded = self
            .store
            .read_stream(stream, version)
            .await
            .map_err(CommandError::Store)?;
        for r in &recorded {
            let event: A::Event = decode(r).map_err(CommandError::Codec)?;
            state.evolve(&event);
            version = r.stream_version;
        }
        *entry = Some((Box::new(state), version));
        match entry {
            Some((state, version)) => match state.downcast_ref::<A>() {
                Some(state) => Ok((state, *version)),
                None => unreachable_state(),
            },
            None => unreachable_state(),
        }
    }
}

/// Capped exponential backoff with jitter: the process whose cache is fresh wins every race it is
/// in, so the one that lost must wait long enough for the other to drain its queue, not retry in
/// lockstep.
fn backoff(attempt: u32) -> std::time::Duration {
    let base_us = 200u64.saturating_mul(1 << attempt.min(8)).min(50_000);
    let jitter = u64::from(Uuid::new_v4().as_bytes()[0]) * base_us / 512;
    std::time::Duration::from_micros(base_us / 2 + jitter)
}

/// The entry was written with type `A` on the line before; a mismatch is a programming error.
#[allow(clippy::panic)]
fn unreachable_state() -> ! {
    panic!("aggregate cache entry changed type under its lock")
}
