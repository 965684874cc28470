//! The projector runtime against PostgreSQL: rows agree with the write side, a crash mid-batch
//! applies nothing twice and skips nothing, and a rebuild gives identical rows while the live
//! tables keep answering.

use async_trait::async_trait;
use skyfly_domain::event::RecordedEvent;
use skyfly_projections::flights::FlightAvailabilityProjection as FlightAvailability;
use skyfly_projections::runtime::{Projection, apply_batch, install};
use skyfly_projections::{Projector, rebuild};
use skyfly_tests::app::TestApp;
use sqlx::PgConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

type Row = (String, String, i32, i32, i32, i32);

async fn rows(app: &TestApp) -> Vec<Row> {
    sqlx::query_as("SELECT flight_id, cabin, capacity, available, held, sold FROM flight_availability ORDER BY flight_id, cabin")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// Schedules flights and moves seats around through the HTTP API.
async fn workload(app: &TestApp) {
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let csv = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/data/sample_schedule.csv"
    ));
    let report = app
        .import_schedule(
            csv.as_bytes(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            7,
            skyfly_domain::event::Actor::system("test"),
        )
        .await
        .unwrap();
    // SF100 on 2026-12-01 is the flight scheduled above: the import recognises it.
    assert_eq!((report.scheduled, report.already_scheduled), (3, 1));
    for (i, seats) in [2u32, 1, 3].iter().enumerate() {
        let booking = format!("0193b1c2-0000-7000-8000-00000000010{i}");
        let r = app
            .post(
                &format!("/api/v1/inventory/{flight}/reserve"),
                Some(&staff),
                &format!(r#"{{"booking_id":"{booking}","cabin":"economy","seats":{seats}}}"#),
            )
            .await;
        assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    }
    app.post(
        &format!("/api/v1/inventory/{flight}/commit"),
        Some(&staff),
        r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000100"}"#,
    )
    .await;
    app.post(
        &format!("/api/v1/inventory/{flight}/release"),
        Some(&staff),
        r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000101"}"#,
    )
    .await;
    // Reference snapshots are taken only once every event is final (another test's transaction
    // elsewhere in the cluster may hold the watermark back for a moment).
    let last: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    skyfly_tests::contract::final_head(app.state.bus.store(), u64::try_from(last).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_projection_agrees_with_the_write_side() {
    let app = TestApp::new().await;
    workload(&app).await;
    let projector = Projector::new(
        app.pool.clone(),
        Arc::clone(app.state.bus.store()),
        Arc::new(FlightAvailability),
    );
    install(&app.pool, &FlightAvailability).await.unwrap();
    projector.catch_up().await.unwrap();
    let rows = rows(&app).await;
    assert_eq!(
        rows.len(),
        2 + 2 + 1 + 3,
        "SF100 on 12-01 and 11-30: economy + business; SF101: economy; SF200: three cabins"
    );
    let sf100 = rows
        .iter()
        .find(|r| r.0 == "SF100-2026-12-01" && r.1 == "economy")
        .unwrap();
    // reserved 2 (committed), 1 (released), 3 (held): available 10 - 2 - 3 = 5
    assert_eq!((sf100.2, sf100.3, sf100.4, sf100.5), (10, 5, 3, 2));
    let status = projector.status().await.unwrap();
    assert_eq!((status.lag_events, status.status.as_str()), (0, "live"));
    assert!(status.position > 0);
}

/// Fails while applying the `fail_at`-th event of a batch — after earlier rows of the batch were
/// written, before the commit.
struct Crashing {
    seen: AtomicUsize,
    fail_at: usize,
}

#[async_trait]
impl Projection for Crashing {
    fn name(&self) -> &'static str {
        FlightAvailability.name()
    }
    fn create(&self, schema: &str) -> Vec<String> {
        FlightAvailability.create(schema)
    }
    fn tables(&self) -> &'static [&'static str] {
        FlightAvailability.tables()
    }
    async fn apply(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        event: &RecordedEvent,
    ) -> Result<(), sqlx::Error> {
        if self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
            return Err(sqlx::Error::Protocol("injected crash mid-batch".into()));
        }
        FlightAvailability.apply(tx, schema, event).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_mid_batch_applies_nothing_and_the_retry_applies_everything_once() {
    let app = TestApp::new().await;
    workload(&app).await;
    // A copy of the read model in its own schema and checkpoint, so the engine's own projector
    // (running in the background) does not touch it.
    sqlx::query("CREATE SCHEMA probe")
        .execute(&app.pool)
        .await
        .unwrap();
    for statement in FlightAvailability.create("probe") {
        sqlx::query(&statement).execute(&app.pool).await.unwrap();
    }
    sqlx::query("INSERT INTO projection_checkpoints (name, position) VALUES ('probe', 0)")
        .execute(&app.pool)
        .await
        .unwrap();
    let probe_rows = || async {
        sqlx::query_as::<_, Row>("SELECT flight_id, cabin, capacity, available, held, sold FROM probe.flight_availability ORDER BY 1, 2")
            .fetch_all(&app.pool)
            .await
            .unwrap()
    };
    let store = Arc::clone(app.state.bus.store());
    let crashing = Crashing {
        seen: AtomicUsize::new(0),
        fail_at: 9,
    };
    let failed = apply_batch(&app.pool, store.as_ref(), &crashing, "probe", "probe", 1000).await;
    assert!(failed.is_err(), "the injected failure surfaces");
    assert!(
        probe_rows().await.is_empty(),
        "rows written before the failure were rolled back with it"
    );
    let position: i64 =
        sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = 'probe'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(position, 0, "the checkpoint did not move");
    // Restart: the real projection applies every event exactly once, in small batches.
    while apply_batch(
        &app.pool,
        store.as_ref(),
        &FlightAvailability,
        "probe",
        "probe",
        3,
    )
    .await
    .unwrap()
        > 0
    {}
    let sf100 = probe_rows()
        .await
        .into_iter()
        .find(|r| r.0 == "SF100-2026-12-01" && r.1 == "economy")
        .unwrap();
    assert_eq!(
        (sf100.3, sf100.4, sf100.5),
        (5, 3, 2),
        "no event applied twice or skipped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_gives_identical_rows_while_queries_keep_answering() {
    let app = TestApp::new().await;
    workload(&app).await;
    let store = Arc::clone(app.state.bus.store());
    install(&app.pool, &FlightAvailability).await.unwrap();
    let projector = Projector::new(
        app.pool.clone(),
        Arc::clone(&store),
        Arc::new(FlightAvailability),
    );
    projector.catch_up().await.unwrap();
    let live = rows(&app).await;

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (first_answer, answered_once) = tokio::sync::oneshot::channel::<()>();
    let reader = {
        let (pool, stop) = (app.pool.clone(), stop.clone());
        tokio::spawn(async move {
            let mut first_answer = Some(first_answer);
            let mut answered = 0;
            while !stop.load(Ordering::SeqCst) {
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM flight_availability")
                    .fetch_one(&pool)
                    .await
                    .expect("queries keep answering");
                assert!(n > 0, "the live table is never empty during a rebuild");
                answered += 1;
                if let Some(tx) = first_answer.take() {
                    let _ = tx.send(());
                }
                tokio::task::yield_now().await;
            }
            answered
        })
    };
    // The reader is querying before the rebuild starts, and goes on until it has finished.
    answered_once.await.unwrap();
    let done = rebuild(&app.pool, store.as_ref(), &FlightAvailability, &|_, _| {})
        .await
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    assert!(reader.await.unwrap() > 0);
    assert!(done > 0);
    assert_eq!(rows(&app).await, live, "rebuilt row for row");
    // The live projector carries on from the rebuilt position.
    projector.catch_up().await.unwrap();
    assert_eq!(projector.status().await.unwrap().lag_events, 0);
}
