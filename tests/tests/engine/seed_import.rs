//! The original system's schedule files (`../shared/data-from-seed/`: without them the test
//! fails) imported through the engine: every line is in exactly one count (scheduled, already
//! scheduled, outside the range, rejected with its line and reason), the counts add up to the
//! file's lines, and importing again adds nothing.

use skyfly_commands::flights::ImportReport;
use skyfly_domain::event::Actor;
use skyfly_tests::app::TestApp;

/// The report's counts add up to the file's data lines, and each rejected line has one error.
fn assert_every_line_is_counted_once(file: &str, days: u32, data_lines: usize, r: &ImportReport) {
    assert_eq!(
        r.lines, data_lines,
        "{file}, {days} days: every data line was read"
    );
    assert_eq!(
        r.scheduled + r.already_scheduled + r.outside_window + r.rejected,
        data_lines,
        "{file}, {days} days: every line is in exactly one count"
    );
    let mut lines: Vec<u64> = r.errors.iter().map(|e| e.line).collect();
    lines.dedup();
    assert_eq!(
        lines.len(),
        r.rejected,
        "{file}: one error per rejected line"
    );
    assert_eq!(
        r.errors.len(),
        r.rejected,
        "{file}: one error per rejected line"
    );
    assert!(
        r.errors.iter().all(|e| e.line >= 2 && !e.reason.is_empty()),
        "{file}: errors carry their line and reason"
    );
    assert!(r.accounts_for_every_line(), "{file}: {days} days");
}

// Regression (issue 12, item 9): with days=1 the domestic file accounted for 1,189 of its
// 5,927 lines; the lines whose weekday fell outside the range were in no count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_seed_schedules_import_with_every_line_accounted_for() {
    let dir = skyfly_tests::seed_data_dir();
    let app = TestApp::new().await;
    let first_monday = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    for (week, file) in [
        "domestic_flights.csv",
        "international_flights.csv",
        "csv_backup_domestic_flights.csv",
    ]
    .into_iter()
    .enumerate()
    {
        // A week of its own for each file: the files share flight numbers (the domestic file's
        // Air India flights are in the international one), and this test is about one file.
        let from = first_monday + chrono::Duration::weeks(week as i64);
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let data_lines = String::from_utf8_lossy(&bytes)
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count();
        let import = |days: u32| {
            let (app, bytes) = (&app, bytes.clone());
            async move {
                app.import_schedule(&bytes, from, days, Actor::system("seed-import-test"))
                    .await
                    .unwrap()
            }
        };
        // One day: the Monday lines; the others fly on no date of the range.
        let monday = import(1).await;
        assert_every_line_is_counted_once(file, 1, data_lines, &monday);
        assert!(
            monday.outside_window > 0 || monday.lines == monday.rejected,
            "{file}: {monday:?}"
        );
        // One week: each weekly line is one flight instance; Monday's exist already.
        let week = import(7).await;
        assert_every_line_is_counted_once(file, 7, data_lines, &week);
        assert_eq!(week.outside_window, 0, "{file}: every weekday is in a week");
        assert_eq!(
            (week.already_scheduled, week.flights_already_scheduled),
            (monday.scheduled, monday.flights_scheduled),
            "{file}: Monday's flights were scheduled by the one-day import"
        );
        let again = import(7).await;
        assert_every_line_is_counted_once(file, 7, data_lines, &again);
        assert_eq!(
            (again.flights_scheduled, again.flights_already_scheduled),
            (0, week.flights_scheduled + week.flights_already_scheduled),
            "{file}: a second import adds nothing"
        );
        println!(
            "{file}: {data_lines} lines; 1 day: {} scheduled, {} outside the range, {} rejected; \
             7 days: {} scheduled, {} already scheduled, {} rejected",
            monday.scheduled,
            monday.outside_window,
            monday.rejected,
            week.scheduled,
            week.already_scheduled,
            week.rejected,
        );
    }
}
