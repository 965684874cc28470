//! `Idempotency-Key` as Stripe defines it: "in progress" means a request is really running under
//! the key, only what executed is kept, and keys expire (issue 12, items B and 5).

use axum::http::StatusCode;
use skyfly_tests::app::{Reply, TestApp, booking_body};
use sqlx::Connection;
use std::time::Duration;

const OK_CARD: &str = "4242424242424242";

async fn user_id(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/users/me", Some(token)).await.body["user_id"]
        .as_str()
        .expect("user id")
        .to_owned()
}

async fn with_key(app: &TestApp, token: &str, path: &str, key: &str, body: &str) -> Reply {
    app.request(
        "POST",
        path,
        Some(token),
        &[("idempotency-key", key)],
        Some(body),
    )
    .await
}

async fn bookings_requested(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'BookingRequested'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Regression (item B): a first attempt that died left its key "in progress", and retries got
/// `409 request_in_progress` for 60 s though nothing ran any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_crashed_first_attempt_proceeds_at_once() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let scope = user_id(&app, &ada).await;
    let body = booking_body(&flight, "economy", 1, OK_CARD, 0);

    // A first attempt claims the key, as a request does, on a connection of its own.
    let mut first = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut first)
        .await
        .unwrap();
    let mut running = first.begin().await.unwrap();
    assert!(
        skyfly_api::idempotency::claim(&mut running, &scope, "k-crash")
            .await
            .unwrap()
    );
    // While it runs, a retry is told so.
    let r = with_key(&app, &ada, "/api/v1/bookings", "k-crash", &body).await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (409, Some("request_in_progress")),
        "{:?}",
        r.body
    );
    assert_eq!(bookings_requested(&app).await, 0);

    // The process running it dies: its connection goes, and the lock with it.
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(&app.pool)
        .await
        .unwrap();
    skyfly_tests::eventually(Duration::from_secs(10), "the backend to exit", || async {
        let alive: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                .bind(pid)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        (!alive).then_some(())
    })
    .await;
    drop(running);
    let r = with_key(&app, &ada, "/api/v1/bookings", "k-crash", &body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let again = with_key(&app, &ada, "/api/v1/bookings", "k-crash", &body).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["booking_id"], r.body["booking_id"]);
    assert_eq!(bookings_requested(&app).await, 1);

    // A claim row left by the earlier scheme (a request that died just now) holds nothing up.
    sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, 'k-old-claim', '\\x00', $2)",
    )
    .bind(&scope)
    .bind(app.state.clock.now())
    .execute(&app.pool)
    .await
    .unwrap();
    let other = booking_body(&flight, "economy", 2, OK_CARD, 0);
    let r = with_key(&app, &ada, "/api/v1/bookings", "k-old-claim", &other).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
}

/// Requests racing under one key: one runs, the others get its answer or `409
/// request_in_progress`, and exactly one booking exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_key_run_once() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let body = booking_body(&flight, "economy", 1, OK_CARD, 0);
    let replies = futures::future::join_all(
        (0..6).map(|_| with_key(&app, &ada, "/api/v1/bookings", "k-race", &body)),
    )
    .await;
    let mut ids = Vec::new();
    for r in &replies {
        match r.status.as_u16() {
            202 => ids.push(r.body["booking_id"].clone()),
            409 => assert_eq!(r.body["code"], "request_in_progress", "{:?}", r.body),
            other => panic!("{other}: {:?}", r.body),
        }
    }
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(bookings_requested(&app).await, 1);
    // Nothing is left in progress: the next retry gets the answer.
    let r = with_key(&app, &ada, "/api/v1/bookings", "k-race", &body).await;
    assert_eq!(
        (r.status, r.header("idempotent-replayed")),
        (StatusCode::ACCEPTED, Some("true"))
    );
    assert_eq!(r.body["booking_id"], ids[0]);
}

/// Regression (item 5): a request refused by validation was stored under its key, so the
/// corrected retry with the same key was refused as a reuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_requests_that_executed_are_kept_under_their_key() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;

    // A field failing validation at the edge, and a path parameter.
    let reserve = format!("/api/v1/inventory/{flight}/reserve");
    let seats = |n: u32| {
        format!(
            r#"{{"booking_id":"0193b1c2-0000-7000-8000-00000000000{n}","cabin":"economy","seats":{n}}}"#
        )
    };
    let r = with_key(&app, &staff, &reserve, "k-edge", r#"{"booking_id":"x"}"#).await;
    assert_eq!(r.status.as_u16(), 422, "{:?}", r.body);
    let r = with_key(&app, &staff, &reserve, "k-edge", &seats(1)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = with_key(
        &app,
        &staff,
        "/api/v1/inventory/nope/reserve",
        "k-path",
        &seats(2),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422, "{:?}", r.body);
    let r = with_key(&app, &staff, &reserve, "k-path", &seats(2)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // A stale If-Match: nothing executed, the retry with the right version runs.
    let version = r.header("etag").unwrap().to_owned();
    let stale = app
        .request(
            "POST",
            &reserve,
            Some(&staff),
            &[("idempotency-key", "k-version"), ("if-match", "\"1\"")],
            Some(&seats(3)),
        )
        .await;
    assert_eq!(stale.body["code"], "version_conflict", "{:?}", stale.body);
    let fresh = app
        .request(
            "POST",
            &reserve,
            Some(&staff),
            &[("idempotency-key", "k-version"), ("if-match", &version)],
            Some(&seats(3)),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK, "{:?}", fresh.body);

    // A field failing validation in the use case (last: its saga then moves the flight on).
    let bad = booking_body(&flight, "economy", 1, OK_CARD, 0).replace("p@example.com", "nope");
    let r = with_key(&app, &ada, "/api/v1/bookings", "k-fix", &bad).await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("contact.email")),
        "{:?}",
        r.body
    );
    let good = booking_body(&flight, "economy", 1, OK_CARD, 0);
    let r = with_key(&app, &ada, "/api/v1/bookings", "k-fix", &good).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);

    // A domain refusal executed: it is the key's answer.
    let big =
        r#"{"booking_id":"0193b1c2-0000-7000-8000-00000000000f","cabin":"business","seats":3}"#;
    let refused = with_key(&app, &staff, &reserve, "k-refused", big).await;
    assert_eq!(
        refused.body["code"], "seats_unavailable",
        "{:?}",
        refused.body
    );
    let again = with_key(&app, &staff, &reserve, "k-refused", big).await;
    assert_eq!(
        (again.header("idempotent-replayed"), again.raw.as_slice()),
        (Some("true"), refused.raw.as_slice())
    );
}

/// Item 5: keys are kept 24 h on the engine's clock, then pruned; the same key is then a new
/// request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_expire_after_their_time_to_live_and_are_pruned() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let reserve = format!("/api/v1/inventory/{flight}/reserve");
    let seats = |id: u32| {
        format!(
            r#"{{"booking_id":"0193b1c2-0000-7000-8000-00000000000{id}","cabin":"economy","seats":1}}"#
        )
    };
    let r = with_key(&app, &staff, &reserve, "k-day", &seats(1)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = with_key(&app, &staff, &reserve, "k-other", &seats(2)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Within the day, the key is the first request's.
    app.clock.advance(chrono::Duration::hours(23));
    let staff = app.login("staff@test.example", "staff-password-1").await;
    let r = with_key(&app, &staff, &reserve, "k-day", &seats(3)).await;
    assert_eq!(r.body["code"], "idempotency_key_reused", "{:?}", r.body);

    // After it, the key is free again, and expired keys are gone.
    app.clock.advance(chrono::Duration::hours(2));
    let staff = app.login("staff@test.example", "staff-password-1").await;
    let r = with_key(&app, &staff, &reserve, "k-day", &seats(3)).await;
    assert_eq!(
        (r.status, r.header("idempotent-replayed")),
        (StatusCode::OK, None),
        "{:?}",
        r.body
    );
    let kept: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys ORDER BY key")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, ["k-day"], "k-other expired and was pruned");
}
