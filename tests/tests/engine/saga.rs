//! The booking saga end to end over HTTP against PostgreSQL, with the process manager running in
//! the background and time on the injected clock.

use axum::http::StatusCode;
use serde_json::Value;
use skyfly_tests::app::{TestApp, booking_body};
use std::time::Duration;

const OK_CARD: &str = "4242424242424242";

/// Waits until the booking leaves `pending`, moving the clock on (retries and backoff wait on it).
async fn settle(app: &TestApp, token: &str, id: &str) -> Value {
    app.settle(token, id).await
}

async fn stream_types(app: &TestApp, stream: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY global_position",
    )
    .bind(stream)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_is_confirmed_with_seats_sold_payment_captured_and_miles_awarded() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let id = app.book(&ada, &flight, "economy", 2, OK_CARD).await;
    let b = settle(&app, &ada, &id).await;
    assert_eq!(b["status"], "confirmed", "{b}");
    assert_eq!(b["ticket_numbers"].as_array().unwrap().len(), 2);
    // 2 × 199.00 = 398.00 fare + 29.85 taxes = 427.85; miles: floor(398 × 1.0 × 1.0)
    assert_eq!(b["price"]["amount"], 42_785);
    assert_eq!(b["miles_awarded"], 398);
    assert_eq!(app.availability(&flight, "economy").await, (8, 0, 2));
    let payment = app
        .get(
            &format!("/api/v1/payments/{}", b["payment_id"].as_str().unwrap()),
            Some(&ada),
        )
        .await;
    assert_eq!(
        (
            payment.body["status"].as_str(),
            payment.body["captured"]["amount"].as_u64()
        ),
        (Some("captured"), Some(42_785))
    );
    assert_eq!(
        stream_types(&app, &format!("booking-{id}")).await,
        vec!["BookingRequested", "BookingConfirmed"]
    );
    assert_eq!(
        stream_types(&app, &format!("flight-{flight}")).await,
        vec!["FlightScheduled", "SeatsReserved", "SeatsCommitted"]
    );
    // Another customer cannot see it.
    let eve = app.customer("eve@example.com").await;
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"), Some(&eve))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seats_unavailable_rejects_the_booking_with_nothing_to_undo() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let id = app.book(&ada, &flight, "business", 3, OK_CARD).await;
    let b = settle(&app, &ada, &id).await;
    assert_eq!(b["status"], "rejected", "{b}");
    assert_eq!(app.availability(&flight, "business").await, (2, 0, 0));
    assert_eq!(
        stream_types(&app, &format!("booking-{id}")).await,
        vec!["BookingRequested", "BookingRejected"]
    );
    let payments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id LIKE 'payment-%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(payments, 0, "no payment was ever created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_declined_card_fails_the_booking_and_releases_the_seats() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    for (card, reason) in [
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
        ("4000000000000119", "processing_error"),
    ] {
        let id = app.book(&ada, &flight, "economy", 1, card).await;
        let b = settle(&app, &ada, &id).await;
        assert_eq!(b["status"], "failed", "{card}: {b}");
        assert_eq!(
            (
                b["failure"]["step"].as_str(),
                b["failure"]["reason"].as_str()
            ),
            (Some("authorize_payment"), Some(reason)),
            "{b}"
        );
        assert_eq!(b["miles_awarded"], 0);
        let released = stream_types(&app, &format!("flight-{flight}")).await;
        assert_eq!(
            released.last().map(String::as_str),
            Some("SeatsReleased"),
            "{card}"
        );
    }
    assert_eq!(app.availability(&flight, "economy").await, (10, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_injected_fault_at_award_miles_voids_the_payment_and_releases_the_seats() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let r = app
        .post(
            "/api/v1/admin/faults",
            Some(&staff),
            r#"{"step":"award_miles","mode":"fail","count":1}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    let b = settle(&app, &ada, &id).await;
    assert_eq!(
        (b["status"].as_str(), b["failure"]["step"].as_str()),
        (Some("failed"), Some("award_miles")),
        "{b}"
    );
    let payment = app
        .get(
            &format!("/api/v1/payments/{}", b["payment_id"].as_str().unwrap()),
            Some(&staff),
        )
        .await;
    assert_eq!(payment.body["status"], "voided");
    assert_eq!(app.availability(&flight, "economy").await, (10, 0, 0));
    // The fault is used up: the next booking goes through.
    let next = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    assert_eq!(settle(&app, &ada, &next).await["status"], "confirmed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failure_while_confirming_refunds_and_releases_what_was_already_done() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    app.post(
        "/api/v1/admin/faults",
        Some(&staff),
        r#"{"step":"confirm_booking","mode":"fail","count":1}"#,
    )
    .await;
    let id = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    let b = settle(&app, &ada, &id).await;
    assert_eq!(
        (b["status"].as_str(), b["failure"]["step"].as_str()),
        (Some("failed"), Some("confirm_booking")),
        "{b}"
    );
    assert_eq!(b["miles_awarded"], 0, "awarded miles were revoked");
    assert_eq!(app.availability(&flight, "economy").await, (10, 0, 0));
    let payment = app
        .get(
            &format!("/api/v1/payments/{}", b["payment_id"].as_str().unwrap()),
            Some(&staff),
        )
        .await;
    let net = payment.body["captured"]["amount"].as_i64().unwrap()
        - payment.body["refunded"]["amount"].as_i64().unwrap();
    assert_eq!(
        net, 0,
        "no net capture on a failed booking: {}",
        payment.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_more_than_a_day_ahead_refunds_everything_and_returns_the_seats() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let id = app.book(&ada, &flight, "economy", 2, OK_CARD).await;
    assert_eq!(settle(&app, &ada, &id).await["status"], "confirmed");
    let r = app
        .post(&format!("/api/v1/bookings/{id}/cancel"), Some(&ada), "")
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let b = skyfly_tests::eventually(Duration::from_secs(30), "the cancellation", || async {
        let r = app.get(&format!("/api/v1/bookings/{id}"), Some(&ada)).await;
        app.state.process.nudge();
        (r.body["status"] == "cancelled").then_some(r.body)
    })
    .await;
    assert_eq!(b["miles_awarded"], 0, "miles awarded for it were revoked");
    assert_eq!(app.availability(&flight, "economy").await, (10, 0, 0));
    let payment = app
        .get(
            &format!("/api/v1/payments/{}", b["payment_id"].as_str().unwrap()),
            Some(&ada),
        )
        .await;
    assert_eq!(payment.body["status"], "refunded", "{}", payment.body);
    let again = app
        .post(&format!("/api/v1/bookings/{id}/cancel"), Some(&ada), "")
        .await;
    assert_eq!(
        again.status,
        StatusCode::ACCEPTED,
        "a second cancel is a no-op: {:?}",
        again.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_booking_requests_name_the_field() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    for (body, field) in [
        (
            booking_body("XX1-2026-12-01", "economy", 1, OK_CARD, 0),
            "flight_id",
        ),
        (booking_body(&flight, "first", 1, OK_CARD, 0), "cabin"),
        (
            booking_body(&flight, "economy", 0, OK_CARD, 0),
            "passengers",
        ),
        (
            booking_body(&flight, "economy", 1, "4242424242424241", 0),
            "payment.card_number",
        ),
        (
            booking_body(&flight, "economy", 1, OK_CARD, 1_000_000),
            "redeem_miles",
        ),
    ] {
        let r = app.post("/api/v1/bookings", Some(&ada), &body).await;
        assert_eq!(
            (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
            (422, Some(field)),
            "{body}: {:?}",
            r.body
        );
    }
    let r = app
        .post(
            "/api/v1/bookings",
            Some(&staff),
            &booking_body(&flight, "economy", 1, OK_CARD, 0),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        stream_types(&app, &format!("flight-{flight}")).await,
        vec!["FlightScheduled"],
        "nothing recorded"
    );
}

/// 200 concurrent bookings for one cabin with 50 seats: exactly 50 confirmed, 150 rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_bookings_for_fifty_seats_confirm_exactly_fifty() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let r = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            r#"{"flight_number":"SF777","origin":"DFW","destination":"ORD","departure":"2026-12-05T14:00:00Z",
                "arrival":"2026-12-05T16:30:00Z","cabins":{"economy":{"capacity":50,"fare":{"amount":10000,"currency":"USD"}}}}"#,
        )
        .await;
    let flight = r.body["flight_id"].as_str().unwrap().to_owned();
    let mut customers = Vec::new();
    for i in 0..10 {
        customers.push(app.customer(&format!("c{i}@example.com")).await);
    }
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (app, token, flight) = (app.clone(), customers[i % 10].clone(), flight.clone());
            tokio::spawn(async move {
                (
                    token.clone(),
                    app.book(&token, &flight, "economy", 1, OK_CARD).await,
                )
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    let (mut confirmed, mut rejected) = (0, 0);
    for (token, id) in &ids {
        match settle(&app, token, id).await["status"].as_str() {
            Some("confirmed") => confirmed += 1,
            Some("rejected") => rejected += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((confirmed, rejected), (50, 150));
    assert_eq!(app.availability(&flight, "economy").await, (0, 0, 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_see_each_saga_with_its_steps_and_compensations() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let ok = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    settle(&app, &ada, &ok).await;
    let declined = app
        .book(&ada, &flight, "economy", 1, "4000000000000002")
        .await;
    settle(&app, &ada, &declined).await;

    // The sagas read model follows the log: wait until it shows both sagas ended.
    let mut seen = 0u64;
    for (id, status) in [(&ok, "confirmed"), (&declined, "failed")] {
        let path = format!("/api/v1/admin/sagas/{id}");
        let r = skyfly_tests::eventually(Duration::from_secs(10), "the saga to end", || async {
            let r = app.get(&path, Some(&staff)).await;
            (r.body["status"] == status).then_some(r)
        })
        .await;
        seen = seen.max(r.position("x-read-model-position"));
    }
    let s = app
        .get(&format!("/api/v1/admin/sagas/{declined}"), Some(&staff))
        .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(s.body["status"], "failed");
    let steps: Vec<(String, String)> = s.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["step"].as_str().unwrap().to_owned(),
                a["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("reserve_seats".into(), "succeeded".into()),
            ("authorize_payment".into(), "failed".into())
        ]
    );
    let compensations: Vec<(&str, &str)> = s.body["compensations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["action"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        compensations,
        vec![("release_seats", "succeeded")],
        "a declined payment needs no void"
    );

    let failed = app
        .get(
            &format!("/api/v1/admin/sagas?status=failed&min_position={seen}"),
            Some(&staff),
        )
        .await;
    let ids: Vec<&str> = failed.body["sagas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["saga_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![declined.as_str()]);
    let confirmed = app
        .get(
            &format!("/api/v1/admin/sagas?status=confirmed&min_position={seen}"),
            Some(&staff),
        )
        .await;
    assert_eq!(confirmed.body["sagas"][0]["saga_id"], ok.as_str());
    assert_eq!(
        app.get("/api/v1/admin/sagas?status=bogus", Some(&staff))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get(&format!("/api/v1/admin/sagas/{ok}"), Some(&ada))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let retry = app
        .post(&format!("/api/v1/admin/sagas/{ok}/retry"), Some(&staff), "")
        .await;
    assert_eq!(
        retry.status,
        StatusCode::CONFLICT,
        "nothing is parked: {:?}",
        retry.body
    );
}

async fn award(app: &TestApp, staff: &str, customer: &str, miles: u64) {
    let account = app.loyalty_account(customer).await;
    let r = app
        .post(
            &format!("/api/v1/loyalty/{account}/award"),
            Some(staff),
            &format!(
                r#"{{"booking_id":"{}","miles":{miles}}}"#,
                uuid::Uuid::now_v7()
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn miles_pay_part_of_the_fare_and_the_card_pays_the_rest() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    award(&app, &staff, &ada, 5_000).await;
    let r = app
        .post(
            "/api/v1/bookings",
            Some(&ada),
            &booking_body(&flight, "economy", 1, OK_CARD, 4_000),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let id = r.body["booking_id"].as_str().unwrap().to_owned();
    let b = settle(&app, &ada, &id).await;
    assert_eq!(b["status"], "confirmed", "{b}");
    assert_eq!(b["miles_redeemed"], 4_000);
    // 199.00 + 14.93 taxes = 213.93; the card pays 213.93 − 40.00; miles accrue on 159.00 of fare.
    let payment = app
        .get(
            &format!("/api/v1/payments/{}", b["payment_id"].as_str().unwrap()),
            Some(&ada),
        )
        .await;
    assert_eq!(payment.body["captured"]["amount"], 21_393 - 4_000);
    assert_eq!(b["miles_awarded"], 159);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redemption_beyond_the_balance_fails_the_booking_and_releases_the_seats() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    award(&app, &staff, &ada, 100).await;
    let r = app
        .post(
            "/api/v1/bookings",
            Some(&ada),
            &booking_body(&flight, "economy", 1, OK_CARD, 500),
        )
        .await;
    let id = r.body["booking_id"].as_str().unwrap().to_owned();
    let b = settle(&app, &ada, &id).await;
    assert_eq!(
        (
            b["status"].as_str(),
            b["failure"]["step"].as_str(),
            b["failure"]["reason"].as_str()
        ),
        (
            Some("failed"),
            Some("redeem_miles"),
            Some("insufficient_miles")
        ),
        "{b}"
    );
    assert_eq!(app.availability(&flight, "economy").await, (10, 0, 0));
    let payments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id LIKE 'payment-%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(payments, 0, "the payment step was never reached");
}

/// Regression (issue 12, item 4): `saga[].step` also carried `saga`, `commit_seats`,
/// `capture_payment` and `confirmed`; the public list is DOMAIN.md's five steps, with sub-actions
/// and compensations inside their step's entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_booking_timeline_names_only_the_five_saga_steps() {
    const STEPS: [&str; 5] = [
        "reserve_seats",
        "redeem_miles",
        "authorize_payment",
        "award_miles",
        "confirm_booking",
    ];
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let confirmed = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    let failed = app
        .book(&ada, &flight, "economy", 1, "4000000000000002")
        .await;
    for (id, status) in [(&confirmed, "confirmed"), (&failed, "failed")] {
        let b = settle(&app, &ada, id).await;
        assert_eq!(b["status"], status, "{b}");
        let saga = b["saga"].as_array().unwrap();
        assert!(!saga.is_empty(), "{b}");
        for entry in saga {
            let step = entry["step"].as_str().unwrap();
            assert!(STEPS.contains(&step), "{step} is not a saga step: {b}");
            assert!(!entry["actions"].as_array().unwrap().is_empty(), "{entry}");
        }
    }
    let b = app
        .get(&format!("/api/v1/bookings/{confirmed}"), Some(&ada))
        .await
        .body;
    let confirm = b["saga"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["step"] == "confirm_booking")
        .expect("a confirm_booking entry");
    assert_eq!(confirm["outcome"], "step_succeeded", "{confirm}");
    let actions: Vec<&str> = confirm["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for sub in ["commit_seats", "capture_payment", "confirm_booking"] {
        assert!(actions.contains(&sub), "{sub} missing from {actions:?}");
    }
}

/// Regression (issue 12, item 3): cancel ignored `If-Match`, so a stale version cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_with_a_stale_if_match_is_a_version_conflict() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let id = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    let b = settle(&app, &ada, &id).await;
    assert_eq!(b["status"], "confirmed", "{b}");
    let version = b["version"].as_u64().unwrap();
    let events = app.event_count().await;
    let path = format!("/api/v1/bookings/{id}/cancel");
    let stale = format!("\"{}\"", version - 1);
    let r = app
        .request("POST", &path, Some(&ada), &[("if-match", &stale)], None)
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (409, Some("version_conflict")),
        "{:?}",
        r.body
    );
    assert_eq!(app.event_count().await, events, "nothing recorded");
    let current = format!("\"{version}\"");
    let r = app
        .request("POST", &path, Some(&ada), &[("if-match", &current)], None)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let openapi = app.get("/api/v1/openapi.json", None).await.body;
    let params = &openapi["paths"]["/api/v1/bookings/{booking_id}/cancel"]["post"]["parameters"];
    assert!(
        params
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "If-Match" && p["in"] == "header"),
        "{params}"
    );
}
