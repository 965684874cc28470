//! Durable deadlines on the injected clock: seat holds that expire, steps that time out, and a
//! deadline that came due while the engine was down.

use axum::http::StatusCode;
use skyfly_tests::app::TestApp;
use std::time::Duration;

async fn hold_three(app: &TestApp, staff: &str, flight: &str) {
    let r = app
        .post(
            &format!("/api/v1/inventory/{flight}/reserve"),
            Some(staff),
            r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000777","cabin":"economy","seats":3}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(app.availability(flight, "economy").await, (7, 3, 0));
    // The hold is indexed for expiry (by the log follower).
    skyfly_tests::eventually(
        Duration::from_secs(10),
        "the hold to be indexed",
        || async {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM hold_expiries")
                .fetch_one(&app.pool)
                .await
                .unwrap();
            (n == 1).then_some(())
        },
    )
    .await;
}

async fn seats_return(app: &TestApp, flight: &str) {
    skyfly_tests::eventually(
        Duration::from_secs(10),
        "the held seats to return",
        || async {
            app.state.process.nudge();
            (app.availability(flight, "economy").await == (10, 0, 0)).then_some(())
        },
    )
    .await;
    let last: (String, serde_json::Value) =
        sqlx::query_as("SELECT event_type, payload FROM events WHERE stream_id = $1 ORDER BY global_position DESC LIMIT 1")
            .bind(format!("flight-{flight}"))
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (last.0.as_str(), last.1["reason"].as_str()),
        ("SeatsReleased", Some("expired"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unpaid_hold_expires_after_fifteen_minutes_and_its_seats_return() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    hold_three(&app, &staff, &flight).await;
    app.clock.advance(chrono::Duration::minutes(14));
    app.state.process.nudge();
    app.state.process.run_due().await.unwrap();
    assert_eq!(
        app.availability(&flight, "economy").await,
        (7, 3, 0),
        "not before its time"
    );
    app.clock.advance(chrono::Duration::minutes(2));
    seats_return(&app, &flight).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deadline_that_came_due_during_downtime_fires_after_the_restart() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    hold_three(&app, &staff, &flight).await;
    app.state.process.stop();
    // Down for an hour.
    app.clock.advance(chrono::Duration::hours(1));
    let restarted = app.restarted().await;
    seats_return(&restarted, &flight).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_step_without_an_answer_before_its_deadline_fails_and_is_compensated() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    // The provider "hangs": each authorization takes 60 s of real time, while the engine's clock
    // jumps past the 30 s deadline. The deadline fires while the call is still in flight.
    let r = app
        .post(
            "/api/v1/admin/faults",
            Some(&staff),
            r#"{"step":"authorize_payment","mode":"delay","delay_ms":60000}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post(
            "/api/v1/bookings",
            Some(&ada),
            &format!(
                r#"{{"flight_id":"{flight}","cabin":"economy","passengers":[{{"first_name":"A","last_name":"B"}}],
                   "contact":{{"email":"a@example.com"}},"payment":{{"card_number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}}}"#
            ),
        )
        .await;
    let id = r.body["booking_id"].as_str().unwrap().to_owned();
    skyfly_tests::eventually(
        Duration::from_secs(10),
        "the authorization to start",
        || async {
            let b = app.get(&format!("/api/v1/bookings/{id}"), Some(&ada)).await;
            b.body["saga"]
                .as_array()?
                .iter()
                .any(|e| e["step"] == "authorize_payment" && e["outcome"] == "step_started")
                .then_some(())
        },
    )
    .await;
    app.clock.advance(chrono::Duration::seconds(31));
    // Well before the hung call would have answered.
    let b = skyfly_tests::eventually(Duration::from_secs(30), "the booking to fail", || async {
        app.state.process.nudge();
        let b = app.get(&format!("/api/v1/bookings/{id}"), Some(&ada)).await;
        (b.body["status"] == "failed").then_some(b.body)
    })
    .await;
    assert_eq!(
        (
            b["failure"]["step"].as_str(),
            b["failure"]["reason"].as_str()
        ),
        (Some("authorize_payment"), Some("timeout")),
        "{b}"
    );
    assert_eq!(
        app.availability(&flight, "economy").await,
        (10, 0, 0),
        "the held seat was released"
    );
    let authorized: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'PaymentAuthorized'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(authorized, 0, "the late authorization was never sent");
}
