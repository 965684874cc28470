//! The event-store contract: every adapter must pass every function here.

use chrono::Utc;
use futures::StreamExt;
use skyfly_domain::event::{Actor, Metadata, NewEvent, RecordedEvent};
use skyfly_domain::ids::{CommandId, EventId};
use skyfly_domain::store::{
    AppendOutcome, Backlog, EventStore, ExpectedVersion, LogFilter, StoreError, StreamAppend,
    subscribe,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub fn event(kind: &str, n: u64) -> NewEvent {
    let command_id = CommandId(Uuid::now_v7());
    NewEvent {
        event_id: EventId(Uuid::now_v7()),
        event_type: kind.to_owned(),
        schema_version: 1,
        payload: serde_json::json!({ "n": n }),
        metadata: Metadata {
            trace_id: Some("trace-1".into()),
            ..Metadata::new(command_id, Actor::system("contract-test"))
        },
        recorded_at: Utc::now(),
    }
}

/// Waits until the log's readable head reaches `position`. Finality is cluster-wide: another
/// transaction anywhere may hold the watermark back for a moment, so reference points are taken
/// only once the events they refer to are final.
pub async fn final_head(store: &Arc<dyn EventStore>, position: u64) -> u64 {
    crate::eventually(Duration::from_secs(10), "events to become final", || {
        let store = Arc::clone(store);
        async move { store.head_position().await.ok().filter(|h| *h >= position) }
    })
    .await
}

fn stream(name: &str) -> String {
    format!("test-{name}-{}", Uuid::new_v4().simple())
}

pub async fn appended_events_read_back_with_their_envelope(store: Arc<dyn EventStore>) {
    let s = stream("envelope");
    let written = vec![event("Opened", 1), event("Moved", 2)];
    let out = store
        .append(&s, ExpectedVersion::NoStream, None, written.clone())
        .await
        .unwrap();
    let AppendOutcome::Appended(a) = out else {
        panic!("expected an append, got {out:?}")
    };
    assert_eq!(a.stream_version, 2);
    let read = store.read_stream(&s, 0).await.unwrap();
    assert_eq!(read.len(), 2);
    for (w, r) in written.iter().zip(&read) {
        assert_eq!(r.event_id, w.event_id);
        assert_eq!(r.stream_id, s);
        assert_eq!(r.event_type, w.event_type);
        assert_eq!(r.schema_version, 1);
        assert_eq!(r.payload, w.payload);
        assert_eq!(r.metadata, w.metadata);
        assert_eq!(
            r.recorded_at.timestamp_micros(),
            w.recorded_at.timestamp_micros()
        );
    }
    assert_eq!([read[0].stream_version, read[1].stream_version], [1, 2]);
    assert!(read[0].global_position < read[1].global_position);
    assert_eq!(read[1].global_position, a.last_position);
    assert_eq!(
        store.read_stream(&s, 1).await.unwrap().len(),
        1,
        "read after a version"
    );
    assert!(
        store
            .read_stream("test-no-such-stream", 0)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn expected_versions_are_enforced(store: Arc<dyn EventStore>) {
    let s = stream("expected");
    store
        .append(&s, ExpectedVersion::NoStream, None, vec![event("A", 1)])
        .await
        .unwrap();
    let err = store
        .append(&s, ExpectedVersion::NoStream, None, vec![event("A", 2)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VersionConflict { actual: 1, .. }),
        "{err:?}"
    );
    let err = store
        .append(&s, ExpectedVersion::Exact(0), None, vec![event("A", 2)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VersionConflict { actual: 1, .. }),
        "{err:?}"
    );
    let err = store
        .append(&s, ExpectedVersion::Exact(5), None, vec![event("A", 2)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VersionConflict { actual: 1, .. }),
        "{err:?}"
    );
    store
        .append(&s, ExpectedVersion::Exact(1), None, vec![event("A", 2)])
        .await
        .unwrap();
    store
        .append(&s, ExpectedVersion::Any, None, vec![event("A", 3)])
        .await
        .unwrap();
    let other = stream("expected-new");
    let err = store
        .append(&other, ExpectedVersion::Exact(1), None, vec![event("A", 1)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VersionConflict { actual: 0, .. }),
        "{err:?}"
    );
    store
        .append(&other, ExpectedVersion::Exact(0), None, vec![event("A", 1)])
        .await
        .unwrap();
    assert_eq!(store.read_stream(&s, 0).await.unwrap().len(), 3);
    assert!(matches!(
        store.append(&s, ExpectedVersion::Any, None, vec![]).await,
        Err(StoreError::EmptyAppend)
    ));
}

/// Guarantee (a): of N concurrent appends with the same expected version exactly one succeeds.
pub async fn concurrent_appends_with_one_expected_version_have_exactly_one_winner(
    store: Arc<dyn EventStore>,
) {
    for round in 0..5 {
        let s = stream("race");
        store
            .append(&s, ExpectedVersion::NoStream, None, vec![event("Start", 0)])
            .await
            .unwrap();
        let n = 16;
        let barrier = Arc::new(tokio::sync::Barrier::new(n));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (store, s, barrier) = (Arc::clone(&store), s.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    store
                        .append(
                            &s,
                            ExpectedVersion::Exact(1),
                            None,
                            vec![event("Race", i as u64)],
                        )
                        .await
                })
            })
            .collect();
        let mut won = 0;
        let mut conflicts = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(AppendOutcome::Appended(a)) => {
                    won += 1;
                    assert_eq!(a.stream_version, 2);
                }
                Err(StoreError::VersionConflict { actual: 2, .. }) => conflicts += 1,
                other => panic!("round {round}: unexpected outcome {other:?}"),
            }
        }
        assert_eq!((won, conflicts), (1, n - 1), "round {round}");
        assert_eq!(store.read_stream(&s, 0).await.unwrap().len(), 2);
    }
}

/// Guarantee (c): an append is all-or-nothing.
pub async fn a_failing_append_leaves_nothing_behind(store: Arc<dyn EventStore>) {
    let s = stream("atomic");
    let first = event("A", 1);
    let first_at = store
        .append(&s, ExpectedVersion::NoStream, None, vec![first.clone()])
        .await
        .unwrap()
        .appended()
        .last_position;
    let head = final_head(&store, first_at).await;
    let other = stream("atomic-other");
    // The third event reuses an event id already recorded: the whole batch must fail.
    let mut dup = event("C", 3);
    dup.event_id = first.event_id;
    let result = store
        .append(
            &other,
            ExpectedVersion::NoStream,
            None,
            vec![event("A", 1), event("B", 2), dup],
        )
        .await;
    assert!(
        result.is_err(),
        "a batch with a duplicate event id must fail"
    );
    assert!(
        store.read_stream(&other, 0).await.unwrap().is_empty(),
        "no event of a failed append may remain"
    );
    assert_eq!(store.head_position().await.unwrap(), head);
    // And the stream is usable afterwards, from version 0.
    store
        .append(&other, ExpectedVersion::NoStream, None, vec![event("A", 1)])
        .await
        .unwrap();
}

pub async fn a_recorded_command_appends_nothing_the_second_time(store: Arc<dyn EventStore>) {
    let s = stream("dedupe");
    let command = CommandId(Uuid::now_v7());
    let first = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            Some(command),
            vec![event("A", 1), event("B", 2)],
        )
        .await
        .unwrap();
    let AppendOutcome::Appended(first) = first else {
        panic!("first delivery must append")
    };
    // Redelivered, even with a now-stale expected version: recognised, nothing appended.
    let again = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            Some(command),
            vec![event("A", 1)],
        )
        .await
        .unwrap();
    assert_eq!(again, AppendOutcome::AlreadyApplied(first));
    assert_eq!(store.read_stream(&s, 0).await.unwrap().len(), 2);
    // A different command id on the same stream appends normally.
    let other = store
        .append(
            &s,
            ExpectedVersion::Exact(2),
            Some(CommandId(Uuid::now_v7())),
            vec![event("C", 3)],
        )
        .await
        .unwrap();
    assert!(matches!(other, AppendOutcome::Appended(a) if a.stream_version == 3));
}

fn part(stream: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend {
        stream: stream.to_owned(),
        expected,
        command_id: Some(CommandId(Uuid::now_v7())),
        events,
    }
}

/// Several streams in one append: all of them or none, in one run of the global log.
pub async fn an_append_to_several_streams_records_all_or_nothing(store: Arc<dyn EventStore>) {
    let (a, b) = (stream("together-a"), stream("together-b"));
    let first = part(&a, ExpectedVersion::NoStream, vec![event("A", 1)]);
    let second = part(
        &b,
        ExpectedVersion::NoStream,
        vec![event("B", 1), event("B", 2)],
    );
    let outcomes = store
        .append_streams(vec![first.clone(), second.clone()])
        .await
        .unwrap();
    let [AppendOutcome::Appended(oa), AppendOutcome::Appended(ob)] = outcomes[..] else {
        panic!("both parts append: {outcomes:?}")
    };
    assert_eq!((oa.stream_version, ob.stream_version), (1, 2));
    let (ra, rb) = (
        store.read_stream(&a, 0).await.unwrap(),
        store.read_stream(&b, 0).await.unwrap(),
    );
    assert_eq!((ra.len(), rb.len()), (1, 2));
    assert_eq!(oa.last_position, ra[0].global_position);
    assert_eq!(ob.last_position, rb[1].global_position);
    assert!(
        ra[0].global_position < rb[0].global_position,
        "parts are recorded in the order given"
    );
    // Nothing else can come between them in the log.
    final_head(&store, ob.last_position).await;
    let log = store.read_all(ra[0].global_position - 1, 3).await.unwrap();
    let ids: Vec<_> = log.iter().map(|e| e.stream_id.as_str()).collect();
    assert_eq!(ids, [a.as_str(), b.as_str(), b.as_str()]);

    // Redelivered: both commands recognised, nothing appended.
    let again = store
        .append_streams(vec![first.clone(), second.clone()])
        .await
        .unwrap();
    assert_eq!(
        again,
        [
            AppendOutcome::AlreadyApplied(oa),
            AppendOutcome::AlreadyApplied(ob)
        ]
    );

    // One part's expected version fails: the other part is not recorded either.
    let c = stream("together-c");
    let fresh = part(&c, ExpectedVersion::NoStream, vec![event("C", 1)]);
    let stale = part(&a, ExpectedVersion::NoStream, vec![event("A", 2)]);
    let refused = store.append_streams(vec![fresh.clone(), stale]).await;
    assert!(
        matches!(&refused, Err(StoreError::VersionConflict { stream, actual: 1, .. }) if *stream == a),
        "{refused:?}"
    );
    assert!(store.read_stream(&c, 0).await.unwrap().is_empty());
    assert_eq!(store.read_stream(&a, 0).await.unwrap().len(), 1);

    // A part whose command is recorded is skipped; the others append (a retry that finds half
    // of what an older, non-atomic writer left).
    let outcomes = store.append_streams(vec![first, fresh]).await.unwrap();
    assert_eq!(outcomes[0], AppendOutcome::AlreadyApplied(oa));
    assert!(matches!(outcomes[1], AppendOutcome::Appended(o) if o.stream_version == 1));

    // A stream named twice, or a part with no event, is refused.
    let twice = vec![
        part(&stream("twice"), ExpectedVersion::Any, vec![event("T", 1)]),
        part(&c, ExpectedVersion::Any, vec![event("T", 1)]),
        part(&c, ExpectedVersion::Any, vec![event("T", 2)]),
    ];
    assert!(store.append_streams(twice).await.is_err());
    assert_eq!(store.read_stream(&c, 0).await.unwrap().len(), 1);
    assert!(matches!(
        store
            .append_streams(vec![part(&c, ExpectedVersion::Any, vec![])])
            .await,
        Err(StoreError::EmptyAppend)
    ));
}

pub async fn the_global_log_reads_in_order_from_any_position(store: Arc<dyn EventStore>) {
    let start = store.head_position().await.unwrap();
    let (a, b) = (stream("log-a"), stream("log-b"));
    store
        .append(
            &a,
            ExpectedVersion::Any,
            None,
            vec![event("A", 1), event("A", 2)],
        )
        .await
        .unwrap();
    store
        .append(&b, ExpectedVersion::Any, None, vec![event("B", 1)])
        .await
        .unwrap();
    let last = store
        .append(&a, ExpectedVersion::Any, None, vec![event("A", 3)])
        .await
        .unwrap()
        .appended()
        .last_position;
    final_head(&store, last).await;
    let all = store.read_all(start, 100).await.unwrap();
    let mine: Vec<_> = all
        .iter()
        .filter(|e| e.stream_id == a || e.stream_id == b)
        .collect();
    assert_eq!(mine.len(), 4);
    assert!(
        all.windows(2)
            .all(|w| w[0].global_position < w[1].global_position)
    );
    let order: Vec<_> = mine
        .iter()
        .map(|e| (e.stream_id == a, e.payload["n"].as_u64().unwrap()))
        .collect();
    assert_eq!(order, vec![(true, 1), (true, 2), (false, 1), (true, 3)]);
    let from_second = store.read_all(mine[1].global_position, 100).await.unwrap();
    assert_eq!(
        from_second.first().map(|e| e.event_id),
        Some(mine[2].event_id)
    );
    assert_eq!(
        store.read_all(start, 2).await.unwrap().len(),
        2,
        "limit is honoured"
    );
    assert_eq!(
        store.head_position().await.unwrap(),
        mine[3].global_position
    );
}

/// Guarantee (b), under load: 8 concurrent appenders and a subscriber tailing the log; what the
/// subscriber saw must be exactly the final log, in order, nothing skipped, nothing twice.
pub async fn a_tailing_subscriber_sees_every_event_once_in_order(store: Arc<dyn EventStore>) {
    let start = store.head_position().await.unwrap();
    let appenders = 8;
    let appends_each = 60;
    let seen = Arc::new(tokio::sync::Mutex::new(Vec::<RecordedEvent>::new()));
    let reader = {
        let (store, seen) = (Arc::clone(&store), Arc::clone(&seen));
        tokio::spawn(async move {
            let mut sub = subscribe(store, start, 7);
            while let Some(e) = sub.next().await {
                seen.lock().await.push(e.unwrap());
            }
        })
    };
    let writers: Vec<_> = (0..appenders)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let s = stream(&format!("tail-{w}"));
                let mut total = 0;
                for i in 0..appends_each {
                    let n = 1 + (i * 7 + w) % 3; // batches of 1 to 3 events
                    let batch = (0..n).map(|k| event("Tick", (i * 10 + k) as u64)).collect();
                    store
                        .append(&s, ExpectedVersion::Any, None, batch)
                        .await
                        .unwrap();
                    total += n;
                    if i % 5 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                total
            })
        })
        .collect();
    let mut expected_count = 0;
    for w in writers {
        expected_count += w.await.unwrap();
    }
    let final_log = crate::eventually(
        Duration::from_secs(10),
        "every append to become final",
        || {
            let store = Arc::clone(&store);
            async move {
                store
                    .read_all(start, 1_000_000)
                    .await
                    .ok()
                    .filter(|log| log.len() >= expected_count)
            }
        },
    )
    .await;
    assert_eq!(final_log.len(), expected_count);
    crate::eventually(
        Duration::from_secs(20),
        "the subscriber to catch up",
        || {
            let seen = Arc::clone(&seen);
            async move { (seen.lock().await.len() >= expected_count).then_some(()) }
        },
    )
    .await;
    reader.abort();
    let seen = seen.lock().await;
    let ids: Vec<_> = seen.iter().map(|e| e.event_id).collect();
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "the subscriber saw an event twice");
    let expected: Vec<_> = final_log.iter().map(|e| e.event_id).collect();
    assert_eq!(
        ids, expected,
        "the subscriber's sequence differs from the final log"
    );
}

/// An event of `kind` in the conversation `correlation`.
fn in_conversation(kind: &str, n: u64, correlation: Uuid) -> NewEvent {
    let mut e = event(kind, n);
    e.metadata.correlation_id = correlation;
    e
}

/// `read_filtered`: each condition alone and together, after a position, with a limit; no filter
/// reads what `read_all` reads.
pub async fn the_log_reads_filtered_by_type_stream_and_conversation(store: Arc<dyn EventStore>) {
    let start = store.head_position().await.unwrap();
    let tag = Uuid::new_v4().simple().to_string();
    let (opened, moved) = (format!("Opened{tag}"), format!("Moved{tag}"));
    let (a, b) = (stream("filter-a"), stream("filter-b"));
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    store
        .append(
            &a,
            ExpectedVersion::NoStream,
            None,
            vec![
                in_conversation(&opened, 1, first),
                in_conversation(&moved, 2, first),
            ],
        )
        .await
        .unwrap();
    store
        .append(
            &b,
            ExpectedVersion::NoStream,
            None,
            vec![in_conversation(&opened, 3, second)],
        )
        .await
        .unwrap();
    let last = store
        .append(
            &a,
            ExpectedVersion::Exact(2),
            None,
            vec![in_conversation(&moved, 4, second)],
        )
        .await
        .unwrap()
        .appended()
        .last_position;
    final_head(&store, last).await;
    let numbers = |events: Vec<RecordedEvent>| -> Vec<u64> {
        assert!(
            events
                .windows(2)
                .all(|w| w[0].global_position < w[1].global_position),
            "in log order"
        );
        events
            .iter()
            .map(|e| e.payload["n"].as_u64().unwrap())
            .collect()
    };
    let read = |filter: LogFilter, after: u64, limit: usize| {
        let store = Arc::clone(&store);
        async move { store.read_filtered(after, limit, &filter).await.unwrap() }
    };
    let everything = read(LogFilter::default(), start, 100).await;
    let ids = |events: &[RecordedEvent]| events.iter().map(|e| e.event_id).collect::<Vec<_>>();
    assert_eq!(
        ids(&everything),
        ids(&store.read_all(start, 100).await.unwrap()),
        "no filter reads the log"
    );
    let of_type = |t: &str| LogFilter {
        event_type: Some(t.to_owned()),
        ..LogFilter::default()
    };
    let of_stream = |s: &str| LogFilter {
        stream_id: Some(s.to_owned()),
        ..LogFilter::default()
    };
    let of_conversation = |c: Uuid| LogFilter {
        correlation_id: Some(c),
        ..LogFilter::default()
    };
    assert_eq!(numbers(read(of_type(&opened), start, 100).await), [1, 3]);
    assert_eq!(numbers(read(of_stream(&a), start, 100).await), [1, 2, 4]);
    assert_eq!(numbers(read(of_stream(&b), start, 100).await), [3]);
    assert_eq!(numbers(read(of_conversation(first), 0, 100).await), [1, 2]);
    assert_eq!(numbers(read(of_conversation(second), 0, 100).await), [3, 4]);
    let all_three = LogFilter {
        event_type: Some(moved.clone()),
        stream_id: Some(a.clone()),
        correlation_id: Some(second),
    };
    assert_eq!(numbers(read(all_three, start, 100).await), [4]);
    let moved_in_a = LogFilter {
        event_type: Some(moved.clone()),
        ..of_stream(&a)
    };
    assert_eq!(numbers(read(moved_in_a, start, 100).await), [2, 4]);
    // Paging: the limit counts matching events; a page's last position is the next cursor.
    let page = read(of_stream(&a), start, 2).await;
    let cursor = page.last().unwrap().global_position;
    assert_eq!(numbers(page), [1, 2], "limit is honoured");
    assert_eq!(numbers(read(of_stream(&a), cursor, 2).await), [4]);
    assert_eq!(
        numbers(read(of_stream(&a), last, 100).await),
        Vec::<u64>::new()
    );
    assert!(
        read(of_type("NoSuchType"), 0, 100).await.is_empty(),
        "a filter nothing passes"
    );
}

/// `backlog`: how many readable events lie after a position, and the oldest one's time (the
/// earliest recorded, which need not be the first in the log).
pub async fn the_backlog_counts_readable_events_after_a_position(store: Arc<dyn EventStore>) {
    let start = store.head_position().await.unwrap();
    assert_eq!(
        store.backlog(start).await.unwrap(),
        Backlog::default(),
        "nothing after the head"
    );
    let s = stream("backlog");
    let mut older = event("Late", 2);
    older.recorded_at = Utc::now() - chrono::Duration::hours(1);
    let (one, two, three) = (event("First", 1), older, event("Last", 3));
    let (t_two, t_three) = (two.recorded_at, three.recorded_at);
    let last = store
        .append(&s, ExpectedVersion::NoStream, None, vec![one, two, three])
        .await
        .unwrap()
        .appended()
        .last_position;
    final_head(&store, last).await;
    let mine = store.read_stream(&s, 0).await.unwrap();
    let micros = |b: Backlog| (b.events, b.oldest_recorded_at.map(|t| t.timestamp_micros()));
    assert_eq!(
        micros(store.backlog(start).await.unwrap()),
        (3, Some(t_two.timestamp_micros()))
    );
    assert_eq!(
        micros(store.backlog(mine[0].global_position).await.unwrap()),
        (2, Some(t_two.timestamp_micros()))
    );
    assert_eq!(
        micros(store.backlog(mine[1].global_position).await.unwrap()),
        (1, Some(t_three.timestamp_micros()))
    );
    assert_eq!(store.backlog(last).await.unwrap(), Backlog::default());
    let whole = store.read_all(0, 1_000_000).await.unwrap();
    assert_eq!(
        store.backlog(0).await.unwrap().events,
        whole.len() as u64,
        "the backlog from the start is the readable log's size"
    );
}

/// A store made for one contract test: the store alone, or with what must live as long as the
/// test (its database's guard).
pub trait UnderTest {
    fn into_parts(self) -> (Arc<dyn EventStore>, Box<dyn std::any::Any>);
}

impl UnderTest for Arc<dyn EventStore> {
    fn into_parts(self) -> (Arc<dyn EventStore>, Box<dyn std::any::Any>) {
        (self, Box::new(()))
    }
}

impl<K: 'static> UnderTest for (Arc<dyn EventStore>, K) {
    fn into_parts(self) -> (Arc<dyn EventStore>, Box<dyn std::any::Any>) {
        (self.0, Box::new(self.1))
    }
}

/// Runs the whole contract against stores made by `make` (a fresh store each time: an
/// `Arc<dyn EventStore>`, or one with what it needs kept until the test ends, see [`UnderTest`]).
#[macro_export]
macro_rules! event_store_contract {
    ($make:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn appended_events_read_back_with_their_envelope() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::appended_events_read_back_with_their_envelope(store).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn expected_versions_are_enforced() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::expected_versions_are_enforced(store).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn concurrent_appends_with_one_expected_version_have_exactly_one_winner() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::concurrent_appends_with_one_expected_version_have_exactly_one_winner(
                store,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_failing_append_leaves_nothing_behind() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::a_failing_append_leaves_nothing_behind(store).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_recorded_command_appends_nothing_the_second_time() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::a_recorded_command_appends_nothing_the_second_time(store).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn an_append_to_several_streams_records_all_or_nothing() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::an_append_to_several_streams_records_all_or_nothing(store).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn the_global_log_reads_in_order_from_any_position() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::the_global_log_reads_in_order_from_any_position(store).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_tailing_subscriber_sees_every_event_once_in_order() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::a_tailing_subscriber_sees_every_event_once_in_order(store).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn the_log_reads_filtered_by_type_stream_and_conversation() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::the_log_reads_filtered_by_type_stream_and_conversation(store).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn the_backlog_counts_readable_events_after_a_position() {
            let (store, _keep) = $crate::contract::UnderTest::into_parts($make.await);
            $crate::contract::the_backlog_counts_readable_events_after_a_position(store).await;
        }
    };
}
