//! Every scenario file of `fixtures/scenarios/` against the in-memory store and against
//! PostgreSQL, on a virtual clock; and proof that the files' expectations bite: changing one
//! expected event makes its scenario fail with a diff.

use skyfly_fixtures::scenario::Scenario;
use skyfly_tests::scenario::{self, StoreKind};
use std::time::Duration;

fn scenarios() -> Vec<(String, Scenario)> {
    scenario::shipped()
}

async fn run_all(store: StoreKind) {
    use futures::StreamExt;
    let all = scenarios();
    assert!(
        all.len() >= 40,
        "at least 40 scenarios ship, found {}",
        all.len()
    );
    let failures: Vec<String> = futures::stream::iter(&all)
        .map(|(file, s)| async move {
            match scenario::run(s, store).await {
                Ok(report) if report.passed() => None,
                Ok(report) => Some(format!("{file}:\n{}", report.findings.join("\n"))),
                Err(e) => Some(format!("{file}: could not run: {e:#}")),
            }
        })
        .buffer_unordered(4)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed on {store}:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_scenario_passes_on_the_memory_store() {
    run_all(StoreKind::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_scenario_passes_on_postgres() {
    run_all(StoreKind::Postgres).await;
}

/// For every scenario with expected events: rename the last expected event of its first stream.
/// The scenario must now fail, and its finding must show the change as a diff line.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changing_an_expected_event_fails_the_scenario_with_a_diff() {
    use futures::StreamExt;
    let mutated: Vec<(String, Scenario)> = scenarios()
        .into_iter()
        .filter_map(|(file, mut s)| {
            let first = s.then.events.first_mut()?;
            if let Some(types) = first.types.as_mut() {
                *types.last_mut()? = "NoSuchEvent".into();
            } else if let Some(events) = first.events.as_mut() {
                events
                    .last_mut()?
                    .insert("type".into(), "NoSuchEvent".into());
            }
            Some((file, s))
        })
        .collect();
    assert!(mutated.len() >= 30, "most scenarios expect events");
    let unnoticed: Vec<String> = futures::stream::iter(&mutated)
        .map(|(file, s)| async move {
            let report = scenario::run(s, StoreKind::Memory).await;
            match report {
                Ok(r) if r.findings.iter().any(|f| f.contains("-NoSuchEvent")) => None,
                Ok(r) => Some(format!("{file}: {:?}", r.findings)),
                Err(e) => Some(format!("{file}: {e:#}")),
            }
        })
        .buffer_unordered(4)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    assert!(
        unnoticed.is_empty(),
        "a changed expectation went unnoticed: {unnoticed:#?}"
    );
}

/// Whether the database `name` exists on the test server.
async fn database_exists(name: &str) -> bool {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&skyfly_tests::db::server_url())
        .await
        .expect("connect to the test server");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .expect("look the database up");
    let _ = admin.close().await;
    n == 1
}

// Regression (issue 12, item 19): a scenario run that did not end normally left its scratch
// database behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_or_cancelled_scenario_run_drops_its_scratch_database() {
    use skyfly_tests::db::{DatabaseGuard, server_url};
    let (file, mut failing) = scenarios()
        .into_iter()
        .find(|(f, _)| f.ends_with("01_booking_confirmed.toml"))
        .expect("the first scenario ships");
    failing.then.events[0].types = Some(vec!["NoSuchEvent".into()]);
    let db = DatabaseGuard::unborn();
    let report =
        skyfly_scenarios::run_in_database(&failing, StoreKind::Postgres, &server_url(), db.name())
            .await
            .expect("the run runs");
    assert!(!report.passed(), "{file}: the changed expectation fails");
    assert!(
        !database_exists(db.name()).await,
        "a failed run drops its database"
    );

    // Cancelled mid-run (Ctrl-C of `skyfly scenario run` drops the runs the same way).
    let db = DatabaseGuard::unborn();
    let (_, long) = scenarios()
        .into_iter()
        .find(|(f, _)| f.ends_with("38_staff_cancel_hybrid_booking_restores_miles.toml"))
        .expect("the scenario ships");
    let name = db.name().to_owned();
    let run = tokio::spawn(async move {
        skyfly_scenarios::run_in_database(&long, StoreKind::Postgres, &server_url(), &name).await
    });
    skyfly_tests::eventually(Duration::from_secs(60), "the scratch database", || async {
        database_exists(db.name()).await.then_some(())
    })
    .await;
    run.abort();
    assert!(
        run.await.is_err_and(|e| e.is_cancelled()),
        "the run was cancelled mid-way"
    );
    assert!(
        !database_exists(db.name()).await,
        "a cancelled run drops its database"
    );
}
