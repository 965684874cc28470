//! Fault injection over HTTP: armed, listed, disarmed, and every change is an event.

use axum::http::StatusCode;
use skyfly_tests::app::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_arm_list_and_disarm_faults_and_each_change_is_recorded() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("c@example.com").await;

    let r = app
        .post(
            "/api/v1/admin/faults",
            Some(&staff),
            r#"{"step":"authorize_payment","mode":"fail","count":2}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let fault_id = r.body["fault_id"].as_str().unwrap().to_owned();
    assert_eq!(
        (r.body["remaining"].as_u64(), r.body["active"].as_bool()),
        (Some(2), Some(true))
    );
    let r = app
        .post(
            "/api/v1/admin/faults",
            Some(&staff),
            r#"{"step":"award_miles","mode":"fail","probability":0.25}"#,
        )
        .await;
    assert_eq!(r.body["probability"], 0.25);
    let r = app
        .post(
            "/api/v1/admin/faults",
            Some(&staff),
            r#"{"step":"reserve_seats","mode":"delay","delay_ms":250}"#,
        )
        .await;
    assert_eq!(r.body["delay_ms"], 250);

    for (body, field) in [
        (r#"{"step":"reserve_seats","mode":"delay"}"#, "delay_ms"),
        (
            r#"{"step":"reserve_seats","mode":"fail","probability":1.5}"#,
            "probability",
        ),
        (
            r#"{"step":"reserve_seats","mode":"fail","count":0}"#,
            "count",
        ),
        (r#"{"step":"board_plane","mode":"fail"}"#, "step"),
        (r#"{"step":"reserve_seats","mode":"explode"}"#, "mode"),
    ] {
        let r = app.post("/api/v1/admin/faults", Some(&staff), body).await;
        assert_eq!(
            (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
            (422, Some(field)),
            "{body}: {:?}",
            r.body
        );
    }
    assert_eq!(
        app.post(
            "/api/v1/admin/faults",
            Some(&customer),
            r#"{"step":"reserve_seats","mode":"fail"}"#
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    let list = app.get("/api/v1/admin/faults", Some(&staff)).await;
    assert_eq!(list.body["faults"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.get("/api/v1/admin/faults", Some(&customer))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let r = app
        .request(
            "DELETE",
            &format!("/api/v1/admin/faults/{fault_id}"),
            Some(&staff),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let again = app
        .request(
            "DELETE",
            &format!("/api/v1/admin/faults/{fault_id}"),
            Some(&staff),
            &[],
            None,
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::NO_CONTENT,
        "disarming twice is harmless"
    );
    let unknown = app
        .request(
            "DELETE",
            "/api/v1/admin/faults/0193b1c2-0000-7000-8000-0000000000ff",
            Some(&staff),
            &[],
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let list = app.get("/api/v1/admin/faults", Some(&staff)).await;
    let disarmed = list.body["faults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fault_id"] == fault_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            disarmed["active"].as_bool(),
            disarmed["disarmed_at"].is_string()
        ),
        (Some(false), true)
    );

    // Faults are state like any other: auditable in the log.
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE stream_id = 'faults-board' ORDER BY global_position",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        kinds,
        vec!["FaultArmed", "FaultArmed", "FaultArmed", "FaultDisarmed"]
    );
}
