//! Scenario files (`fixtures/scenarios/`) run against the whole engine, each in a scratch
//! database of the test's own: every use of the scenario runner (`skyfly_scenarios`) by a test goes through here.

use crate::db::{DatabaseGuard, server_url};
use skyfly_fixtures::scenario::Scenario;
use std::path::PathBuf;

pub use skyfly_scenarios::{Report, StoreKind};

/// Every scenario file that ships, parsed: (file, scenario).
pub fn shipped() -> Vec<(String, Scenario)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scenarios");
    skyfly_scenarios::load(&[dir]).expect("every scenario file parses")
}

/// Runs `scenario` on `store` in a scratch database on the test server. A run that returns has
/// dropped it (or says why not); the guard drops it should the run fail or panic, and its name
/// lets `scripts/test.sh` sweep it should the run be killed.
pub async fn run(scenario: &Scenario, store: StoreKind) -> anyhow::Result<Report> {
    let db = DatabaseGuard::unborn();
    let report = skyfly_scenarios::run_in_database(scenario, store, &server_url(), db.name()).await;
    if report.is_ok() {
        db.disarm();
    }
    report
}
