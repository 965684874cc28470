//! The event-store contract, PostgreSQL adapter, plus what only PostgreSQL can get wrong:
//! transactions that commit out of position order.
use futures::StreamExt;
use skyfly_domain::store::{EventStore, ExpectedVersion, StreamAppend, subscribe};
use skyfly_infra::PgEventStore;
use skyfly_tests::contract::event;
use skyfly_tests::db::TestDatabase;
use std::sync::Arc;
use std::time::Duration;

/// A store on a database of its own, and the database (dropped with it).
async fn store() -> (Arc<dyn EventStore>, TestDatabase) {
    let db = skyfly_tests::db::fresh_database().await;
    (Arc::new(PgEventStore::new(db.pool.clone())), db)
}

skyfly_tests::event_store_contract!(store());

/// Regression guard for the classic gap bug (Marten/Axon): a transaction takes a low position, others
/// take higher ones and commit first. A reader that followed `global_position` naively would read
/// the higher ones, move its checkpoint past the low one, and skip it forever once it commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_late_commit_below_the_tail_is_neither_skipped_nor_reordered() {
    let db = skyfly_tests::db::fresh_database().await;
    let pool = db.pool.clone();
    let store = Arc::new(PgEventStore::new(pool.clone()));
    let warm = store
        .append("warmup", ExpectedVersion::Any, None, vec![event("Warm", 0)])
        .await
        .unwrap();
    let dyn_store: Arc<dyn EventStore> = store.clone();
    let start = skyfly_tests::contract::final_head(&dyn_store, warm.appended().last_position).await;

    let (tx_seen, mut rx_seen) = tokio::sync::mpsc::unbounded_channel();
    let reader = {
        let store: Arc<dyn EventStore> = store.clone();
        tokio::spawn(async move {
            let mut sub = subscribe(store, start, 100);
            while let Some(e) = sub.next().await {
                if tx_seen.send(e.unwrap()).is_err() {
                    return;
                }
            }
        })
    };

    // The slow transaction: appends (taking the lowest position) and stays open.
    let mut slow = pool.begin().await.unwrap();
    let low: i64 =
        sqlx::query_scalar("SELECT last_position FROM skyfly_append('slow', -1, NULL, $1)")
            .bind(serde_json::json!([{
                "event_id": uuid::Uuid::now_v7(), "event_type": "Slow", "schema_version": 1,
                "payload": {}, "metadata": serde_json::to_value(event("x", 0).metadata).unwrap(),
                "recorded_at": chrono::Utc::now()
            }]))
            .fetch_one(&mut *slow)
            .await
            .unwrap();

    // Fast appenders commit 30 events above it.
    for i in 0..30 {
        store
            .append(
                &format!("fast-{}", i % 4),
                ExpectedVersion::Any,
                None,
                vec![event("Fast", i)],
            )
            .await
            .unwrap();
    }
    let committed_above: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE global_position > $1")
            .bind(low)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        committed_above, 30,
        "the fast appends are committed and visible above the open one"
    );

    // While the slow transaction is open, the subscriber must not deliver anything past it. We
    // know it has looked: the store answers read_all with nothing beyond `start` right now.
    assert!(
        store.read_all(start, 100).await.unwrap().is_empty(),
        "events above an open transaction are not final"
    );
    assert!(
        rx_seen.try_recv().is_err(),
        "the subscriber delivered an event above an open transaction"
    );

    slow.commit().await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 31 {
        let e = tokio::time::timeout(Duration::from_secs(10), rx_seen.recv())
            .await
            .expect("subscriber stalled")
            .unwrap();
        seen.push(e);
    }
    reader.abort();
    assert_eq!(
        seen[0].event_type, "Slow",
        "the late commit comes first, in position order"
    );
    assert_eq!(seen[0].global_position as i64, low);
    assert!(
        seen.windows(2)
            .all(|w| w[0].global_position < w[1].global_position)
    );
    assert_eq!(seen.iter().filter(|e| e.event_type == "Fast").count(), 30);
}

/// Stream order and global order agree even when appenders to one stream race: each stream
/// version is globally after the previous one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_order_and_global_order_agree_under_contention() {
    let (store, _db) = store().await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for j in 0..20 {
                    store
                        .append(
                            "hot",
                            ExpectedVersion::Any,
                            None,
                            vec![event("Hot", i * 100 + j)],
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let events = store.read_stream("hot", 0).await.unwrap();
    assert_eq!(events.len(), 320);
    assert!(
        events
            .windows(2)
            .all(|w| w[0].global_position < w[1].global_position
                && w[0].stream_version + 1 == w[1].stream_version)
    );
}

fn part(stream: &str, events: Vec<skyfly_domain::event::NewEvent>) -> StreamAppend {
    StreamAppend {
        stream: stream.to_owned(),
        expected: ExpectedVersion::Any,
        command_id: None,
        events,
    }
}

/// A value PostgreSQL refuses in one part (jsonb holds no U+0000) fails the whole append: the
/// part before it is not recorded either (a booking's saga never outlives its refused booking).
#[tokio::test]
async fn a_value_refused_in_one_part_records_no_part() {
    let (store, _db) = store().await;
    let mut refused = event("BookingRequested", 1);
    refused.payload = serde_json::json!({ "first_name": "Ada\u{0}" });
    let result = store
        .append_streams(vec![
            part("saga-nul", vec![event("SagaStarted", 1)]),
            part("booking-nul", vec![refused]),
        ])
        .await;
    assert!(result.is_err(), "{result:?}");
    assert!(store.read_stream("saga-nul", 0).await.unwrap().is_empty());
    assert!(
        store
            .read_stream("booking-nul", 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.committed_head().await.unwrap(), 0);
}

/// Multi-stream appends that name the same streams in opposite orders, racing single appends,
/// neither deadlock nor let a stream's order disagree with the global log's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_multi_stream_appends_keep_stream_order_and_global_order_in_step() {
    let (store, _db) = store().await;
    let mut tasks = Vec::new();
    for task in 0..6u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..15 {
                let (x, y) = if task % 2 == 0 {
                    ("x", "y")
                } else {
                    ("y", "x")
                };
                if task == 5 {
                    store
                        .append("y", ExpectedVersion::Any, None, vec![event("Y", n)])
                        .await
                        .unwrap();
                } else {
                    store
                        .append_streams(vec![
                            part(x, vec![event("X", n)]),
                            part(y, vec![event("Y", n), event("Y", n)]),
                        ])
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("no deadlock")
            .unwrap();
    }
    for s in ["x", "y"] {
        let events = store.read_stream(s, 0).await.unwrap();
        assert!(events.len() >= 75, "{s}: {}", events.len());
        for w in events.windows(2) {
            assert_eq!(w[1].stream_version, w[0].stream_version + 1);
            assert!(
                w[0].global_position < w[1].global_position,
                "{s}: version {} at {} before version {} at {}",
                w[0].stream_version,
                w[0].global_position,
                w[1].stream_version,
                w[1].global_position
            );
        }
    }
}
