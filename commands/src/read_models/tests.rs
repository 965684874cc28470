//! Operating the read models through the port (the test double records what it was asked).

use super::*;
use crate::testing::TestApplication;
use std::sync::Mutex;

fn rebuilt(t: &TestApplication) -> Vec<String> {
    t.read_models.rebuilt.lock().unwrap().clone()
}

#[test]
fn rebuilding_a_read_model_that_does_not_exist_is_not_found() {
    let t = TestApplication::new();
    for name in ["nope", "", "Booking_View", "booking_view "] {
        let e = RebuildReadModel::parse(&t.app, name).unwrap_err();
        assert!(
            matches!(e, UseCaseError::NotFound("projection")),
            "{name:?}: {e:?}"
        );
    }
    let command = RebuildReadModel::parse(&t.app, "booking_view").unwrap();
    assert_eq!(command.name, "booking_view");
}

#[tokio::test]
async fn a_rebuild_reaches_the_port_and_reports_its_progress() {
    let t = TestApplication::new();
    let command = RebuildReadModel::parse(&t.app, "flight_availability").unwrap();
    let progress = Mutex::new(Vec::new());
    let applied = rebuild(&t.app, &command, &|done, total| {
        progress.lock().unwrap().push((done, total));
    })
    .await
    .unwrap();
    assert_eq!(applied, 0);
    assert_eq!(rebuilt(&t), ["flight_availability"]);
    assert_eq!(progress.into_inner().unwrap(), [(0, 0)]);
}

#[tokio::test]
async fn a_rebuild_started_in_the_background_reaches_the_port() {
    let t = TestApplication::new();
    let command = RebuildReadModel::parse(&t.app, "booking_view").unwrap();
    start_rebuild(&t.app, command).await.unwrap();
    assert_eq!(rebuilt(&t), ["booking_view"]);
}

#[tokio::test]
async fn statuses_answer_the_ports_list() {
    let t = TestApplication::new();
    let answered = statuses(&t.app).await.unwrap();
    let names: Vec<_> = answered.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, t.app.read_models.names());
    assert_eq!(names, ["booking_view", "flight_availability"]);
    assert!(
        answered
            .iter()
            .all(|s| s.status == "live" && s.lag_events == 0)
    );
    assert!(
        rebuilt(&t).is_empty(),
        "asking for statuses rebuilds nothing"
    );
}
