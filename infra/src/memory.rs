//! The in-memory event store: the same contract as PostgreSQL, for fast unit and scenario tests.
//! Appends are serialised under one lock, so positions are dense and commit order is append order.

use async_trait::async_trait;
use chrono::SubsecRound;
use skyfly_domain::event::{NewEvent, RecordedEvent};
use skyfly_domain::ids::CommandId;
use skyfly_domain::store::{
    AppendOutcome, Appended, Backlog, EventStore, ExpectedVersion, LogFilter, StoreError,
    StreamAppend,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::watch;

#[derive(Default)]
struct Inner {
    log: Vec<RecordedEvent>,
    /// Indexes into `log`, per stream.
    streams: HashMap<String, Vec<usize>>,
    commands: HashMap<CommandId, Appended>,
    event_ids: HashSet<uuid::Uuid>,
}

impl Inner {
    /// Appends `events` to `stream`, which is at version `current` (checked by the caller).
    fn apply(
        &mut self,
        stream: &str,
        current: u64,
        command_id: Option<CommandId>,
        events: Vec<NewEvent>,
    ) -> Appended {
        let base = self.log.len();
        let count = events.len();
        for (i, e) in events.into_iter().enumerate() {
            self.event_ids.insert(e.event_id.0);
            self.log.push(RecordedEvent {
                event_id: e.event_id,
                stream_id: stream.to_owned(),
                stream_version: current + i as u64 + 1,
                global_position: (base + i + 1) as u64,
                event_type: e.event_type,
                schema_version: e.schema_version,
                payload: e.payload,
                metadata: e.metadata,
                // PostgreSQL keeps microseconds; so does this store, so both record the same instant.
                recorded_at: e.recorded_at.trunc_subsecs(6),
            });
        }
        self.streams
            .entry(stream.to_owned())
            .or_default()
            .extend(base..base + count);
        let appended = Appended {
            stream_version: current + count as u64,
            last_position: (base + count) as u64,
        };
        if let Some(c) = command_id {
            self.commands.insert(c, appended);
        }
        appended
    }
}

/// An event store held in memory, with the same contract as the PostgreSQL one; nothing outlives
/// the value.
pub struct MemoryEventStore {
    inner: Mutex<Inner>,
    head: watch::Sender<u64>,
}

impl Default for MemoryEventStore {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            head: watch::channel(0).0,
        }
    }
}

impl std::fmt::Debug for MemoryEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryEventStore")
            .field("head", &*self.head.borrow())
            .finish()
    }
}

impl MemoryEventStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl EventStore for MemoryEventStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        command_id: Option<CommandId>,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let part = StreamAppend {
            stream: stream.to_owned(),
            expected,
            command_id,
            events,
        };
        let mut outcomes = self.append_streams(vec![part]).await?;
        outcomes
            .pop()
            .ok_or_else(|| StoreError::Backend("an append answered nothing".into()))
    }

    async fn append_streams(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        if appends.is_empty() || appends.iter().any(|a| a.events.is_empty()) {
            return Err(StoreError::EmptyAppend);
        }
        let mut inner = self.lock();
        // All-or-nothing: check every part before touching the log.
        let mut streams = HashSet::new();
        let mut ids = HashSet::new();
        let mut plan = Vec::with_capacity(appends.len());
        for a in &appends {
            if !streams.insert(a.stream.as_str()) {
                return Err(StoreError::Backend(format!(
                    "stream {} named twice in one append",
                    a.stream
                )));
            }
            if let Some(done) = a.command_id.and_then(|c| inner.commands.get(&c)) {
                plan.push(Err(*done));
                continue;
            }
            let current = inner.streams.get(&a.stream).map_or(0, |v| v.len() as u64);
            let ok = match a.expected {
                ExpectedVersion::Any => true,
                ExpectedVersion::NoStream => current == 0,
                ExpectedVersion::Exact(v) => current == v,
            };
            if !ok {
                return Err(StoreError::VersionConflict {
                    stream: a.stream.clone(),
                    expected: a.expected,
                    actual: current,
                });
            }
            for e in &a.events {
                if inner.event_ids.contains(&e.event_id.0) || !ids.insert(e.event_id.0) {
                    return Err(StoreError::Backend(format!(
                        "duplicate event id {}",
                        e.event_id
                    )));
                }
            }
            plan.push(Ok(current));
        }
        let mut outcomes = Vec::with_capacity(appends.len());
        for (a, current) in appends.into_iter().zip(plan) {
            match current {
                Err(done) => outcomes.push(AppendOutcome::AlreadyApplied(done)),
                Ok(current) => {
                    let appended = inner.apply(&a.stream, current, a.command_id, a.events);
                    outcomes.push(AppendOutcome::Appended(appended));
                }
            }
        }
        let head = inner.log.len() as u64;
        drop(inner);
        self.head.send_replace(head);
        Ok(outcomes)
    }

    async fn read_stream(
        &self,
        stream: &str,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .streams
            .get(stream)
            .map(|idx| {
                idx.iter()
                    .skip(after_version as usize)
                    .map(|&i| inner.log[i].clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.lock();
        let start = (after as usize).min(inner.log.len());
        Ok(inner.log[start..].iter().take(limit).cloned().collect())
    }

    async fn read_filtered(
        &self,
        after: u64,
        limit: usize,
        filter: &LogFilter,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.lock();
        let start = (after as usize).min(inner.log.len());
        Ok(inner.log[start..]
            .iter()
            .filter(|e| filter.matches(e))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn backlog(&self, after: u64) -> Result<Backlog, StoreError> {
        let inner = self.lock();
        let start = (after as usize).min(inner.log.len());
        let behind = &inner.log[start..];
        Ok(Backlog {
            events: behind.len() as u64,
            oldest_recorded_at: behind.iter().map(|e| e.recorded_at).min(),
        })
    }

    async fn wait_for_events(&self, after: u64) {
        let mut rx = self.head.subscribe();
        // `wait_for` checks the current value first, so an append that landed before we subscribed
        // is not missed.
        let _ = rx.wait_for(|head| *head > after).await;
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        Ok(self.lock().log.len() as u64)
    }

    async fn recorded_command(
        &self,
        command_id: CommandId,
    ) -> Result<Option<Appended>, StoreError> {
        Ok(self.lock().commands.get(&command_id).copied())
    }
}
