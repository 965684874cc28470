//! Audit and replay: the log filtered with a cursor, a booking's events (owner or staff), a
//! booking as it was at a position or an instant, and the CLI's JSON-lines export.

use axum::http::StatusCode;
use skyfly_tests::app::TestApp;
use skyfly_tests::process::skyfly;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auditors_read_the_log_a_bookings_events_and_the_booking_as_it_was() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let eve = app.customer("eve@example.com").await;
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
    let placed_at = r.position("x-event-position");
    skyfly_tests::eventually(
        Duration::from_secs(20),
        "the booking to be confirmed",
        || async {
            app.state.process.nudge();
            (app.get(&format!("/api/v1/bookings/{id}"), Some(&ada))
                .await
                .body["status"]
                == "confirmed")
                .then_some(())
        },
    )
    .await;

    // The booking's events: owner and staff, nobody else.
    let mine = app
        .get(&format!("/api/v1/bookings/{id}/events"), Some(&ada))
        .await;
    let types: Vec<&str> = mine.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["BookingRequested", "BookingConfirmed"]);
    let envelope = &mine.body["events"][0];
    for field in [
        "event_id",
        "stream_id",
        "stream_version",
        "global_position",
        "event_type",
        "schema_version",
        "payload",
        "metadata",
        "recorded_at",
    ] {
        assert!(!envelope[field].is_null(), "envelope field {field}");
    }
    assert_eq!(envelope["metadata"]["correlation_id"], id.as_str());
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}/events"), Some(&staff))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}/events"), Some(&eve))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"), Some(&eve))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Time travel: at the position of the request it was pending; now it is confirmed.
    let then = app
        .get(
            &format!("/api/v1/bookings/{id}?as_of={placed_at}"),
            Some(&ada),
        )
        .await;
    assert_eq!(
        (then.body["status"].as_str(), then.body["version"].as_u64()),
        (Some("pending"), Some(1)),
        "{:?}",
        then.body
    );
    let before = app
        .get(
            &format!("/api/v1/bookings/{id}?as_of=2000-01-01T00:00:00Z"),
            Some(&ada),
        )
        .await;
    assert_eq!(before.status, StatusCode::NOT_FOUND, "it did not exist yet");
    let bad = app
        .get(
            &format!("/api/v1/bookings/{id}?as_of=yesterday"),
            Some(&ada),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()),
        (422, Some("as_of"))
    );

    // The log, by correlation id (everything this booking caused, across streams), then paged.
    let all = app
        .get(
            &format!("/api/v1/admin/events?correlation_id={id}&limit=1000"),
            Some(&staff),
        )
        .await;
    let streams: std::collections::BTreeSet<String> = all.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["stream_id"]
                .as_str()
                .unwrap()
                .split('-')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        ["booking", "saga", "flight", "payment", "loyalty"]
            .iter()
            .all(|s| streams.contains(*s)),
        "{streams:?}"
    );
    let mut seen = Vec::new();
    let mut cursor = 0u64;
    loop {
        let page = app
            .get(
                &format!("/api/v1/admin/events?after={cursor}&limit=4&type=StepSucceeded"),
                Some(&staff),
            )
            .await;
        let events = page.body["events"].as_array().unwrap().clone();
        seen.extend(
            events
                .iter()
                .map(|e| e["global_position"].as_u64().unwrap()),
        );
        match page.body["next_cursor"].as_u64() {
            Some(next) => cursor = next,
            None => break,
        }
    }
    assert!(
        seen.len() == 6 && seen.windows(2).all(|w| w[0] < w[1]),
        "{seen:?}"
    );
    assert_eq!(
        app.get("/api/v1/admin/events", Some(&ada)).await.status,
        StatusCode::FORBIDDEN
    );

    // The CLI exports the same log as JSON lines.
    let out = skyfly(&app.database_url, &["events", "export", "--after", "0"]);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let total = app.event_count().await as usize;
    assert_eq!(lines.len(), total);
    let stream = skyfly(
        &app.database_url,
        &["events", "stream", &format!("booking-{id}")],
    );
    assert_eq!(String::from_utf8_lossy(&stream.stdout).lines().count(), 2);
}
