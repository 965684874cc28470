//! The original system's schedule files (`../shared/data-from-seed/`: without them the test
//! fails) imported through the engine: every line becomes a scheduled flight or an error with its
//! line and reason, and importing again adds nothing.

use skyfly_domain::event::Actor;
use skyfly_tests::app::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_seed_schedules_import_with_every_line_accounted_for() {
    let dir = skyfly_tests::seed_data_dir();
    let app = TestApp::new().await;
    let from = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(); // a Monday
    for file in [
        "domestic_flights.csv",
        "international_flights.csv",
        "csv_backup_domestic_flights.csv",
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let data_lines = String::from_utf8_lossy(&bytes)
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count();
        let import = |bytes: Vec<u8>| {
            let app = &app;
            async move {
                app.import_schedule(&bytes, from, 7, Actor::system("seed-import-test"))
                    .await
                    .unwrap()
            }
        };
        let first = import(bytes.clone()).await;
        // One week: each weekly line is one flight, or an error naming its line.
        let mut lines: Vec<u64> = first.errors.iter().map(|e| e.line).collect();
        lines.dedup();
        assert_eq!(
            lines.len(),
            first.errors.len(),
            "{file}: one error per line"
        );
        assert_eq!(first.rows, data_lines, "{file}: every data line was read");
        assert_eq!(
            first.scheduled + first.already_scheduled + first.errors.len(),
            data_lines,
            "{file}: every line is a flight or an error"
        );
        assert!(
            first
                .errors
                .iter()
                .all(|e| e.line >= 2 && !e.reason.is_empty()),
            "{file}: errors carry their line and reason"
        );
        let again = import(bytes).await;
        assert_eq!(
            (again.scheduled, again.already_scheduled),
            (0, first.scheduled + first.already_scheduled),
            "{file}: a second import adds nothing"
        );
        println!(
            "{file}: {data_lines} lines, {} flights scheduled, {} errors",
            first.scheduled,
            first.errors.len()
        );
    }
}
